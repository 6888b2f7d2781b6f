/**
 * Same-run A/B of searchProvenance's verification schedules for the scale
 * bench (`--ab`): every query is searched with the one-batch schedule (`old`,
 * `{ staged: false }`) and the staged one (`new`, the default), alternating
 * which goes first query by query, on the same index and Redis. On a loaded
 * machine absolute latencies say little; the ratios new / old of the same run
 * do. Recall does not depend on load.
 */
import type { FeatureCache, ProvenanceQuery, ProvenanceSearchOptions, ProvenanceSearchResult } from '../../src/index.js';
import { RedisFeatureCache } from '../../src/cache/feature-cache.js';
import { ProvenanceIndex } from '../../src/provenance/index/provenance-index.js';
import { extractQueryFeatures } from '../../src/provenance/index/query-features.js';
import { searchProvenance, type VerifySchedule } from '../../src/provenance/index/search.js';
import { quantile, round } from './stats.js';

export const AB_SCHEDULES = Object.freeze({ old: { staged: false }, new: { staged: true } } satisfies Record<string, VerifySchedule>);
/** `--ab-donors`: the staged schedule without (`old`) and with (`new`) the donor tier's region pass and donor-first order. */
export const DONOR_AB_SCHEDULES = Object.freeze({ old: { staged: true, donorRegion: false }, new: { staged: true, donorRegion: true } } satisfies Record<string, VerifySchedule>);
export type AbArm = keyof typeof AB_SCHEDULES;

/** searchProvenance on `cache`'s provenance index with a chosen schedule (records read with getMany, alike for both arms). */
export function scheduledSearch(
  cache: FeatureCache,
  schedules: Record<AbArm, VerifySchedule> = AB_SCHEDULES,
): (query: ProvenanceQuery, options: ProvenanceSearchOptions, arm: AbArm) => Promise<ProvenanceSearchResult> {
  const extensions = cache instanceof RedisFeatureCache ? cache.extensions : [];
  const index = extensions.find((e): e is ProvenanceIndex => e instanceof ProvenanceIndex);
  if (!index) throw new Error('the cache has no provenance index');
  const deps = { index, peekMany: (ids: string[]) => cache.getMany(ids), extract: extractQueryFeatures };
  return (query, options, arm) => searchProvenance(deps, query, options, schedules[arm]);
}

/** The arms in the order query `n` runs them (alternating, so neither always pays a cold cache or a load spike first). */
export const armOrder = (n: number): AbArm[] => (n % 2 === 0 ? ['old', 'new'] : ['new', 'old']);

/** p50 / p95 / p99 of each arm and the ratios new / old. */
export function abLatency(ms: Record<AbArm, number[]>) {
  const q = (arm: AbArm, p: number) => round(quantile(ms[arm], p));
  const row = (arm: AbArm) => ({ p50_ms: q(arm, 0.5), p95_ms: q(arm, 0.95), p99_ms: q(arm, 0.99) });
  const ratio = (p: number) => round(quantile(ms.new, p) / quantile(ms.old, p), 3);
  // per query: new / old of the same query, then its median (less sensitive to load drifting between queries)
  const paired = ms.new.map((v, i) => v / ms.old[i]!);
  return { old: row('old'), new: row('new'), ratio_new_over_old: { p50: ratio(0.5), p95: ratio(0.95), p99: ratio(0.99), paired_median: round(quantile(paired, 0.5), 3) } };
}
