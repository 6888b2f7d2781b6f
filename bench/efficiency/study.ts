/**
 * The cache-efficiency study: Zipf request streams over a key space larger than
 * Redis's maxmemory, read-through (a miss writes the record), under
 * volatile-lru and volatile-lfu. Hit rate in the measured window (after a
 * warm-up) beside the static optimum for the same capacity: the sum of the
 * popularities of the k most popular items, where k is the number of records
 * Redis actually held at the end of the run (counted, not assumed). Driven
 * through the library (getMany / setMany in batches), not HTTP, for speed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createFeatureCache } from '../../src/index.js';
import { startRedisProcess } from '../../src/redis/redis-process.js';
import { seedPayload } from '../lib/payloads.js';
import { zipf } from './zipf.js';

export type Policy = 'volatile-lru' | 'volatile-lfu';

export interface EfficiencyRun {
  policy: Policy;
  /** maxmemory-samples used. */
  samples: number;
  lfu_log_factor: number;
  /** An extra run that only shows what lfu-log-factor is worth (not part of the policy comparison). */
  comparison?: true;
  s: number;
  /** Fraction of the key space that maxmemory was sized to hold. */
  capacity_fraction: number;
  keyspace: number;
  maxmemory_bytes: number;
  /** Records resident at the end of the run (SCAN count): the capacity in records. */
  resident_records: number;
  warmup_requests: number;
  measured_requests: number;
  hit_rate: number;
  static_optimum: number;
  /** static_optimum - hit_rate, in percentage points. */
  gap_points: number;
  evictions: number;
  seconds: number;
}

export interface StudyOptions {
  keyspace: number;
  warmupRequests: number;
  measuredRequests: number;
  /** (s, capacity fraction) pairs to run under each policy. */
  cases: Array<[number, number]>;
  policies: Policy[];
  /** Redis maxmemory-samples (keys sampled per eviction; Redis's default is 5). @default 5 */
  samples?: number;
  /**
   * Redis lfu-log-factor for the lfu runs. Redis's default is 10; featcache
   * recommends 0 (exact counts up to 255), measured better here. @default 0
   */
  lfuLogFactor?: number;
  /** Extra volatile-lfu runs at other log factors, to show what the setting is worth. */
  lfuComparisons?: Array<{ s: number; fraction: number; lfuLogFactor: number }>;
  progress(line: string): void;
}

const PREFIX = 'eff';
const BATCH = 100;

const idOf = (i: number) => `img_${i}`;

