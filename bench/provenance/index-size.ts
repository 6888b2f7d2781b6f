/**
 * Bytes per image and vote time of the provenance index at a given size, with
 * synthetic descriptors (uniform random chunks: the posting buckets fill as
 * they would with real, stop-listed chunks) written straight through the
 * extension (no records, so Redis holds the index alone).
 * `npx tsx bench/provenance/index-size.ts [--images 20000] [--queries 50]`
 */
import { createFeatureCache } from '../../src/index.js';
import { ProvenanceIndex } from '../../src/provenance/index/provenance-index.js';
import { queryTerms } from '../../src/provenance/index/terms.js';
import { startRedisProcess } from '../../src/redis/redis-process.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { randomOrb, sharing } from '../../test/provenance/index/synthetic.js';
import { quantile } from './stats.js';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const N = arg('images', 20_000);
const Q = arg('queries', 50);
const KP = 500;

const dir = mkdtempSync(join(tmpdir(), 'featcache-index-size-'));
const proc = await startRedisProcess({ dir, config: {} });
const raw = new Redis(proc.port, '127.0.0.1');
let index: ProvenanceIndex | undefined;
const cache = await createFeatureCache({ redis: proc.url, prefix: 'sz', commandTimeoutMs: 20000, extensions: [(ctx) => (index = new ProvenanceIndex(ctx, { expectedImages: N }))] });
try {
  const idx = index!;
  const before = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))![1]);
  const t0 = performance.now();
  const CHUNK = 100;
  for (let i = 0; i < N; i += CHUNK) {
    const items = [];
    for (let k = i; k < Math.min(N, i + CHUNK); k++) items.push({ imageId: `img-${k}`, features: { orb: randomOrb(k + 1, KP) } });
    await idx.afterWrite(items);
  }
  const ingestS = (performance.now() - t0) / 1000;
  const after = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))![1]);
  let keyBytes = 0;
  let cursor = '0';
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', 'sz:@x:*', 'COUNT', 1000);
    cursor = next;
    for (const k of keys) keyBytes += Number(await raw.call('MEMORY', 'USAGE', k, 'SAMPLES', '0'));
  } while (cursor !== '0');
  // queries: 150 of 500 descriptors shared with one indexed image
  const ms: number[] = [];
  let hits = 0;
  for (let q = 0; q < Q; q++) {
    const target = Math.floor((q * 7919) % N);
    const orb = sharing(randomOrb(target + 1, KP), 150, 10_000_000 + q, KP);
    const t = performance.now();
    const votes = await idx.vote(queryTerms(orb.descriptors).terms, null);
    const best = [...votes].sort((a, b) => b[1].score - a[1].score).slice(0, 10);
    const ids = await idx.numbers.resolve(best.map(([n]) => n));
    ms.push(performance.now() - t);
    if (ids[0] === `img-${target}`) hits++;
  }
  const o = idx.options;
  console.log(
    JSON.stringify(
      {
        images: N,
        bucketBits: o.bucketBits,
        shardBits: o.shardBits,
        postings_per_bucket: Math.round((N * KP) / 2 ** o.bucketBits),
        index_bytes_per_image_memory_usage: Math.round(keyBytes / N),
        used_memory_delta_per_image: Math.round((after - before) / N),
        ingest_images_per_s: Math.round(N / ingestS),
        vote_ms_p50: Math.round(quantile(ms, 0.5) * 10) / 10,
        vote_ms_p99: Math.round(quantile(ms, 0.99) * 10) / 10,
        top1: `${hits}/${Q}`,
        load: loadavg().map((l) => l.toFixed(1)).join(' '),
      },
      null,
      2,
    ),
  );
} finally {
  await cache.close();
  raw.disconnect();
  await proc.stop();
  rmSync(dir, { recursive: true, force: true });
}
