/**
 * npm run bench:provenance — provenance on real photographs (Debian's
 * mate-backgrounds, ~1 MP each) and their edits: crop keeping 70% / 50%, rotate
 * 10° / 90°, mirror, overlay (a patch of another photo), splice (halves of two
 * photos), scale 0.5, JPEG q50. Measures, in one run:
 *  - recall per edit of verifyFeatures (ORB + RANSAC fused with the hashes) and of
 *    pHash alone (distance <= 10), on the same (source, edit) pairs;
 *  - false positives over every unrelated pair of the set (both methods);
 *  - ORB extraction ms per megapixel (median of runs; pHash-only extraction as the baseline);
 *  - bytes per record in Redis (MEMORY USAGE), with and without ORB;
 *  - verification ms per pair (p50/p95, related and unrelated pairs);
 *  - 90° rotations and mirrors found by the exact hash search with orientations 'all';
 *  - analyzeSet of 1,000 images (100 edited copies, the photos, seeded generated
 *    distractors): seconds (median of runs), edited copies grouped with their
 *    source, unrelated images merged.
 * --graph runs the provenance-graph part instead (bench/provenance/graph.ts: synthetic edit histories, SimNO/SimLO/SimNLO).
 * Options: --quick (fewer runs, 300 images, a sample of the unrelated pairs),
 * --json <path> (default: bench/results/provenance.json plus a line of history.jsonl).
 * Run it on a quiet machine: it prints the load average beside the figures.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeResult } from '../lib/report.js';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createFeatureCache, verifyFeatures, type Features, type VerifyResult } from '../../src/index.js';
import { extractFeatures, hammingDistance } from '../../src/features/index.js';
import { extractionFeatureVersion } from '../../src/features/extractors.js';
import { createExtractionPool, type ExtractionPool } from '../../src/features/pool.js';
import { startRedisProcess } from '../../src/redis/redis-process.js';
import { mulberry32 } from '../lib/prng.js';
import { proposeCandidates } from '../../src/provenance/candidates.js';
import { addAppearanceCandidates } from '../../src/provenance/appearance-candidates.js';
import { candidateInputOf } from '../../src/provenance/analyze-set.js';
import { MIN_TEXTURE_KEYPOINTS } from '../../src/provenance/thresholds.js';
import { applyEdit, EDITS, NEEDS_DONOR, type EditName } from './edits.js';
import { ensurePhotos, loadPhotos } from './photos.js';
import { median, pct, quantile, round } from './stats.js';
import { texturedImage } from './textures.js';
import { related, unrelatedPairs as unrelatedPairsOf } from './family.js';

const quick = process.argv.includes('--quick');
const jsonAt = process.argv.indexOf('--json');
const jsonPath = jsonAt > 0 ? process.argv[jsonAt + 1] : undefined;
const PHASH_RADIUS = 10;
const RUNS = quick ? 1 : 3;
const SET_SIZE = quick ? 300 : 1000;
const SET_EDITS = quick ? 40 : 100;
const FP_SAMPLE = quick ? 2000 : Number.POSITIVE_INFINITY;
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Item {
  id: string;
  data: Buffer;
  /** Indexes of the photos whose content the image holds. */
  family: number[];
  source?: number;
  edit?: EditName;
  features?: Features;
}


async function eachLimited<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  }));
}

async function extractAll(pool: ExtractionPool, items: Item[], label: string): Promise<void> {
  let done = 0;
  await eachLimited(items, pool.size * 2, async (it) => {
    it.features = await pool.extract(it.data);
    if (++done % 100 === 0) log(`  ${label}: ${done}/${items.length}`);
  });
}

/**
 * The features verification read before the same-frame appearance step for two
 * textured images (verify13): without `thumb` when neither image is texture-poor
 * (the old path never read it for them), else unchanged. Timing both per pair,
 * alternating which runs first, gives the step's cost as a ratio in the same run.
 */
function oldPathInputs(a: Features, b: Features): [Features, Features] {
  const poor = (f: Features) => ((f.orb as { keypoints?: Uint16Array } | undefined)?.keypoints?.length ?? 0) / 2 < MIN_TEXTURE_KEYPOINTS;
  if (poor(a) || poor(b)) return [a, b];
  const { thumb: _ta, ...ra } = a;
  const { thumb: _tb, ...rb } = b;
  return [ra, rb];
}

/** Verifies a pair with the current path and the old one (alternating which goes first), timing both. */
function timedBoth(a: Features, b: Features, k: number): { value: VerifyResult; ms: number; oldMs: number } {
  const [oa, ob] = oldPathInputs(a, b);
  const run = () => timed(() => verifyFeatures(a, b));
  const old = () => timed(() => verifyFeatures(oa, ob)).ms;
  if (k % 2 === 0) {
    const r = run();
    return { ...r, oldMs: old() };
  }
  const oldMs = old();
  return { ...run(), oldMs };
}

