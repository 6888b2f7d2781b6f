/**
 * analyzeSet of ~1,000 images: in-process verification vs the worker pool, and
 * the same set again (every verdict from the pair cache); then why the edited
 * copies that are not grouped are missed (proposal stage or verification).
 *
 *   nice -n 10 npx tsx bench/provenance/analyze-set-pool.ts [--images 1000] [--copies 100]
 *
 * The set: the mate-backgrounds photos, `copies` of their edits (the same pick
 * as `npm run bench:provenance`), and the scale bench's drawn distractors read
 * from its on-disk cache (bench/provenance/distractor-cache.ts; they must have
 * been built: `bench/provenance/scale.ts --build-only`). Photos and edits are
 * extracted in the worker pool. Wall time, this process's CPU time (all threads)
 * and the load average are printed for each run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createFeatureCache, verifyFeatures, type Features } from '../../src/index.js';
import { createExtractionPool } from '../../src/features/pool.js';
import { startRedisProcess } from '../../src/redis/redis-process.js';
import { candidateInputOf, type AnalyzeSetOptions } from '../../src/provenance/analyze-set.js';
import { proposeCandidates } from '../../src/provenance/candidates.js';
import { addAppearanceCandidates } from '../../src/provenance/appearance-candidates.js';
import { mulberry32 } from '../lib/prng.js';
import { cachedDistractors, DEFAULT_DISTRACTORS, readDistractors } from './distractor-cache.js';
import { applyEdit, EDITS, NEEDS_DONOR, type EditName } from './edits.js';
import { ensurePhotos, loadPhotos } from './photos.js';
import { round } from './stats.js';
import { related } from './family.js';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const SET_SIZE = arg('images', 1000);
const SET_EDITS = arg('copies', 100);
const log = (s: string) => process.stderr.write(`${s}\n`);
const load = () => loadavg().map((v) => round(v, 1)).join(' ');

interface Item {
  id: string;
  family: number[];
  source?: number;
  edit?: EditName;
  data?: Buffer;
  features?: Features;
}

async function main(): Promise<void> {
  ensurePhotos(log);
  const photos = await loadPhotos();
  const items: Item[] = photos.map((p, i) => ({ id: `photo:${p.name}`, data: p.data, family: [i], source: i }));
  const edits: Item[] = [];
  for (let i = 0; i < photos.length; i++) {
    const donor = (i + 1) % photos.length;
    for (const e of EDITS) edits.push({ id: `edit:${photos[i]!.name}:${e}`, family: NEEDS_DONOR.has(e) ? [i, donor] : [i], source: i, edit: e });
  }
  // the same pick as bench/provenance/run.ts
  const pick = mulberry32(7);
  const chosen = [...edits].sort(() => pick() - 0.5).slice(0, SET_EDITS);
  for (const e of chosen) {
    const i = e.source!;
    e.data = await applyEdit(e.edit!, photos[i]!.data, photos[(i + 1) % photos.length]!.data, { seed: i + 1 });
  }
  const need = SET_SIZE - items.length - chosen.length;
  if (cachedDistractors(DEFAULT_DISTRACTORS) < need) throw new Error(`need ${need} cached distractors: run bench/provenance/scale.ts --build-only`);
  const distractors: Item[] = [];
  for (const part of readDistractors(DEFAULT_DISTRACTORS, 0, need)) {
    for (const d of part) distractors.push({ id: `distractor:${d.k}`, family: [-1 - d.k], features: d.features });
  }

  const pool = createExtractionPool({ size: 2, maxQueue: 256 });
  const dir = mkdtempSync(join(tmpdir(), 'featcache-analyze-pool-'));
  const redis = await startRedisProcess({ dir });
  const raw = new Redis(redis.url);
  const cache = await createFeatureCache({ redis: redis.url, prefix: 'ap', commandTimeoutMs: 60_000, trackExpiry: false });
  try {
    log(`extracting ${items.length + chosen.length} photos and edits (load ${load()})...`);
    await Promise.all([...items, ...chosen].map(async (it) => (it.features = (await pool.extract(it.data!)) as unknown as Features)));
    const set = [...items, ...chosen, ...distractors];
    await cache.setMany(set.map((it) => ({ imageId: it.id, features: it.features! })));
    const ids = set.map((it) => it.id);
    const forget = async () => {
      const keys = await raw.keys('ap:@p:*');
      if (keys.length > 0) await raw.unlink(...keys);
    };
    const runs: Array<{ name: string; seconds: number; cpu_seconds: number; candidates: number; cached: number; load: string }> = [];
    const timedRun = async (name: string, opts: AnalyzeSetOptions) => {
      const loadBefore = load();
      const cpu0 = process.cpuUsage();
      const t = performance.now();
      const r = await cache.analyzeSet(ids, opts);
      const cpu = process.cpuUsage(cpu0);
      runs.push({ name, seconds: round((performance.now() - t) / 1000, 2), cpu_seconds: round((cpu.user + cpu.system) / 1e6, 2), candidates: r.stats.candidates, cached: r.stats.cached, load: `${loadBefore} -> ${load()}` });
      log(JSON.stringify(runs[runs.length - 1]));
      return r;
    };
    await forget();
    await timedRun('in-process', {});
    await forget();
    const result = await timedRun('worker pool (2)', { pool });
    await timedRun('again (pair cache)', { pool });

    // grouping, and why the copies not grouped are missed
    const byId = new Map(set.map((it) => [it.id, it]));
    const groupOf = new Map<string, number>();
    result.groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    const index = new Map(set.map((it, i) => [it.id, i]));
    const proposals = await addAppearanceCandidates(await proposeCandidates(set.map((it) => candidateInputOf(it.features!))), set.map((it) => it.features!));
    const proposed = new Set(proposals.map((c) => `${c.a},${c.b}`));
    const missed = chosen.filter((e) => !(groupOf.has(e.id) && groupOf.get(e.id) === groupOf.get(items[e.source!]!.id)));
    const wrong = result.edges.filter((e) => !related(byId.get(e.a)!, byId.get(e.b)!));
    log(`grouped ${chosen.length - missed.length}/${chosen.length} copies with their source; ${wrong.length} unrelated edges; ${result.groups.length} groups`);
    const orbCount = (f: Features) => ((f.orb as { descriptors?: Uint8Array } | undefined)?.descriptors?.length ?? 0) / 32;
    for (const e of missed) {
      const src = items[e.source!]!;
      const a = index.get(src.id)!;
      const b = index.get(e.id)!;
      const wasProposed = proposed.has(`${Math.min(a, b)},${Math.max(a, b)}`);
      const v = verifyFeatures(src.features!, e.features!);
      log(`  miss ${e.id}: proposed ${wasProposed}; keypoints ${orbCount(src.features!)} / ${orbCount(e.features!)}; verify ${v.verdict} (${v.inliers} inliers) ${v.reasons.join('; ')}`);
    }
  } finally {
    await cache.close();
    raw.disconnect();
    await redis.stop();
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
