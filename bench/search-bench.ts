/**
 * npm run bench:search — the similarity index at N = 100,000 and 1,000,000
 * hashes (clustered families shaped by docs/FEATURES.md's measured pHash
 * distances of transformed variants, plus uniform hashes and a small group of
 * identical "flat image" hashes), against a private redis-server.
 *
 * Reports: exactness against brute force on 10,000 queries per N, latency
 * p50/p99 per radius (4, 6, 8, 10), probes and candidates per query, index
 * bytes per image (MEMORY USAGE of every index key), ingest rate, compareSet
 * of 1,000 IDs, and a projection for 100M images.
 *
 * Records and index go through the cache (setMany with the extension) at both
 * sizes. Env: SEARCH_BENCH_SIZES=100000,1000000  SEARCH_BENCH_QUERIES=10000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createFeatureCache } from '../src/index.js';
import { startRedisProcess } from '../src/redis/redis-process.js';
import { SimilarityIndex, chooseTables, probeCount, type SimilarityOptions } from '../src/search/index.js';
import { machineInfo, percentile, median, writeResult } from './lib/report.js';

const SIZES = (process.env.SEARCH_BENCH_SIZES ?? '100000,1000000').split(',').map(Number);
const QUERIES = Number(process.env.SEARCH_BENCH_QUERIES ?? 10_000);
const RADII = [4, 6, 8, 10];

/** mulberry32 */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// pHash distance of a transformed variant to its source (docs/FEATURES.md, structured images:
// median 0-2, p90 4, max 6; degenerate gradients up to 25): flips drawn from this table.
const VARIANT_FLIPS = [0, 0, 0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 8, 12];

interface DataSet {
  hi: Int32Array;
  lo: Int32Array;
}

function generate(n: number, seed: number): DataSet {
  const rand = rng(seed);
  const hi = new Int32Array(n);
  const lo = new Int32Array(n);
  const flat = Math.floor(n / 1000); // 0.1% identical hashes (blank images)
  const clustered = Math.floor(n / 2);
  let i = 0;
  for (; i < flat; i++) hi[i] = lo[i] = 0;
  for (; i < flat + clustered; ) {
    const bh = (rand() * 2 ** 32) | 0;
    const bl = (rand() * 2 ** 32) | 0;
    const size = 2 + Math.floor(rand() * 15); // families of 2..16 variants
    for (let k = 0; k < size && i < flat + clustered; k++, i++) {
      let h = bh;
      let l = bl;
      const flips = k === 0 ? 0 : VARIANT_FLIPS[Math.floor(rand() * VARIANT_FLIPS.length)]!;
      for (let f = 0; f < flips; f++) {
        const b = Math.floor(rand() * 64);
        if (b < 32) h ^= 1 << b;
        else l ^= 1 << (b - 32);
      }
      hi[i] = h;
      lo[i] = l;
    }
  }
  for (; i < n; i++) {
    hi[i] = (rand() * 2 ** 32) | 0;
    lo[i] = (rand() * 2 ** 32) | 0;
  }
  return { hi, lo };
}

const hexOf = (h: number, l: number): string => (h >>> 0).toString(16).padStart(8, '0') + (l >>> 0).toString(16).padStart(8, '0');

function pop32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

function bruteForce(ds: DataSet, qh: number, ql: number, r: number): number[] {
  const out: number[] = [];
  const { hi, lo } = ds;
  for (let i = 0; i < hi.length; i++) if (pop32(hi[i]! ^ qh) + pop32(lo[i]! ^ ql) <= r) out.push(i);
  return out;
}

async function memoryOf(raw: Redis, pattern: string): Promise<{ keys: number; bytes: number }> {
  let cursor = '0';
  let keys = 0;
  let bytes = 0;
  do {
    const [next, found] = await raw.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
    cursor = next;
    if (found.length === 0) continue;
    const pipe = raw.pipeline();
    for (const k of found) pipe.memory('USAGE', k, 'SAMPLES', '0');
    for (const [, v] of (await pipe.exec()) ?? []) bytes += Number(v);
    keys += found.length;
  } while (cursor !== '0');
  return { keys, bytes };
}

