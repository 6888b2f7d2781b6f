/**
 * Search with `orientations: 'all'`: the query's 8 dihedral pHashes (rotations by 90°
 * and mirror images, extractor `phash_dihedral`) are each searched on the `phash`
 * index, and the answers merged: an image found under several orientations is
 * listed once, with its nearest orientation. A rotated or mirrored copy of an image
 * thus finds the image (and the reverse) with the index built for plain pHashes.
 */
import type { ExtensionContext } from '../cache/extension.js';
import { DIHEDRAL_ORIENTATIONS, type DihedralOrientation } from '../features/dihedral.js';
import type { FieldIndex } from './field-index.js';
import { hashToHex } from './hash64.js';
import { runQuery, type QueryInput, type SimilarNeighbor, type SimilarResult } from './query.js';

/** The feature holding the dihedral pHashes, and the indexed field they are searched on. */
export const DIHEDRAL_FEATURE = 'phash_dihedral';
export const DIHEDRAL_INDEX_FIELD = 'phash';

const byDistanceThenId = (a: SimilarNeighbor, b: SimilarNeighbor): number =>
  a.distance - b.distance || (a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0);

/**
 * Runs one query per distinct hash of `hashes` (DIHEDRAL_ORIENTATIONS order; a
 * symmetric image repeats some, searched once under the first orientation) and merges.
 */
export async function runOrientedQuery(
  ctx: ExtensionContext,
  index: FieldIndex,
  hashes: readonly bigint[],
  q: Omit<QueryInput, 'hash'>,
): Promise<SimilarResult> {
  const variants: Array<{ hash: bigint; orientation: DihedralOrientation }> = [];
  hashes.forEach((hash, i) => {
    if (!variants.some((v) => v.hash === hash)) variants.push({ hash, orientation: DIHEDRAL_ORIENTATIONS[i]! });
  });
  const results = await Promise.all(variants.map((v) => runQuery(ctx, index, { ...q, hash: v.hash })));

  const best = new Map<string, SimilarNeighbor>();
  results.forEach((r, i) => {
    for (const n of r.neighbors) {
      const prev = best.get(n.imageId);
      if (!prev || n.distance < prev.distance) best.set(n.imageId, { ...n, orientation: variants[i]!.orientation });
    }
  });
  const merged = [...best.values()].sort(byDistanceThenId);
  const sum = (f: (r: SimilarResult) => number): number => results.reduce((a, r) => a + f(r), 0);
  const ms = (f: (r: SimilarResult) => number): number => Math.round(sum(f) * 1000) / 1000;
  return {
    field: index.field,
    hash: hashToHex(hashes[0]!),
    maxDistance: q.maxDistance,
    neighbors: merged.slice(0, q.limit),
    has_more: merged.length > q.limit || results.some((r) => r.has_more),
    truncated: results.some((r) => r.truncated),
    capped_buckets: sum((r) => r.capped_buckets),
    probes: sum((r) => r.probes),
    candidates: sum((r) => r.candidates),
    survivors: sum((r) => r.survivors),
    within_radius: sum((r) => r.within_radius),
    stale_skipped: sum((r) => r.stale_skipped),
    timings_ms: {
      tables: ms((r) => r.timings_ms.tables),
      dictionary: ms((r) => r.timings_ms.dictionary),
      records: ms((r) => r.timings_ms.records),
    },
    orientations: 'all',
  };
}