function timed<T>(fn: () => T): { value: T; ms: number } {
  const t = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t };
}

async function main(): Promise<void> {
  const load: { start: number[]; end?: number[] } = { start: loadavg().map((v) => round(v)) };
  ensurePhotos(log);
  const photos = await loadPhotos();
  log(`${photos.length} photos, ~${round(median(photos.map((p) => p.megapixels)))} MP each; load average ${load.start.join(' ')}`);

  // sources and their edits (the donor of an overlay or a splice is the next photo)
  const items: Item[] = photos.map((p, i) => ({ id: `photo:${p.name}`, data: p.data, family: [i], source: i }));
  const edits: Item[] = [];
  for (let i = 0; i < photos.length; i++) {
    const donor = (i + 1) % photos.length;
    for (const e of EDITS) {
      const data = await applyEdit(e, photos[i]!.data, photos[donor]!.data, { seed: i + 1 });
      edits.push({ id: `edit:${photos[i]!.name}:${e}`, data, family: NEEDS_DONOR.has(e) ? [i, donor] : [i], source: i, edit: e });
    }
  }
  const all = [...items, ...edits];
  const pool = createExtractionPool({ size: 2, maxQueue: 64 });
  log(`extracting ${all.length} images...`);
  await extractAll(pool, all, 'photos and edits');

  // 1. extraction cost per megapixel: ORB alone, pHash alone as the baseline (in process, one core)
  // wall time and this process's CPU time (process.cpuUsage: what one core spends, less load-sensitive)
  const perMp = { orb: [] as number[], phash: [] as number[] };
  const cpuPerMp = { orb: [] as number[], phash: [] as number[] };
  for (let run = 0; run < RUNS; run++) {
    for (const [name, extractors] of [['orb', ['orb']], ['phash', ['phash']]] as const) {
      let ms = 0;
      let mp = 0;
      const cpu0 = process.cpuUsage();
      for (const p of photos) {
        const t = performance.now();
        await extractFeatures(p.data, { extractors: [...extractors] });
        ms += performance.now() - t;
        mp += p.megapixels;
      }
      const cpu = process.cpuUsage(cpu0);
      perMp[name].push(ms / mp);
      cpuPerMp[name].push((cpu.user + cpu.system) / 1000 / mp);
    }
  }
  const extraction = {
    orb_ms_per_mp: round(median(perMp.orb), 1),
    orb_cpu_ms_per_mp: round(median(cpuPerMp.orb), 1),
    phash_ms_per_mp: round(median(perMp.phash), 1),
    phash_cpu_ms_per_mp: round(median(cpuPerMp.phash), 1),
    orb_over_phash: round(median(perMp.orb) / median(perMp.phash), 2),
    runs: RUNS,
  };
  log(`extraction: ORB ${extraction.orb_ms_per_mp} ms/MP (CPU ${extraction.orb_cpu_ms_per_mp}), pHash ${extraction.phash_ms_per_mp} ms/MP (CPU ${extraction.phash_cpu_ms_per_mp})`);

  // 2. recall per edit, verification vs pHash
  const relatedMs: number[] = [];
  const relatedOldMs: number[] = [];
  const recall: Record<string, { pairs: number; verify: number | null; phash: number | null; verdicts: Record<string, number> }> = {};
  const misses: Array<{ pair: string; reasons: string[] }> = [];
  for (const e of edits) {
    const src = items[e.source!]!;
    const { value: r, ms, oldMs } = timedBoth(src.features!, e.features!, relatedMs.length);
    relatedMs.push(ms);
    relatedOldMs.push(oldMs);
    const d = hammingDistance(src.features!.phash as string, e.features!.phash as string);
    const row = (recall[e.edit!] ??= { pairs: 0, verify: 0, phash: 0, verdicts: {} });
    row.pairs++;
    row.verify! += r.verdict !== 'unrelated' ? 1 : 0;
    row.phash! += d <= PHASH_RADIUS ? 1 : 0;
    row.verdicts[r.verdict] = (row.verdicts[r.verdict] ?? 0) + 1;
    if (r.verdict === 'unrelated') misses.push({ pair: e.id, reasons: r.reasons });
  }
  let vHit = 0;
  let pHit = 0;
  for (const row of Object.values(recall)) {
    vHit += row.verify!;
    pHit += row.phash!;
    row.verify = pct(row.verify!, row.pairs);
    row.phash = pct(row.phash!, row.pairs);
  }
  const recallAll = { pairs: edits.length, verify: pct(vHit, edits.length), phash: pct(pHit, edits.length) };
  log(`recall: verify ${recallAll.verify}% / pHash ${recallAll.phash}% over ${edits.length} pairs`);

  // 3. false positives over the unrelated pairs
  const unrelatedPairs = [...unrelatedPairsOf(all)];
  const rand = mulberry32(42);
  const sample = Number.isFinite(FP_SAMPLE) ? unrelatedPairs.filter(() => rand() < FP_SAMPLE / unrelatedPairs.length) : unrelatedPairs;
  log(`verifying ${sample.length} unrelated pairs...`);
  const unrelatedMs: number[] = [];
  const unrelatedOldMs: number[] = [];
  const falsePositives: Array<{ a: string; b: string; verdict: string; reasons: string[] }> = [];
  let phashFp = 0;
  for (const [i, j] of sample) {
    const a = all[i]!;
    const b = all[j]!;
    const { value: r, ms, oldMs } = timedBoth(a.features!, b.features!, unrelatedMs.length);
    unrelatedMs.push(ms);
    unrelatedOldMs.push(oldMs);
    if (r.verdict !== 'unrelated') falsePositives.push({ a: a.id, b: b.id, verdict: r.verdict, reasons: r.reasons });
    if (hammingDistance(a.features!.phash as string, b.features!.phash as string) <= PHASH_RADIUS) phashFp++;
  }
  const fp = {
    pairs: sample.length,
    verify: falsePositives.length,
    phash: phashFp,
    verify_per_10k: round((falsePositives.length * 10_000) / Math.max(1, sample.length), 2),
    examples: falsePositives.slice(0, 10),
  };
  const verification = {
    related_p50_ms: round(quantile(relatedMs, 0.5)),
    related_p95_ms: round(quantile(relatedMs, 0.95)),
    unrelated_p50_ms: round(quantile(unrelatedMs, 0.5)),
    unrelated_p95_ms: round(quantile(unrelatedMs, 0.95)),
    // the path before the same-frame step for textured pairs, timed in the same loop
    old_path_related_p50_ms: round(quantile(relatedOldMs, 0.5)),
    old_path_unrelated_p50_ms: round(quantile(unrelatedOldMs, 0.5)),
    related_p50_over_old: round(quantile(relatedMs, 0.5) / quantile(relatedOldMs, 0.5), 3),
    unrelated_p50_over_old: round(quantile(unrelatedMs, 0.5) / quantile(unrelatedOldMs, 0.5), 3),
  };
  log(`false positives: ${fp.verify} / ${fp.pairs} (pHash ${fp.phash}); verification p50 ${verification.related_p50_ms} ms related, ${verification.unrelated_p50_ms} ms unrelated (x${verification.related_p50_over_old} / x${verification.unrelated_p50_over_old} of the old path)`);

  // 4. Redis: bytes per record, orientations search, analyzeSet
  const dir = mkdtempSync(join(tmpdir(), 'featcache-provenance-bench-'));
  const redis = await startRedisProcess({ dir, config: { appendonly: 'no', save: '' } });
  const raw = new Redis(redis.port, '127.0.0.1');
  const version = extractionFeatureVersion('bench');
  // generous timeouts: the bench also runs on busy machines
  const common = { redis: redis.url, prefix: 'pb', commandTimeoutMs: 60_000, batchSize: 50 };
  const cache = await createFeatureCache({ ...common, featureVersion: version, similarity: { fields: ['phash'] } });
  try {
    await cache.setMany(all.map((it) => ({ imageId: it.id, features: it.features! })));
    const bytes: number[] = [];
    for (const p of items) bytes.push(Number(await raw.call('MEMORY', 'USAGE', `pb:${version}:${p.id}`, 'SAMPLES', '0')));
    const noOrb = await createFeatureCache({ ...common, featureVersion: 'bench-noorb' });
    await noOrb.setMany(items.map((it) => {
      const { orb: _orb, ...rest } = it.features!;
      return { imageId: it.id, features: rest };
    }));
    const bytesNoOrb: number[] = [];
    for (const p of items) bytesNoOrb.push(Number(await raw.call('MEMORY', 'USAGE', `pb:bench-noorb:${p.id}`, 'SAMPLES', '0')));
    await noOrb.close();
    const memory = { record_bytes_median: median(bytes), record_bytes_max: Math.max(...bytes), without_orb_median: median(bytesNoOrb) };
    log(`Redis: ${memory.record_bytes_median} B per record (max ${memory.record_bytes_max}), ${memory.without_orb_median} B without ORB`);

    // exact search with every orientation: 90° rotations and mirrors
    const orientations: Record<string, { pairs: number; found_all: number | null; found_identity: number | null }> = {};
    for (const e of edits.filter((x) => x.edit === 'rotate90' || x.edit === 'mirror')) {
      const row = (orientations[e.edit!] ??= { pairs: 0, found_all: 0, found_identity: 0 });
      const src = items[e.source!]!.id;
      const withAll = await cache.searchSimilar({ imageId: e.id }, { maxDistance: PHASH_RADIUS, limit: 20, orientations: 'all' });
      const plain = await cache.searchSimilar({ imageId: e.id }, { maxDistance: PHASH_RADIUS, limit: 20 });
      row.pairs++;
      row.found_all! += withAll.neighbors.some((n) => n.imageId === src) ? 1 : 0;
      row.found_identity! += plain.neighbors.some((n) => n.imageId === src) ? 1 : 0;
    }
    for (const row of Object.values(orientations)) {
      row.found_all = pct(row.found_all!, row.pairs);
      row.found_identity = pct(row.found_identity!, row.pairs);
    }
    log(`orientations 'all': ${JSON.stringify(orientations)}`);

    // analyzeSet over SET_SIZE images: the photos, SET_EDITS edited copies, generated distractors
    const pick = mulberry32(7);
    const chosen = [...edits].sort(() => pick() - 0.5).slice(0, SET_EDITS);
    const distractorCount = SET_SIZE - items.length - chosen.length;
    log(`generating and extracting ${distractorCount} distractors...`);
    const distractors: Item[] = [];
    for (let k = 0; k < distractorCount; k++) {
      distractors.push({ id: `generated:${k}`, data: await texturedImage(1000 + k, { format: 'jpeg' }), family: [-1 - k] });
    }
    await extractAll(pool, distractors, 'distractors');
    await cache.setMany(distractors.map((it) => ({ imageId: it.id, features: it.features! })));
    const set = [...items, ...chosen, ...distractors];
    const byId = new Map(set.map((it) => [it.id, it]));
    const seconds: number[] = [];
    // analyzeSet caches its verdicts (pair-cache.ts): each timed run starts without them, so it measures verification
    const forgetVerdicts = async () => {
      const keys = await raw.keys('pb:@p:*');
      if (keys.length > 0) await raw.unlink(...keys);
    };
    // verification in the worker pool, as the service and `featcache dedup` run it
    let result = await cache.analyzeSet(set.map((it) => it.id), { pool });
    for (let run = 0; run < RUNS; run++) {
      await forgetVerdicts();
      const t = performance.now();
      result = await cache.analyzeSet(set.map((it) => it.id), { pool });
      seconds.push((performance.now() - t) / 1000);
    }
    // the proposal stage alone: are the (source, edit) pairs among the candidates?
    const index = new Map(set.map((it, i) => [it.id, i]));
    // analyzeSet's own proposal: the cheap evidence plus the appearance pairs
    const proposed = await addAppearanceCandidates(await proposeCandidates(set.map((it) => candidateInputOf(it.features!))), set.map((it) => it.features!));
    const proposedKeys = new Set(proposed.map((c) => `${c.a},${c.b}`));
    const proposedEdits = chosen.filter((e) => {
      const a = index.get(items[e.source!]!.id)!;
      const b = index.get(e.id)!;
      return proposedKeys.has(`${Math.min(a, b)},${Math.max(a, b)}`);
    }).length;
    const groupOf = new Map<string, number>();
    result.groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    const withSource = (e: Item) => groupOf.has(e.id) && groupOf.get(e.id) === groupOf.get(items[e.source!]!.id);
    const editsWithSource = chosen.filter(withSource).length;
    const wrongEdges = result.edges.filter((e) => !related(byId.get(e.a)!, byId.get(e.b)!));
    const analyze = {
      images: set.length,
      edited_copies: chosen.length,
      seconds_median: round(median(seconds), 2),
      runs: RUNS,
      candidates: result.stats.candidates,
      edited_copies_proposed: proposedEdits,
      pairs: (set.length * (set.length - 1)) / 2,
      groups: result.groups.length,
      edited_copies_with_source: editsWithSource,
      copies_not_grouped: chosen.filter((e) => !withSource(e)).map((e) => e.id),
      unrelated_edges: wrongEdges.length,
      unrelated_edge_examples: wrongEdges.slice(0, 10),
      distractors_grouped: distractors.filter((d) => groupOf.has(d.id)).length,
    };
    log(`analyzeSet: ${analyze.images} images in ${analyze.seconds_median} s (${analyze.candidates} candidates), ${editsWithSource}/${chosen.length} copies with their source, ${wrongEdges.length} unrelated edges`);

    load.end = loadavg().map((v) => round(v));
    const report = {
      date: new Date().toISOString(),
      quick,
      load_average: load,
      photos: photos.length,
      edits: EDITS,
      phash_radius: PHASH_RADIUS,
      extraction,
      recall: { all: recallAll, per_edit: recall, misses },
      false_positives: fp,
      verification_ms: verification,
      memory,
      orientations,
      analyze_set: analyze,
    };
    // --json <file>: a file of your own; otherwise the latest result plus a line of history.jsonl
    if (jsonPath !== undefined) writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    const written = jsonPath ?? writeResult('provenance', report);
    printSummary(report);
    log(`written ${written}`);
  } finally {
    await cache.close();
    raw.disconnect();
    await redis.stop();
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Recall = { pairs: number | null; verify: number | null; phash: number | null };
/** The fields of the report the summary prints. */
interface SummaryReport {
  load_average: { start: number[]; end?: number[] };
  recall: { all: Recall; per_edit: Record<string, Recall> };
  false_positives: { verify: number | null; phash: number | null; pairs: number | null };
  extraction: { orb_ms_per_mp: number | null; orb_cpu_ms_per_mp: number | null; phash_ms_per_mp: number | null; orb_over_phash: number | null };
  verification_ms: {
    related_p50_ms: number | null;
    related_p95_ms: number | null;
    unrelated_p50_ms: number | null;
    unrelated_p95_ms: number | null;
    related_p50_over_old?: number | null;
    unrelated_p50_over_old?: number | null;
  };
  memory: { record_bytes_median: number | null; record_bytes_max: number | null; without_orb_median: number | null };
  orientations: unknown;
  analyze_set: {
    images: number | null;
    seconds_median: number | null;
    edited_copies_with_source: number | null;
    edited_copies: number | null;
    edited_copies_proposed: number | null;
    candidates: number | null;
    pairs: number | null;
    unrelated_edges: number | null;
  };
}

function printSummary(r: SummaryReport): void {
  const lines = [`provenance bench (load average ${r.load_average.start.join(' ')} -> ${(r.load_average.end ?? []).join(' ')})`, '', 'edit        pairs  verify%  pHash<=10%'];
  for (const [edit, row] of Object.entries(r.recall.per_edit)) {
    lines.push(`${edit.padEnd(10)}  ${String(row.pairs).padStart(5)}  ${String(row.verify).padStart(7)}  ${String(row.phash).padStart(10)}`);
  }
  lines.push(`${'all'.padEnd(10)}  ${String(r.recall.all.pairs).padStart(5)}  ${String(r.recall.all.verify).padStart(7)}  ${String(r.recall.all.phash).padStart(10)}`);
  lines.push(
    '',
    `false positives: verify ${String(r.false_positives.verify)}, pHash ${String(r.false_positives.phash)} of ${String(r.false_positives.pairs)} unrelated pairs`,
    `extraction: ORB ${String(r.extraction.orb_ms_per_mp)} ms/MP wall, ${String(r.extraction.orb_cpu_ms_per_mp)} CPU (pHash ${String(r.extraction.phash_ms_per_mp)} ms/MP, x${String(r.extraction.orb_over_phash)})`,
    `verification: related p50 ${String(r.verification_ms.related_p50_ms)} / p95 ${String(r.verification_ms.related_p95_ms)} ms, unrelated p50 ${String(r.verification_ms.unrelated_p50_ms)} / p95 ${String(r.verification_ms.unrelated_p95_ms)} ms`,
    `verification p50 over the old path (same run, alternating): related x${String(r.verification_ms.related_p50_over_old)}, unrelated x${String(r.verification_ms.unrelated_p50_over_old)}`,
    `Redis: ${String(r.memory.record_bytes_median)} B per record (max ${String(r.memory.record_bytes_max)}; ${String(r.memory.without_orb_median)} B without ORB)`,
    `orientations 'all': ${JSON.stringify(r.orientations)}`,
    `analyzeSet: ${String(r.analyze_set.images)} images in ${String(r.analyze_set.seconds_median)} s; ${String(r.analyze_set.edited_copies_with_source)}/${String(r.analyze_set.edited_copies)} copies with their source (${String(r.analyze_set.edited_copies_proposed)} proposed); ${String(r.analyze_set.unrelated_edges)} unrelated edges; ${String(r.analyze_set.candidates)} pairs verified of ${String(r.analyze_set.pairs)}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv.includes('--graph')) await import('./graph.js');
else {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
