/**
 * Reading records by source. A deployment keeps two kinds of record under one
 * prefix: `stored` ones, written by clients (PUT, batch-set, `featcache import`)
 * under FEATCACHE_FEATURE_VERSION, and `extracted` ones, written by
 * POST /analysis/features and `featcache ingest` under the extraction version
 * (`<version>+avg_color.1+...`). GET image, batch-get and `featcache get` /
 * `export` read either, or `any`: stored first, then extracted for the IDs
 * stored did not have (one more batch read, only when something missed).
 */
import type { FeatureCache, FeatureRecord, GetOptions } from './types.js';

export type RecordSource = 'stored' | 'extracted';
/** Which records a read looks at. */
export type SourceChoice = RecordSource | 'any';
export const SOURCE_CHOICES = ['any', 'stored', 'extracted'] as const satisfies readonly SourceChoice[];

/** A record and the source it was read from. */
export interface SourcedRecord extends FeatureRecord {
  source: RecordSource;
}

/** The caches of each source; `extracted` absent: that source is not available. */
export interface RecordSources {
  stored: FeatureCache;
  extracted?: FeatureCache;
}

/** The sources a choice reads, in order. */
export function sourcesOf(choice: SourceChoice, sources: RecordSources): Array<[RecordSource, FeatureCache]> {
  const out: Array<[RecordSource, FeatureCache]> = [];
  if (choice !== 'extracted') out.push(['stored', sources.stored]);
  if (choice !== 'stored' && sources.extracted) out.push(['extracted', sources.extracted]);
  return out;
}

/** Records of `imageIds` (aligned, null for a miss in every source read). */
export async function getManyFrom(
  sources: RecordSources,
  imageIds: string[],
  choice: SourceChoice,
  opts?: GetOptions,
): Promise<Array<SourcedRecord | null>> {
  const out: Array<SourcedRecord | null> = new Array<SourcedRecord | null>(imageIds.length).fill(null);
  let pending = imageIds.map((_, i) => i);
  for (const [source, cache] of sourcesOf(choice, sources)) {
    if (pending.length === 0) break;
    const records = await cache.getMany(
      pending.map((i) => imageIds[i]!),
      opts,
    );
    const missed: number[] = [];
    records.forEach((r, j) => {
      const i = pending[j]!;
      // the records are fresh objects of this read: tag them in place (no copy per record)
      if (r) out[i] = Object.assign(r, { source });
      else missed.push(i);
    });
    pending = missed;
  }
  return out;
}

/** One record (the single-image read path: coalesced by the library). */
export async function getFrom(sources: RecordSources, imageId: string, choice: SourceChoice, opts?: GetOptions): Promise<SourcedRecord | null> {
  for (const [source, cache] of sourcesOf(choice, sources)) {
    const r = await cache.get(imageId, opts);
    if (r) return Object.assign(r, { source });
  }
  return null;
}
