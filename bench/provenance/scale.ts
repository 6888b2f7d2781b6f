/**
 * npm run bench:provenance:scale — provenance search at scale (issue 14): the
 * mate-backgrounds photos plus generated distractors, up to 100,000 indexed
 * images, searched with edited copies and with small donors.
 *
 * 1. Distractors: drawn textures (drawn-textures.ts, 320 x 240), their features
 *    extracted by the worker pool and cached on disk (distractor-cache.ts): the
 *    first run extracts, reruns read. The npm script runs under `nice -n 10`.
 * 2. A private redis-server; a cache with the provenance index
 *    (`provenanceIndex: { expectedImages: --expected }`); the photos, then the
 *    distractors ingested with setMany in steps (default 10,000 / 30,000 /
 *    100,000 images). Per step:
 *    - ingest rate: images/s of setMany with the index maintained (features
 *      already extracted: extraction is not in it);
 *    - index bytes per image: MEMORY USAGE (SAMPLES 0) summed over every key of
 *      the index (SCAN of `<prefix>:@x:<version>:prov:*`) / indexed images;
 *      used_memory of INFO and the records' MEMORY USAGE beside it;
 *    - queries (scale-queries.ts): searchProvenance({ features, mirrored },
 *      { limit: 50, verify: 10 }) with the query features extracted beforehand
 *      (extractQueryFeatures, timed on its own): recall@10 / @50 of the true
 *      sources, latency p50/p99 (wall clock of the call: index reads, vote,
 *      verification of 10, donor tier), the call's own timings_ms;
 *    - postings read per query (first tier, identity + mirrored terms): the
 *      sizes of the buckets its terms name (HSTRLEN), on a sample of queries.
 * 3. bench/results/provenance-scale.json + a line of history.jsonl (writeResult).
 *
 * The texture-poor tier (docs/PROVENANCE.md): the photos and hosts are extracted
 * with `thumb`, and --smooth N (default 2,000; counted in --images) smooth
 * distractors (smooth-textures.ts, cached on disk like the drawn ones, with
 * `thumb`) are indexed with the photos, so the tier's false candidates are
 * measured. Every query runs twice, with and without the tier (alternating
 * which goes first): recall and latency of both, the per-query cost ratio, the
 * related candidates that are none of the query's sources (by tier), and the
 * rank by signature of each untextured source (the tier verifies the first 8).
 *
 * Options: --images N (default 100000), --steps a,b,c (default 10000,30000,N),
 * --expected N (index sizing, default --images), --build-only (extract the
 * distractors and stop), --quick (5,000 images in steps of 2,000 / 5,000),
 * --json <path> (a file of your own instead of bench/results), --ab [experiment]
 * (each query searched with the experiment's old and new schedule, alternating,
 * p50/p99 of each and their ratios: search-ab.ts; `schedule`, the default: the
 * one-batch against the staged verification; `tier-gate`: the texture-poor tier
 * on every query against the gated one).
 * The photos with fewer than 60 ORB keypoints (smooth gradients: Storm, Silk,
 * Spring, Waves, Arc-Colors, Blinds) cannot be found by descriptors: recall is
 * reported over all photos and over the textured ones.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createFeatureCache, FeatureCacheError, type Features, type ProvenanceQuery, type ProvenanceSearchResult } from '../../src/index.js';
import { createExtractionPool, type ExtractionPool } from '../../src/features/pool.js';
import type { OrbFeatures } from '../../src/features/orb.js';
import { startRedisProcess } from '../../src/redis/redis-process.js';
import { indexBase } from '../../src/redis/keys.js';
import { ProvenanceLayout } from '../../src/provenance/index/layout.js';
import { resolveProvenanceIndexOptions } from '../../src/provenance/index/options.js';
import { queryTerms } from '../../src/provenance/index/terms.js';
import { RESULTS_DIR, writeResult } from '../lib/report.js';
import { registrySignature, type RegisteredImage } from '../../src/provenance/index/texture-registry.js';
import { rankRegistered } from '../../src/provenance/index/texture-tier.js';
import { readThumb } from '../../src/provenance/thumb-input.js';
import { buildDistractors, cachedDistractors, cachedQueryFeatures, corpusDir, DEFAULT_DISTRACTORS, readDistractors, SCALE_THUMB_EXTRACTORS, SMOOTH_DISTRACTORS } from './distractor-cache.js';
import { ensurePhotos, loadPhotos, type Photo } from './photos.js';
import { buildQueries, distractorId, donorHostId, donorHostImage, photoId, type ScaleQuery } from './scale-queries.js';
import { AB_EXPERIMENTS, abLatency, armOrder, isAbExperiment, scheduledSearch, type AbArm, type AbExperiment } from './search-ab.js';
import { median, pct, quantile, round } from './stats.js';

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const quick = process.argv.includes('--quick');
const buildOnly = process.argv.includes('--build-only');
const IMAGES = Number(arg('images') ?? (quick ? 5000 : 100_000));
const STEPS = (arg('steps') ?? (quick ? '2000,5000' : `10000,30000,${IMAGES}`))
  .split(',')
  .map(Number)
  .filter((n) => n > 0 && n <= IMAGES);
const EXPECTED = Number(arg('expected') ?? IMAGES);
/** Texture-poor distractors (smooth-textures.ts), indexed with the photos; counted in --images. */
const SMOOTH = Number(arg('smooth') ?? (quick ? 1000 : 2000));
export const smoothId = (k: number) => `smooth:${k}`;
const jsonPath = arg('json');
/** Same-run A/B of two search schedules (search-ab.ts): `--ab [experiment]`, `schedule` by default. */
const ab = process.argv.includes('--ab');
const abName = arg('ab') !== undefined && !arg('ab')!.startsWith('--') ? arg('ab')! : 'schedule';
if (!isAbExperiment(abName)) throw new Error(`--ab: unknown experiment ${abName} (${Object.keys(AB_EXPERIMENTS).join(', ')})`);
const abExperiment: AbExperiment = abName;
/** Keypoints below which a photo counts as untextured (verification's "not enough texture"). */
const MIN_TEXTURE_KEYPOINTS = 60;
const SEARCH = Object.freeze({ limit: 50, verify: 10 });
/** The same search without the texture-poor tier: run beside SEARCH on every query (alternating which goes first). */
const SEARCH_NO_TIER = Object.freeze({ ...SEARCH, texturePoor: false });
const INGEST_BATCH = 500;
/** Every n-th query has its postings counted. */
const POSTINGS_SAMPLE_EVERY = 5;
const PREFIX = 'ps';
const VERSION = 'scale';
const log = (s: string) => process.stderr.write(`${s}\n`);
const loadNow = () => loadavg().map((v) => round(v));