async function runSize(n: number, url: string, raw: Redis): Promise<Record<string, unknown>> {
  const prefix = `sb${n}`;
  const sim: SimilarityOptions = { expectedImages: n, maxLimit: 100_000 };
  let index: SimilarityIndex | undefined;
  const cache = await createFeatureCache({
    redis: url,
    prefix,
    ttlSeconds: 0,
    batchSize: 1000,
    batchConcurrency: 4,
    commandTimeoutMs: 60_000,
    trackExpiry: false,
    extensions: [(ctx) => (index = new SimilarityIndex(ctx, sim))],
  });
  const idx = index!;
  const ds = generate(n, n);
  const id = (i: number) => `img_${String(i).padStart(8, '0')}`;
  const before = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))![1]);

  // ingest: records + index through the cache
  const t0 = performance.now();
  const BATCH = 10_000;
  for (let s = 0; s < n; s += BATCH) {
    const items = [];
    for (let i = s; i < Math.min(n, s + BATCH); i++) items.push({ imageId: id(i), features: { phash: hexOf(ds.hi[i]!, ds.lo[i]!) } });
    await cache.setMany(items);
    if (s % 100_000 === 0) process.stdout.write(`\r  N=${n}: ingested ${s}`);
  }
  const ingestS = (performance.now() - t0) / 1000;
  process.stdout.write(`\r  N=${n}: ingested ${n} in ${ingestS.toFixed(1)} s\n`);
  const after = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))![1]);

  const base = `${prefix}:x:1.0:phash`;
  const tables = await memoryOf(raw, `${base}:t:*`);
  const dict = await memoryOf(raw, `${base}:d:*`);
  const records = await memoryOf(raw, `${prefix}:r:*`);
  const layout = idx.fields.get('phash')!.layout;
  const entryBytes = layout.tables.reduce((s, t) => s + t.width, 0);
  let buckets = 0;
  for (const k of layout.allTableKeys()) buckets += await raw.hlen(k);
  const bucketOverhead = (tables.bytes - n * entryBytes) / buckets;

  // queries: half near a stored hash (0..4 bits), half uniform random
  const rand = rng(n + 1);
  const perRadius = Math.ceil(QUERIES / RADII.length);
  const byRadius: Record<string, unknown> = {};
  let exact = 0;
  let total = 0;
  const mismatches: string[] = [];
  for (const r of RADII) {
    const lat: number[] = [];
    const probes: number[] = [];
    const cands: number[] = [];
    let nonEmpty = 0;
    let truncated = 0;
    for (let q = 0; q < perRadius; q++) {
      let qh: number;
      let ql: number;
      if (q % 2 === 0) {
        const i = Math.floor(rand() * n);
        qh = ds.hi[i]!;
        ql = ds.lo[i]!;
        const flips = Math.floor(rand() * 5);
        for (let f = 0; f < flips; f++) {
          const b = Math.floor(rand() * 64);
          if (b < 32) qh ^= 1 << b;
          else ql ^= 1 << (b - 32);
        }
      } else {
        qh = (rand() * 2 ** 32) | 0;
        ql = (rand() * 2 ** 32) | 0;
      }
      const s = performance.now();
      const res = await idx.searchSimilar({ phash: hexOf(qh, ql) }, { maxDistance: r, limit: 100_000 });
      lat.push(performance.now() - s);
      probes.push(res.probes);
      cands.push(res.candidates);
      if (res.truncated) truncated++;
      const want = bruteForce(ds, qh, ql, r).map(id).sort();
      const got = res.neighbors.map((x) => x.imageId).sort();
      total++;
      if (want.length > 0) nonEmpty++;
      if (want.length === got.length && want.every((w, k) => w === got[k])) exact++;
      else if (mismatches.length < 5) mismatches.push(`r=${r} q=${hexOf(qh, ql)} want ${want.length} got ${got.length}`);
    }
    byRadius[r] = {
      queries: perRadius,
      non_empty: nonEmpty,
      truncated,
      p50_ms: +median(lat).toFixed(3),
      p99_ms: +percentile(lat, 99).toFixed(3),
      probes_per_query: Math.round(median(probes)),
      candidates_p50: Math.round(median(cands)),
      candidates_p99: Math.round(percentile(cands, 99)),
    };
  }

  // pairwise: 1,000 IDs (a mix of families and uniform), lookup + popcount
  const ids = Array.from({ length: 1000 }, (_, k) => id(Math.floor((k / 1000) * n)));
  const pairTimes: number[] = [];
  let pairs = 0;
  for (let k = 0; k < 7; k++) {
    const s = performance.now();
    const res = await idx.compareSet(ids, { maxDistance: 8 });
    pairTimes.push(performance.now() - s);
    pairs = res.pairs.length;
  }

  await cache.close();
  return {
    n,
    tables: layout.tables.length,
    substring_bits: layout.tables.map((t) => t.len),
    ingest: { seconds: +ingestS.toFixed(2), images_per_s: Math.round(n / ingestS), path: 'cache.setMany (records + index), batches of 10,000' },
    memory: {
      index_tables_bytes_per_image: +(tables.bytes / n).toFixed(2),
      index_dictionary_bytes_per_image: +(dict.bytes / n).toFixed(2),
      index_total_bytes_per_image: +((tables.bytes + dict.bytes) / n).toFixed(2),
      entry_bytes_per_image: entryBytes,
      buckets,
      bucket_overhead_bytes: +bucketOverhead.toFixed(1),
      records_bytes_per_image: +(records.bytes / n).toFixed(2),
      used_memory_delta_bytes_per_image: +((after - before) / n).toFixed(2),
    },
    exactness: { queries: total, exact: +(exact / total).toFixed(6), mismatches },
    by_radius: byRadius,
    compare_set_1000: { median_ms: +median(pairTimes).toFixed(2), pairs_within_8: pairs },
  };
}

