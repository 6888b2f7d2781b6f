/**
 * npm run bench:lib — the library's throughput and memory, each figure beside a
 * raw ioredis baseline measured in the same run on the same Redis (pre-encoded
 * buffers of the same size, MGET / pipelined SET, no decoding).
 *
 * Usage: tsx bench/lib-bench.ts [--runs 3] [--seconds 2] [--quick]
 * Uses REDIS_URL when set, else starts its own redis-server on a free port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createFeatureCache, type FeatureCache, type FeatureCacheOptions, type Features } from '../src/index.js';
import { startRedisProcess, type RedisProcess } from '../src/redis/redis-process.js';
import { machineInfo, median, writeResult } from './lib/report.js';
import { seedPayload, embeddingPayload } from './lib/payloads.js';
import { throughput } from './lib/throughput.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '2' },
    quick: { type: 'boolean', default: false },
  },
});
const RUNS = Number(args.runs);
const SECONDS = args.quick ? 0.5 : Number(args.seconds);
const KEYSPACE = 20_000;
const CONCURRENCY = 64;
const BATCH = 100;
const BATCHES_IN_FLIGHT = 4;

interface Figure {
  scenario: string;
  payload: string;
  featcache: number[];
  baseline: number[];
}

const ids = (i: number) => `user_${String(i % 1000).padStart(6, '0')}_img_${String(i).padStart(6, '0')}`;

async function main(): Promise<void> {
  let proc: RedisProcess | undefined;
  let dir: string | undefined;
  let url = process.env.REDIS_URL;
  if (!url) {
    dir = mkdtempSync(join(tmpdir(), 'featcache-bench-'));
    proc = await startRedisProcess({ dir, config: { maxmemory: '2gb', 'maxmemory-policy': 'volatile-lru' } });
    url = proc.url;
  }
  const raw = new Redis(url);
  const figures: Figure[] = [];
  const memory: Array<Record<string, unknown>> = [];
  try {
    const payloads: Array<[string, () => Features, FeatureCacheOptions]> = [
      ['seed', seedPayload, {}],
      ['embedding512', embeddingPayload, {}],
    ];
    for (const [name, make, extra] of payloads) {
      await raw.flushdb();
      const cache = await createFeatureCache({ redis: url, ...extra });
      const sample = make();
      await cache.set('probe', sample);
      const encoded = (await raw.getBuffer('fc:1.0:probe'))!;
      const items = (from: number) => Array.from({ length: BATCH }, (_, k) => ({ imageId: ids((from * BATCH + k) % KEYSPACE), features: make() }));
      const pre = Array.from({ length: 64 }, (_, k) => items(k));
      const fig = (scenario: string): Figure => {
        const f = { scenario, payload: name, featcache: [], baseline: [] };
        figures.push(f);
        return f;
      };
      const bw = fig('batch write (100/call, 4 in flight)');
      const sw = fig(`single write (${CONCURRENCY} concurrent)`);
      const sr = fig(`single read (${CONCURRENCY} concurrent)`);
      const br = fig('batch read (100/call, 4 in flight)');
      for (let run = 0; run < RUNS; run++) {
        process.stdout.write(`  ${name}: run ${run + 1}/${RUNS}\r`);
        bw.featcache.push(await throughput(BATCHES_IN_FLIGHT, SECONDS, BATCH, (i) => cache.setMany(pre[i % pre.length]!)));
        bw.baseline.push(
          await throughput(BATCHES_IN_FLIGHT, SECONDS, BATCH, (i) => {
            const p = raw.pipeline();
            for (let k = 0; k < BATCH; k++) p.set(`raw:${ids((i * BATCH + k) % KEYSPACE)}`, encoded, 'PX', 2_592_000_000);
            return p.exec();
          }),
        );
        sw.featcache.push(await throughput(CONCURRENCY, SECONDS, 1, (i) => cache.set(ids(i % KEYSPACE), sample)));
        sw.baseline.push(await throughput(CONCURRENCY, SECONDS, 1, (i) => raw.set(`raw:${ids(i % KEYSPACE)}`, encoded, 'PX', 2_592_000_000)));
        sr.featcache.push(await throughput(CONCURRENCY, SECONDS, 1, (i) => cache.get(ids(i % KEYSPACE))));
        sr.baseline.push(await throughput(CONCURRENCY, SECONDS, 1, (i) => raw.getBuffer(`raw:${ids(i % KEYSPACE)}`)));
        const batchIds = (i: number) => Array.from({ length: BATCH }, (_, k) => ids((i * BATCH + k) % KEYSPACE));
        const idBatches = Array.from({ length: 200 }, (_, i) => batchIds(i));
        const rawBatches = idBatches.map((b) => b.map((id) => `raw:${id}`));
        br.featcache.push(await throughput(BATCHES_IN_FLIGHT, SECONDS, BATCH, (i) => cache.getMany(idBatches[i % 200]!)));
        br.baseline.push(await throughput(BATCHES_IN_FLIGHT, SECONDS, BATCH, (i) => raw.mgetBuffer(rawBatches[i % 200]!)));
      }
      memory.push({ payload: name, ...(await measureMemory(raw, cache, make)) , encoded_bytes: encoded.length });
      const s = await cache.stats();
      if (s.cache_errors > 0) throw new Error(`benchmark saw ${s.cache_errors} cache errors`);
      await cache.close();
    }
    for (const q of ['float16', 'int8'] as const) {
      await raw.flushdb();
      const cache = await createFeatureCache({ redis: url, quantize: q });
      memory.push({ payload: `embedding512 ${q}`, ...(await measureMemory(raw, cache, embeddingPayload)) });
      await cache.close();
    }
  } finally {
    raw.disconnect();
    await proc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  report(figures, memory);
}

/** MEMORY USAGE (median over 500 keys) and INFO used_memory delta per image for 10,000 images. */
async function measureMemory(raw: Redis, cache: FeatureCache, make: () => Features): Promise<Record<string, number>> {
  const N = 10_000;
  await raw.flushdb();
  const before = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1]);
  for (let i = 0; i < N; i += 500) {
    await cache.setMany(Array.from({ length: 500 }, (_, k) => ({ imageId: ids(i + k), features: make() })));
  }
  const after = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1]);
  const p = raw.pipeline();
  for (let i = 0; i < 500; i++) p.memory('USAGE', `fc:1.0:${ids(i * 20)}`, 'SAMPLES', '0');
  const usages = ((await p.exec()) ?? []).map(([, v]) => Number(v));
  return { memory_usage_bytes: median(usages), used_memory_delta_per_image: Math.round((after - before) / N) };
}