interface Load {
  start: number[];
  steps: number[][];
  end?: number[];
}

interface PreparedQuery extends ScaleQuery {
  features: Features;
  mirrored: OrbFeatures;
  /** Per source: its photo has texture (>= MIN_TEXTURE_KEYPOINTS ORB keypoints). */
  textured: boolean[];
}

interface QueryOutcome {
  id: string;
  kind: string;
  textured: boolean[];
  ms: number;
  /** Rank (0-based) of each true source, -1 when absent. */
  ranks: number[];
  /** Per true source: `tier/verdict/votes` of its candidate, null when absent. */
  found?: Array<string | null>;
  extraRank?: number;
  timings: Record<string, number | undefined>;
  postings?: number;
  /** The error code when the search refused the query. */
  error?: string;
  /** Candidates verified related that are none of the query's sources (nor its extra), with their tier. */
  falseRelated?: Array<{ imageId: string; tier: string }>;
  /** Per untextured source: its rank by signature among the texture-poor registry (the tier verifies the first TEXTURE_TIER_VERIFY). */
  prefilterRanks?: number[];
}

async function scanSum(raw: Redis, match: string): Promise<{ keys: number; bytes: number }> {
  let cursor = '0';
  let keys = 0;
  let bytes = 0;
  do {
    const [next, batch] = await raw.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    for (const k of batch) {
      keys++;
      bytes += Number(await raw.call('MEMORY', 'USAGE', k, 'SAMPLES', '0'));
    }
  } while (cursor !== '0');
  return { keys, bytes };
}

