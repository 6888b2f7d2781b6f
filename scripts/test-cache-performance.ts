/**
 * The seed system's own performance suite, rewritten for featcache — same four
 * parts, same workloads, so the figures compare one to one with the seed's:
 *
 *   1. basic operations: 1,000 images — write one by one, read one by one, batch read
 *   2. concurrent access: 50 users x 20 images each, 70% reads / 30% writes
 *   3. memory usage: 5,000 images, bytes per image in Redis
 *   4. cache efficiency: hit rate reading back what was cached
 *
 * It drives the featcache LIBRARY (createFeatureCache), as the seed's suite drove
 * its library — not the HTTP service (that is `npm run bench`). One call at a
 * time where the seed made one call at a time, so the per-call round trip shows.
 *
 * Usage: tsx scripts/test-cache-performance.ts   (REDIS_URL, or its own redis-server)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createFeatureCache, type FeatureCache } from '../src/index.js';
import { startRedisProcess, type RedisProcess } from '../src/redis/redis-process.js';
import { seedPayload } from '../bench/lib/payloads.js';

/** The seed's figures on a 2-core machine like this one (docs/BENCHMARKS.md), for the comparison column. */
const SEED = { writes_per_s: 950, single_reads_per_s: 2_300, batch_reads_per_s: 41_000 };

const id = (user: number, img: number) => `user_${String(user).padStart(6, '0')}_img_${String(img).padStart(6, '0')}`;
const perSecond = (n: number, ms: number) => Math.round(n / (ms / 1000));
const line = (label: string, value: string, seed?: number, measured?: number) =>
  console.log(`  ${label.padEnd(34)} ${value.padStart(16)}${seed !== undefined && measured !== undefined ? `   seed ${seed.toLocaleString('en-US')}/s -> x${(measured / seed).toFixed(1)}` : ''}`);

async function basicOperations(cache: FeatureCache): Promise<void> {
  console.log('\n1. Basic operations (1,000 images)');
  const ids = Array.from({ length: 1000 }, (_, i) => id(Math.floor(i / 20), i));
  const data = ids.map(() => seedPayload());
  let t = performance.now();
  for (let i = 0; i < ids.length; i++) await cache.set(ids[i]!, data[i]!);
  const writes = perSecond(ids.length, performance.now() - t);
  line('writes (one at a time)', `${writes.toLocaleString('en-US')}/s`, SEED.writes_per_s, writes);
  t = performance.now();
  let found = 0;
  for (const x of ids) if (await cache.get(x)) found++;
  const reads = perSecond(ids.length, performance.now() - t);
  line('single reads (one at a time)', `${reads.toLocaleString('en-US')}/s`, SEED.single_reads_per_s, reads);
  if (found !== ids.length) throw new Error(`read back ${found} of ${ids.length}`);
  const rounds = 20;
  t = performance.now();
  for (let r = 0; r < rounds; r++) await cache.getMany(ids);
  const batch = perSecond(ids.length * rounds, performance.now() - t);
  line('batch reads (getMany of 1,000)', `${batch.toLocaleString('en-US')} images/s`, SEED.batch_reads_per_s, batch);
}

async function concurrentAccess(cache: FeatureCache): Promise<void> {
  console.log('\n2. Concurrent access (50 users x 20 images, 70% reads)');
  let reads = 0;
  let writes = 0;
  let hits = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: 50 }, async (_, user) => {
      for (let k = 0; k < 20; k++) {
        const imageId = id(1000 + user, k);
        if (k % 10 < 3) {
          await cache.set(imageId, seedPayload());
          writes++;
        } else {
          if (await cache.get(id(Math.floor((user * 20 + k) / 20), user * 20 + k))) hits++;
          reads++;
        }
      }
    }),
  );
  const ms = performance.now() - t;
  line('operations', `${(reads + writes).toLocaleString('en-US')} in ${ms.toFixed(0)} ms`);
  line('throughput', `${perSecond(reads + writes, ms).toLocaleString('en-US')} ops/s`);
  line('reads / writes', `${reads} / ${writes}`);
  line('reads that hit', `${hits} of ${reads}`);
}

async function memoryUsage(cache: FeatureCache, raw: Redis): Promise<void> {
  console.log('\n3. Memory usage (5,000 images)');
  await raw.flushdb();
  const used = async () => Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1]);
  const before = await used();
  for (let i = 0; i < 5000; i += 500) await cache.setMany(Array.from({ length: 500 }, (_, k) => ({ imageId: id(2000 + Math.floor((i + k) / 20), i + k), features: seedPayload() })));
  const perImage = Math.round(((await used()) - before) / 5000);
  const usage = Number(await raw.memory('USAGE', `perf:${cache.featureVersion}:${id(2000, 0)}`, 'SAMPLES', '0'));
  line('Redis used_memory per image', `${perImage} B`);
  line('MEMORY USAGE of one record key', `${usage} B`);
  line('5,000 images take', `${((perImage * 5000) / 1024 / 1024).toFixed(2)} MiB`);
}

async function cacheEfficiency(cache: FeatureCache): Promise<void> {
  console.log('\n4. Cache efficiency (hit rate)');
  const ids = Array.from({ length: 1000 }, (_, i) => id(3000 + Math.floor(i / 20), i));
  await cache.setMany(ids.map((imageId) => ({ imageId, features: seedPayload() })));
  const before = await cache.stats();
  for (let r = 0; r < 5; r++) await cache.getMany(ids);
  const after = await cache.stats();
  const hits = after.cache_hits - before.cache_hits;
  const misses = after.cache_misses - before.cache_misses;
  line('hit rate reading cached images', `${((100 * hits) / (hits + misses)).toFixed(1)} %`);
  line('hits / misses', `${hits} / ${misses}`);
  console.log('  (reading back what was written, as the seed did; docs/BENCHMARKS.md has the Zipf study with a key space larger than memory)');
}

async function main(): Promise<void> {
  let proc: RedisProcess | undefined;
  let dir: string | undefined;
  let url = process.env.REDIS_URL;
  if (!url) {
    dir = mkdtempSync(join(tmpdir(), 'featcache-perf-'));
    proc = await startRedisProcess({ dir, config: { maxmemory: '1gb', 'maxmemory-policy': 'volatile-lru' } });
    url = proc.url;
  }
  const raw = new Redis(url);
  const cache = await createFeatureCache({ redis: url, prefix: 'perf' });
  console.log(`featcache performance suite (the seed's four parts, against the featcache library on ${proc ? 'its own redis-server' : 'REDIS_URL'})`);
  try {
    await basicOperations(cache);
    await concurrentAccess(cache);
    await memoryUsage(cache, raw);
    await cacheEfficiency(cache);
  } finally {
    await cache.close();
    if (proc) await raw.flushdb();
    raw.disconnect();
    await proc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