function report(figures: Figure[], memory: Array<Record<string, unknown>>): void {
  const rows = figures.map((f) => {
    const fc = median(f.featcache);
    const base = median(f.baseline);
    return {
      payload: f.payload,
      scenario: f.scenario,
      featcache_images_per_s: Math.round(fc),
      featcache_min: Math.round(Math.min(...f.featcache)),
      featcache_max: Math.round(Math.max(...f.featcache)),
      baseline_images_per_s: Math.round(base),
      ratio_to_baseline: Number((fc / base).toFixed(3)),
      // each run measures featcache and the baseline back to back: the median of
      // those paired ratios is less exposed to noise that spans a whole run
      paired_ratio: Number(median(f.featcache.map((x, i) => x / f.baseline[i]!)).toFixed(3)),
    };
  });
  const runs = figures.map((f) => ({ payload: f.payload, scenario: f.scenario, featcache: f.featcache.map(Math.round), baseline: f.baseline.map(Math.round) }));
  console.log('\nfeatcache library benchmark (median of runs; baseline = raw ioredis, same Redis, same run; paired_ratio = median of the per-run ratios)\n');
  console.table(rows);
  console.log('\nmemory per image');
  console.table(memory);
  const file = writeResult('lib', { machine: machineInfo(), runs: RUNS, seconds: SECONDS, throughput: rows, per_run: runs, memory });
  console.log(`\nresults: ${file}`);
}

await main();