async function usedMemory(raw: Redis): Promise<number> {
  const info = await raw.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

/** Postings in the buckets a query's first tier reads (identity + mirrored terms). */
async function postingsRead(raw: Redis, layout: ProvenanceLayout, q: PreparedQuery): Promise<number> {
  const orb = q.features.orb as OrbFeatures;
  const buckets = new Map<string, { key: string; field: Buffer }>();
  for (const terms of [queryTerms(orb.descriptors).terms, queryTerms(q.mirrored.descriptors).terms]) {
    for (const t of terms) {
      const key = layout.postingKey(layout.shardOf(t));
      const f = layout.fieldOf(t);
      const field = Buffer.alloc(2);
      field.writeUInt16BE(f);
      buckets.set(`${key}/${f}`, { key, field });
    }
  }
  const pipe = raw.pipeline();
  for (const b of buckets.values()) pipe.hstrlen(b.key, b.field);
  const replies = (await pipe.exec()) ?? [];
  return replies.reduce((a, [, n]) => a + Number(n) / 6, 0);
}

function recallRows(outcomes: QueryOutcome[]) {
  type Row = { queries: number; pairs: number; at10: number | null; at50: number | null; extra_at10?: number | null; extra_at50?: number | null };
  const rows: Record<string, Row> = {};
  const row = (key: string) => (rows[key] ??= { queries: 0, pairs: 0, at10: 0, at50: 0 });
  const pair = (key: string, rank: number) => {
    const r = row(key);
    r.pairs++;
    r.at10! += rank >= 0 && rank < 10 ? 1 : 0;
    r.at50! += rank >= 0 && rank < 50 ? 1 : 0;
  };
  for (const o of outcomes) {
    const group = o.kind === 'donor' ? 'donor' : 'single_edits';
    row(o.kind).queries++;
    o.ranks.forEach((rank, s) => {
      pair(o.kind, rank);
      pair(`${group}_all`, rank);
      pair(`${group}_${o.textured[s] ? 'textured' : 'untextured'}`, rank);
    });
    if (o.extraRank !== undefined) {
      const r = row(o.kind);
      r.extra_at10 = (r.extra_at10 ?? 0) + (o.extraRank >= 0 && o.extraRank < 10 ? 1 : 0);
      r.extra_at50 = (r.extra_at50 ?? 0) + (o.extraRank >= 0 && o.extraRank < 50 ? 1 : 0);
    }
  }
  for (const r of Object.values(rows)) {
    if (r.extra_at10 !== undefined) r.extra_at10 = pct(r.extra_at10!, r.queries);
    if (r.extra_at50 !== undefined) r.extra_at50 = pct(r.extra_at50!, r.queries);
    r.at10 = pct(r.at10!, r.pairs);
    r.at50 = pct(r.at50!, r.pairs);
  }
  return rows;
}

function latency(all: QueryOutcome[]) {
  const outcomes = all.filter((o) => o.error === undefined);
  const ms = outcomes.map((o) => o.ms);
  const part = (name: string) => round(median(outcomes.map((o) => o.timings[name] ?? 0)));
  return {
    queries: ms.length,
    p50_ms: round(quantile(ms, 0.5)),
    p95_ms: round(quantile(ms, 0.95)),
    p99_ms: round(quantile(ms, 0.99)),
    max_ms: round(Math.max(...ms)),
    refused: all.length - outcomes.length,
    median_parts_ms: { index: part('index'), verify: part('verify'), donors: part('donors'), appearance: part('appearance') },
  };
}

/** One timed search of a prepared query: the true sources' ranks (each source's tier and verdict beside them), and the related candidates that are none of its sources. */
async function runQuery(q: PreparedQuery, search: (query: ProvenanceQuery) => Promise<ProvenanceSearchResult>): Promise<QueryOutcome> {
  const t = performance.now();
  let r: ProvenanceSearchResult;
  try {
    r = await search({ features: q.features, mirrored: q.mirrored, image: q.image });
  } catch (err) {
    // a query the search refuses: a miss, not a latency
    if (!(err instanceof FeatureCacheError)) throw err;
    return { id: q.id, kind: q.kind, textured: q.textured, ms: NaN, ranks: q.sources.map(() => -1), timings: {}, error: err.code };
  }
  const ms = performance.now() - t;
  const ids = r.candidates.map((c) => c.imageId);
  const ranks = q.sources.map((s) => ids.indexOf(s));
  const found = ranks.map((k) => (k < 0 ? null : `${r.candidates[k]!.tier}/${r.candidates[k]!.verdict ?? 'unverified'}/${r.candidates[k]!.votes}`));
  const o: QueryOutcome = { id: q.id, kind: q.kind, textured: q.textured, ms, ranks, found, timings: r.timings_ms };
  if (q.extra) o.extraRank = ids.indexOf(q.extra.imageId);
  const allowed = new Set([...q.sources, ...(q.extra ? [q.extra.imageId] : [])]);
  o.falseRelated = r.candidates.filter((c) => c.verdict !== undefined && c.verdict !== 'unrelated' && !allowed.has(c.imageId)).map((c) => ({ imageId: c.imageId, tier: c.tier }));
  return o;
}

/** Per untextured source of the query: its rank by signature among the registered images (-1: not proposable). */
function prefilterRanks(q: PreparedQuery, registry: readonly RegisteredImage[]): number[] {
  const thumb = readThumb(q.features.thumb);
  if (!thumb) return [];
  const orb = q.features.orb as OrbFeatures | undefined;
  const ranked = rankRegistered({ thumb, keypoints: orb ? orb.keypoints.length / 2 : 0 }, registry, new Set()).map((r) => r.imageId);
  return q.sources.flatMap((s, i) => (q.textured[i] ? [] : [ranked.indexOf(s)]));
}

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** The slowest queries with their parts (timings_ms): where a p99 comes from. */
function slowest(outcomes: QueryOutcome[], n = 6) {
  return outcomes
    .filter((o) => o.error === undefined)
    .sort((a, b) => b.ms - a.ms)
    .slice(0, n)
    .map((o) => ({ id: o.id, ms: round(o.ms), timings: o.timings }));
}

/** The A/B of one step: latency per arm and ratios, recall per arm, the queries whose ranks differ. */
function abReport(arms: Record<AbArm, QueryOutcome[]>) {
  const ok = (o: QueryOutcome) => o.error === undefined;
  const both = arms.new.map((o, i) => [arms.old[i]!, o] as const).filter(([a, b]) => ok(a) && ok(b));
  return {
    experiment: abExperiment,
    latency: abLatency({ old: both.map(([a]) => a.ms), new: both.map(([, b]) => b.ms) }),
    median_parts_ms: { old: latency(arms.old).median_parts_ms, new: latency(arms.new).median_parts_ms },
    recall: { old: recallRows(arms.old), new: recallRows(arms.new) },
    slowest: { old: slowest(arms.old), new: slowest(arms.new) },
    rank_changes: both.filter(([a, b]) => a.ranks.join() !== b.ranks.join()).map(([a, b]) => ({ id: a.id, old: a.ranks, new: b.ranks, old_found: a.found, new_found: b.found })),
  };
}

async function main(): Promise<void> {
  const load: Load = { start: loadNow(), steps: [] };
  const spec = DEFAULT_DISTRACTORS;
  ensurePhotos(log);
  const photos = await loadPhotos();
  log(`${photos.length} photos, ${photos.length} donor hosts and ${SMOOTH} smooth distractors; ${IMAGES - 2 * photos.length - SMOOTH} drawn distractors in ${corpusDir(spec)} (${cachedDistractors(spec)} on disk); load average ${load.start.join(' ')}`);

  const pool = createExtractionPool({ size: 2, maxQueue: 64 });
  try {
    await run(photos, pool, load);
  } finally {
    await pool.close();
  }
}

async function run(photos: Photo[], pool: ExtractionPool, load: Load): Promise<void> {
  const spec = DEFAULT_DISTRACTORS;
  /** Indexed before the distractors: the photos, the donor queries' hosts and the smooth distractors. */
  const fixed = 2 * photos.length + SMOOTH;
  const distractorCount = IMAGES - fixed;
  const build = { built: 0, seconds: 0 };
  const buildUpTo = async (n: number) => {
    const b = await buildDistractors(spec, n, pool, log);
    build.built += b.built;
    build.seconds += b.seconds;
  };
  if (buildOnly) return buildUpTo(distractorCount);
  const photoFeatures = await Promise.all(photos.map(async (p) => (await pool.extract(p.data, { extractors: SCALE_THUMB_EXTRACTORS })) as Features));
  const hostFeatures = await Promise.all(photos.map(async (_, i) => (await pool.extract(await donorHostImage(i), { extractors: SCALE_THUMB_EXTRACTORS })) as Features));
  const smoothBuild = await buildDistractors(SMOOTH_DISTRACTORS, SMOOTH, pool, log);
  const smoothFeatures = [...readDistractors(SMOOTH_DISTRACTORS, 0, SMOOTH)].flat();
  // what the texture-poor registry holds (the drawn distractors have no thumb): for the prefilter ranks
  const registry: RegisteredImage[] = [
    ...photos.map((p, i) => ({ imageId: photoId(p), features: photoFeatures[i]! })),
    ...photos.map((_, i) => ({ imageId: donorHostId(i), features: hostFeatures[i]! })),
    ...smoothFeatures.map((d) => ({ imageId: smoothId(d.k), features: d.features })),
  ].flatMap((r) => {
    const signature = registrySignature(r.features);
    return signature ? [{ imageId: r.imageId, signature }] : [];
  });
  log(`${SMOOTH} smooth distractors (${smoothBuild.built} extracted now); ${registry.length} images texture-poor (registered)`);
  const keypoints = photoFeatures.map((f) => (f.orb as OrbFeatures).keypoints.length / 2);
  const textured = keypoints.map((k) => k >= MIN_TEXTURE_KEYPOINTS);

  // queries: their features extracted up front (timed), so the search figures are the search's
  const raw0 = await buildQueries(photos);
  const extractMs: number[] = [];
  const queries: PreparedQuery[] = [];
  for (const q of raw0) {
    const { features, mirrored, ms } = await cachedQueryFeatures(q.image);
    if (ms !== null) extractMs.push(ms);
    queries.push({ ...q, features, mirrored, textured: q.sourcePhotos.map((i) => textured[i]!) });
  }
  log(`${queries.length} queries prepared (${extractMs.length} extracted now, p50 ${round(median(extractMs))} ms; the others read from disk)`);

  const dir = mkdtempSync(join(tmpdir(), 'featcache-provenance-scale-'));
  const redis = await startRedisProcess({ dir, config: { appendonly: 'no', save: '' } });
  const raw = new Redis(redis.port, '127.0.0.1');
  const indexOptions = { expectedImages: EXPECTED };
  const layout = new ProvenanceLayout(PREFIX, VERSION, resolveProvenanceIndexOptions(indexOptions));
  const cache = await createFeatureCache({
    redis: redis.url,
    prefix: PREFIX,
    featureVersion: VERSION,
    commandTimeoutMs: 120_000,
    provenanceIndex: indexOptions,
  });
  const abSearch = scheduledSearch(cache, abExperiment);
  const steps: unknown[] = [];
  let ingestMs = 0;
  let indexedSoFar = 0;
  /** The report so far (`complete: false` while steps remain: written after every step). */
  const report = (complete: boolean) => ({
    complete,
    date: new Date().toISOString(),
    quick,
    load_average: load,
    corpus: {
      photos: photos.length,
      donor_hosts: photos.length,
      photo_keypoints: Object.fromEntries(photos.map((p, i) => [p.name, keypoints[i]])),
      textured_photos: textured.filter(Boolean).length,
      smooth_distractors: { ...SMOOTH_DISTRACTORS, count: SMOOTH, extracted_this_run: smoothBuild.built, extraction_seconds: round(smoothBuild.seconds, 1), dir: corpusDir(SMOOTH_DISTRACTORS) },
      texture_poor_registered: registry.length,
      distractors: { ...spec, count: distractorCount, extracted_this_run: build.built, extraction_seconds: round(build.seconds, 1) },
    },
    index_options: indexOptions,
    search_options: SEARCH,
    search_options_without_tier: SEARCH_NO_TIER,
    queries: { count: queries.length, extracted_this_run: extractMs.length, extraction_p50_ms: round(median(extractMs)), extraction_p99_ms: round(quantile(extractMs, 0.99)) },
    ingest_images_per_s: round(indexedSoFar / (ingestMs / 1000), 1),
    steps,
  });
  try {
    const memoryBefore = await usedMemory(raw);
    const t0 = performance.now();
    await cache.setMany([
      ...photos.map((p, i) => ({ imageId: photoId(p), features: photoFeatures[i]! })),
      ...photos.map((_, i) => ({ imageId: donorHostId(i), features: hostFeatures[i]! })),
    ]);
    for (let b = 0; b < smoothFeatures.length; b += INGEST_BATCH) {
      await cache.setMany(smoothFeatures.slice(b, b + INGEST_BATCH).map((d) => ({ imageId: smoothId(d.k), features: d.features })));
    }
    ingestMs += performance.now() - t0;
    let indexed = fixed;
    for (const step of STEPS) {
      const from = indexed - fixed;
      const to = step - fixed;
      await buildUpTo(to);
      let stepMs = 0;
      for (const shard of readDistractors(spec, from, to)) {
        for (let b = 0; b < shard.length; b += INGEST_BATCH) {
          const batch = shard.slice(b, b + INGEST_BATCH).map((d) => ({ imageId: distractorId(d.k), features: d.features }));
          const t = performance.now();
          await cache.setMany(batch);
          stepMs += performance.now() - t;
        }
      }
      ingestMs += stepMs;
      const added = step - indexed;
      indexed = step;
      indexedSoFar = step;
      const index = await scanSum(raw, `${indexBase(PREFIX, VERSION)}prov:*`);
      const sampleRecords: number[] = [];
      for (let k = 0; k < Math.min(100, to); k++) sampleRecords.push(Number(await raw.call('MEMORY', 'USAGE', `${PREFIX}:${VERSION}:${distractorId(k)}`, 'SAMPLES', '0')));
      const used = await usedMemory(raw);
      const memory = {
        index_keys: index.keys,
        index_bytes: index.bytes,
        index_bytes_per_image: round(index.bytes / step, 1),
        record_bytes_median: median(sampleRecords),
        used_memory_bytes: used,
        used_memory_delta_per_image: round((used - memoryBefore) / step, 1),
      };
      log(`${step} images: ingest ${round(added / (stepMs / 1000), 1)} images/s; index ${memory.index_bytes_per_image} B/image (${index.keys} keys); used_memory ${round(used / 2 ** 20, 1)} MiB`);

      const outcomes: QueryOutcome[] = [];
      const outcomesNoTier: QueryOutcome[] = [];
      const abOutcomes: Record<AbArm, QueryOutcome[]> = { old: [], new: [] };
      for (const [n, q] of queries.entries()) {
        if (ab) {
          for (const arm of armOrder(n)) abOutcomes[arm].push(await runQuery(q, (query) => abSearch(query, SEARCH, arm)));
          outcomes.push(abOutcomes.new.at(-1)!);
        } else {
          // with and without the texture-poor tier on every query, alternating which runs first (the load drifts)
          const order = n % 2 === 0 ? ([true, false] as const) : ([false, true] as const);
          for (const tier of order) {
            const o = await runQuery(q, (query) => cache.searchProvenance(query, tier ? SEARCH : SEARCH_NO_TIER));
            if (tier && o.error === undefined) o.prefilterRanks = prefilterRanks(q, registry);
            (tier ? outcomes : outcomesNoTier).push(o);
          }
        }
        const last = outcomes.at(-1)!;
        if (n % POSTINGS_SAMPLE_EVERY === 0 && last.error === undefined && q.features.orb) last.postings = await postingsRead(raw, layout, q);
      }
      const abRow = ab ? abReport(abOutcomes) : undefined;
      const recall = recallRows(outcomes);
      const falseRelated = outcomes.flatMap((o) => (o.falseRelated ?? []).map((f) => ({ query: o.id, ...f })));
      const untexturedRanks = outcomes.flatMap((o) => o.prefilterRanks ?? []);
      const postings = outcomes.flatMap((o) => (o.postings === undefined ? [] : [o.postings]));
      const stepLoad = loadNow();
      load.steps.push(stepLoad);
      const row = {
        images: step,
        load_average: stepLoad,
        ingest: { images: added, seconds: round(stepMs / 1000, 1), images_per_s: round(added / (stepMs / 1000), 1) },
        memory,
        latency: latency(outcomes),
        slowest: slowest(outcomes),
        without_tier: { latency: latency(outcomesNoTier), recall: recallRows(outcomesNoTier) },
        /** p50 of (with tier / without tier) per query: the tier's cost, load-independent-ish. */
        tier_cost_ratio_median: round(median(outcomes.flatMap((o, i) => { const other = outcomesNoTier[i]; return other && Number.isFinite(o.ms) && Number.isFinite(other.ms) ? [o.ms / other.ms] : []; })), 3),
        false_related: { count: falseRelated.length, by_tier: countBy(falseRelated.map((f) => f.tier)), list: falseRelated.slice(0, 50) },
        prefilter_ranks_of_untextured_sources: { pairs: untexturedRanks.length, within_8: untexturedRanks.filter((r) => r >= 0 && r < 8).length, ranks: untexturedRanks },
        postings_read: { sampled_queries: postings.length, median: Math.round(median(postings)), max: Math.round(Math.max(...postings)) },
        recall,
        misses: outcomes
          .filter((o) => o.ranks.some((r, i) => o.textured[i] && (r < 0 || r >= (o.kind === 'donor' ? 50 : 10))))
          .map((o) => ({ id: o.id, ranks: o.ranks, found: o.found })),
      };
      steps.push(abRow ? { ...row, ab: abRow } : row);
      if (abRow) log(`  A/B ${abExperiment} (old / new: search-ab.ts): ${JSON.stringify(abRow.latency)}; donors@50 old ${String(abRow.recall.old.donor_textured?.at50)}% new ${String(abRow.recall.new.donor_textured?.at50)}%; single edits textured @10 old ${String(abRow.recall.old.single_edits_textured?.at10)}% new ${String(abRow.recall.new.single_edits_textured?.at10)}%`);
      writeFileSync(jsonPath ?? join(RESULTS_DIR, 'provenance-scale.json'), `${JSON.stringify(report(false), null, 2)}\n`);
      log(
        `  recall@10 single edits (textured) ${String(recall.single_edits_textured?.at10)}% / all ${String(recall.single_edits_all?.at10)}% ` +
          `(without the tier ${String(row.without_tier.recall.single_edits_all?.at10)}%); false related ${falseRelated.length}; tier cost x${row.tier_cost_ratio_median}; ` +
          `donors@50 (textured) ${String(recall.donor_textured?.at50)}%; p50 ${row.latency.p50_ms} ms p99 ${row.latency.p99_ms} ms; postings read ~${row.postings_read.median}; load ${stepLoad.join(' ')}`,
      );
    }
    load.end = loadNow();
    const final = report(true);
    if (jsonPath !== undefined) writeFileSync(jsonPath, `${JSON.stringify(final, null, 2)}\n`);
    log(`written ${jsonPath ?? writeResult('provenance-scale', final)}`);
  } finally {
    await cache.close();
    raw.disconnect();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
