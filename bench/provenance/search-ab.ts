/**
 * Same-run A/B of searchProvenance's schedules for the scale bench (`--ab
 * [experiment]`): every query is searched with the experiment's `old` and `new`
 * schedule, alternating which goes first query by query, on the same index and
 * Redis. Experiments (AB_EXPERIMENTS): `schedule` (the default) — the one-batch
 * verification (`{ staged: false }`) against the staged one; `tier-gate` — the
 * texture-poor tier on every query (its 8 nearest) against the default, which
 * skips it for a textured query whose frame a verified candidate holds and
 * bounds it by signature distance for the other textured queries. On a loaded
 * machine absolute latencies say little; the ratios new / old of the same run
 * do. Recall does not depend on load.
 */
import type { FeatureCache, ProvenanceQuery, ProvenanceSearchOptions, ProvenanceSearchResult } from '../../src/index.js';
import { RedisFeatureCache } from '../../src/cache/feature-cache.js';
import { ProvenanceIndex } from '../../src/provenance/index/provenance-index.js';
import { extractQueryFeatures } from '../../src/provenance/index/query-features.js';
import { DEFAULT_VERIFY_SCHEDULE, searchProvenance, type VerifySchedule } from '../../src/provenance/index/search.js';
import { quantile, round } from './stats.js';

export type AbArm = 'old' | 'new';
export const AB_EXPERIMENTS = Object.freeze({
  schedule: { old: { ...DEFAULT_VERIFY_SCHEDULE, staged: false }, new: DEFAULT_VERIFY_SCHEDULE },
  'tier-gate': { old: { ...DEFAULT_VERIFY_SCHEDULE, tierGate: false }, new: DEFAULT_VERIFY_SCHEDULE },
  /** The donor tier without (`old`) and with (`new`) its region pass and donor-first order. */
  donors: { old: { ...DEFAULT_VERIFY_SCHEDULE, donorRegion: false }, new: DEFAULT_VERIFY_SCHEDULE },
} satisfies Record<string, Record<AbArm, VerifySchedule>>);
export type AbExperiment = keyof typeof AB_EXPERIMENTS;
export const isAbExperiment = (name: string): name is AbExperiment => Object.hasOwn(AB_EXPERIMENTS, name);

/** searchProvenance on `cache`'s provenance index with a chosen schedule (records read with getMany, alike for both arms). */
export function scheduledSearch(cache: FeatureCache, experiment: AbExperiment): (query: ProvenanceQuery, options: ProvenanceSearchOptions, arm: AbArm) => Promise<ProvenanceSearchResult> {
  const extensions = cache instanceof RedisFeatureCache ? cache.extensions : [];
  const index = extensions.find((e): e is ProvenanceIndex => e instanceof ProvenanceIndex);
  if (!index) throw new Error('the cache has no provenance index');
  const deps = { index, peekMany: (ids: string[]) => cache.getMany(ids), extract: extractQueryFeatures };
  return (query, options, arm) => searchProvenance(deps, query, options, AB_EXPERIMENTS[experiment][arm]);
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