/** Bytes of used_memory per record, and the empty baseline, measured on a throwaway Redis. */
async function recordFootprint(): Promise<{ perRecord: number; baseline: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'featcache-eff-'));
  const proc = await startRedisProcess({ dir, config: { 'maxmemory-policy': 'volatile-lru' } });
  const raw = new Redis(proc.url);
  const cache = await createFeatureCache({ redis: proc.url, prefix: PREFIX });
  try {
    const mem = async () => Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1]);
    const baseline = await mem();
    const n = 20_000;
    for (let i = 0; i < n; i += 500) await cache.setMany(Array.from({ length: 500 }, (_, k) => ({ imageId: idOf(i + k), features: seedPayload() })));
    return { perRecord: ((await mem()) - baseline) / n, baseline };
  } finally {
    await cache.close();
    raw.disconnect();
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs every case under every policy; each run gets a fresh redis-server. */
export async function runStudy(o: StudyOptions): Promise<{ runs: EfficiencyRun[]; bytes_per_record: number }> {
  const { perRecord, baseline } = await recordFootprint();
  o.progress(`  [efficiency] one seed record costs ${perRecord.toFixed(0)} B of used_memory (baseline ${baseline} B)`);
  const runs: EfficiencyRun[] = [];
  for (const [s, fraction] of o.cases) {
    for (const policy of o.policies) {
      runs.push(await oneRun(o, policy, s, fraction, Math.round(baseline + fraction * o.keyspace * perRecord), o.lfuLogFactor ?? 0));
      report(o, runs.at(-1)!);
    }
  }
  for (const c of o.lfuComparisons ?? []) {
    runs.push({ ...(await oneRun(o, 'volatile-lfu', c.s, c.fraction, Math.round(baseline + c.fraction * o.keyspace * perRecord), c.lfuLogFactor)), comparison: true });
    report(o, runs.at(-1)!);
  }
  return { runs, bytes_per_record: Math.round(perRecord) };
}

function report(o: StudyOptions, run: EfficiencyRun): void {
  o.progress(
    `  [efficiency] ${run.policy} (samples ${run.samples}${run.policy === 'volatile-lfu' ? `, lfu-log-factor ${run.lfu_log_factor}` : ''}) s=${run.s} capacity ${(run.capacity_fraction * 100).toFixed(0)}%: hit rate ${(run.hit_rate * 100).toFixed(1)}% ` +
      `vs static optimum ${(run.static_optimum * 100).toFixed(1)}% (gap ${run.gap_points.toFixed(1)} pts), ` +
      `${run.resident_records} records resident, ${run.evictions} evictions, ${run.seconds.toFixed(1)} s`,
  );
}

async function oneRun(o: StudyOptions, policy: Policy, s: number, fraction: number, maxmemory: number, lfuLogFactor: number): Promise<EfficiencyRun> {
  const dir = mkdtempSync(join(tmpdir(), 'featcache-eff-'));
  const samples = o.samples ?? 5;
  const proc = await startRedisProcess({
    dir,
    config: { maxmemory, 'maxmemory-policy': policy, 'maxmemory-samples': samples, 'lfu-log-factor': lfuLogFactor },
  });
  const raw = new Redis(proc.url);
  const cache = await createFeatureCache({ redis: proc.url, prefix: PREFIX });
  const started = performance.now();
  try {
    const z = zipf(o.keyspace, s, 1000 + Math.round(s * 100));
    const payloads = Array.from({ length: 256 }, () => seedPayload());
    let hits = 0;
    let requests = 0;
    const total = o.warmupRequests + o.measuredRequests;
    let evictedAtWindow = 0;
    for (let done = 0; done < total; done += BATCH) {
      if (done === o.warmupRequests) evictedAtWindow = await evictedKeys(raw);
      const ids = Array.from({ length: Math.min(BATCH, total - done) }, () => idOf(z.next()));
      const found = await cache.getMany(ids);
      const misses = new Set<string>();
      for (let i = 0; i < ids.length; i++) if (found[i] === null) misses.add(ids[i]!);
      if (done >= o.warmupRequests) {
        requests += ids.length;
        hits += ids.length - found.filter((r) => r === null).length;
      }
      if (misses.size > 0) await cache.setMany([...misses].map((imageId, k) => ({ imageId, features: payloads[k % payloads.length]! })));
    }
    const evictions = (await evictedKeys(raw)) - evictedAtWindow;
    const resident = await countRecords(raw);
    const hitRate = hits / requests;
    const optimum = z.staticOptimum(resident);
    return {
      policy,
      samples,
      lfu_log_factor: lfuLogFactor,
      s,
      capacity_fraction: fraction,
      keyspace: o.keyspace,
      maxmemory_bytes: maxmemory,
      resident_records: resident,
      warmup_requests: o.warmupRequests,
      measured_requests: requests,
      hit_rate: Number(hitRate.toFixed(4)),
      static_optimum: Number(optimum.toFixed(4)),
      gap_points: Number(((optimum - hitRate) * 100).toFixed(2)),
      evictions,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await cache.close();
    raw.disconnect();
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function evictedKeys(raw: Redis): Promise<number> {
  return Number(/evicted_keys:(\d+)/.exec(await raw.info('stats'))?.[1] ?? 0);
}

async function countRecords(raw: Redis): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', `${PREFIX}:[^@]*`, 'COUNT', 1000);
    cursor = next;
    n += keys.length;
  } while (cursor !== '0');
  return n;
}