function projection(measured: Record<string, unknown> | undefined): Record<string, unknown> {
  const n = 100_000_000;
  const m = chooseTables(n);
  const lens = Array.from({ length: m }, (_, i) => Math.floor(64 / m) + (i < 64 % m ? 1 : 0));
  const mem = (measured?.memory ?? {}) as Record<string, number>;
  const overhead = mem.bucket_overhead_bytes ?? 60;
  const entry = lens.reduce((s, len) => s + 4 + Math.ceil((64 - len) / 8), 0);
  const bucketsPerTable = lens.map((len) => Math.min(2 ** len, n * (1 - Math.exp(-n / 2 ** len)) / (n / 2 ** len)));
  const tableBytes = entry + lens.reduce((s, _, i) => s + (bucketsPerTable[i]! * overhead) / n, 0);
  const out: Record<string, unknown> = {
    n,
    tables: m,
    substring_bits: lens,
    table_bytes_per_image: +tableBytes.toFixed(1),
    dictionary_bytes_per_image: mem.index_dictionary_bytes_per_image ?? null,
    assumptions: [
      'uniformly spread hashes (clusters only add near neighbours, degenerate hashes are capped)',
      `per-bucket overhead ${overhead.toFixed(0)} B (measured at the largest N), entries ${entry} B/image over all tables`,
      'dictionary cost per image as measured (IDs of the same length, ~64 per listpack shard)',
      'tables split over 2^5 keys each (tableShardBits 5) so a Cluster spreads them; one pipeline per node per query',
      'query time grows with candidates: candidates = sum over probed buckets of N / 2^len',
    ],
  };
  for (const r of RADII) {
    const radii = lens.map((_, i) => {
      const rp = Math.floor(r / m);
      return i <= r - m * rp ? rp : rp - 1;
    });
    let cand = 0;
    lens.forEach((len, i) => {
      if (radii[i]! < 0) return;
      cand += (probeCount(radii[i]!, [len]) * n) / 2 ** len;
    });
    out[`r${r}`] = { probes: lens.reduce((s, len, i) => s + (radii[i]! >= 0 ? probeCount(radii[i]!, [len]) : 0), 0), candidates: Math.round(cand) };
  }
  return out;
}

function bar(v: number, max: number, width = 30): string {
  return '#'.repeat(Math.max(1, Math.round((v / max) * width)));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'featcache-search-bench-'));
  const proc = await startRedisProcess({ dir, config: { maxmemory: '0', 'maxmemory-policy': 'noeviction' } });
  const raw = new Redis(proc.port, '127.0.0.1');
  const results: Array<Record<string, unknown>> = [];
  try {
    for (const n of SIZES) {
      await raw.flushall();
      console.log(`N = ${n.toLocaleString()} (m = ${chooseTables(n)})`);
      results.push(await runSize(n, proc.url, raw));
    }
  } finally {
    raw.disconnect();
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const proj = projection(results[results.length - 1]);
  const file = writeResult('search', { machine: machineInfo(), queries_per_size: QUERIES, results, projection_100m: proj });

  for (const res of results) {
    const mem = res.memory as Record<string, number>;
    const ex = res.exactness as { exact: number; queries: number };
    const ing = res.ingest as { images_per_s: number };
    const cmp = res.compare_set_1000 as { median_ms: number };
    console.log(`\nN = ${(res.n as number).toLocaleString()}, m = ${res.tables} (${(res.substring_bits as number[]).join('/')} bits)`);
    console.log(`  exactness ${ex.exact} over ${ex.queries} queries | ingest ${ing.images_per_s}/s | compareSet(1000) ${cmp.median_ms} ms`);
    console.log(
      `  index ${mem.index_total_bytes_per_image} B/image = tables ${mem.index_tables_bytes_per_image} + dictionary ${mem.index_dictionary_bytes_per_image} (records ${mem.records_bytes_per_image})`,
    );
    console.log('  radius | p50 ms | p99 ms | probes | cand p50 | cand p99 | p99 chart');
    const rows = res.by_radius as Record<string, Record<string, number>>;
    const maxP99 = Math.max(...Object.values(rows).map((x) => x.p99_ms!));
    for (const [r, x] of Object.entries(rows)) {
      console.log(
        `  ${r.padStart(6)} | ${String(x.p50_ms).padStart(6)} | ${String(x.p99_ms).padStart(6)} | ${String(x.probes_per_query).padStart(6)} | ${String(x.candidates_p50).padStart(8)} | ${String(x.candidates_p99).padStart(8)} | ${bar(x.p99_ms!, maxP99)}`,
      );
    }
  }
  console.log(`\nprojection for 100M: ${JSON.stringify(proj)}`);
  console.log(`\nwritten ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
