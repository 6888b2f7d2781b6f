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
import { loadavg, tmpdir } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createFeatureCache } from '../src/index.js';
import { startRedisProcess } from '../src/redis/redis-process.js';
import { SimilarityIndex, chooseTables, resolveSimilarityOptions, tableRadii, type SimilarityOptions } from '../src/search/index.js';
import { machineInfo, percentile, median, writeResult } from './lib/report.js';
import { mulberry32 } from './lib/prng.js';

const SIZES = (process.env.SEARCH_BENCH_SIZES ?? '100000,1000000').split(',').map(Number);
const QUERIES = Number(process.env.SEARCH_BENCH_QUERIES ?? 10_000);
const RADII = [4, 6, 8, 10];
/** Records-only ingest (no index) on this many images, as the baseline of the through-the-cache ingest rate. */
const BASELINE = Number(process.env.SEARCH_BENCH_BASELINE ?? 200_000);
const WARMUP = 200;

/** GC pauses (count, total and largest ms) while `active` is set. */
const gc = { active: false, count: 0, totalMs: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  if (!gc.active) return;
  for (const e of list.getEntries()) {
    gc.count++;
    gc.totalMs += e.duration;
    gc.maxMs = Math.max(gc.maxMs, e.duration);
  }
}).observe({ entryTypes: ['gc'] });

async function redisCpuSeconds(raw: Redis): Promise<number> {
  const info = await raw.info('cpu');
  return Number(/used_cpu_user:([\d.]+)/.exec(info)![1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)![1]);
}

const load1 = (): number => +loadavg()[0]!.toFixed(2);

const rng = mulberry32;

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
  const BATCH = 10_000;
  const itemsOf = (s: number, end: number) => {
    const items = [];
    for (let i = s; i < end; i++) items.push({ imageId: id(i), features: { phash: hexOf(ds.hi[i]!, ds.lo[i]!) } });
    return items;
  };

  // baseline: the same records through a cache without the index (then flushed)
  const baseN = Math.min(n, BASELINE);
  const plain = await createFeatureCache({ redis: url, prefix: `${prefix}b`, ttlSeconds: 0, batchSize: 1000, batchConcurrency: 4, commandTimeoutMs: 60_000, trackExpiry: false });
  const tb = performance.now();
  for (let s = 0; s < baseN; s += BATCH) await plain.setMany(itemsOf(s, Math.min(baseN, s + BATCH)));
  const baseS = (performance.now() - tb) / 1000;
  await plain.close();
  await raw.flushall();
  process.stdout.write(`  N=${n}: records only ${Math.round(baseN / baseS)}/s (${baseN} images)\n`);

  const before = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))![1]);
  // ingest: records + index through the cache
  const ingestLoad = load1();
  const cpu0 = process.cpuUsage();
  const rcpu0 = await redisCpuSeconds(raw);
  const t0 = performance.now();
  for (let s = 0; s < n; s += BATCH) {
    await cache.setMany(itemsOf(s, Math.min(n, s + BATCH)));
    if (s % 100_000 === 0) process.stdout.write(`\r  N=${n}: ingested ${s}`);
  }
  const ingestS = (performance.now() - t0) / 1000;
  const ingestCpu = process.cpuUsage(cpu0);
  const ingestRedisCpu = (await redisCpuSeconds(raw)) - rcpu0;
  process.stdout.write(`\r  N=${n}: ingested ${n} in ${ingestS.toFixed(1)} s\n`);
  const after = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))![1]);

  const base = `${prefix}:@x:1.0:phash`;
  const tables = await memoryOf(raw, `${base}:t:*`);
  const dict = await memoryOf(raw, `${base}:d:*`);
  const records = await memoryOf(raw, `${prefix}:[^@]*`);
  const layout = idx.fields.get('phash')!.layout;
  const entryBytes = layout.tables.length * layout.width;
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
  for (let q = 0; q < WARMUP; q++) {
    await idx.searchSimilar({ phash: hexOf((rand() * 2 ** 32) | 0, (rand() * 2 ** 32) | 0) }, { maxDistance: RADII[q % RADII.length]!, limit: 100_000 });
  }
  for (const r of RADII) {
    const lat: number[] = [];
    const probes: number[] = [];
    const cands: number[] = [];
    const survivors: number[] = [];
    const phase = { tables: [] as number[], dictionary: [] as number[], records: [] as number[] };
    let nonEmpty = 0;
    let truncated = 0;
    let busyMs = 0;
    const loadBefore = load1();
    const rcpu = await redisCpuSeconds(raw);
    Object.assign(gc, { active: true, count: 0, totalMs: 0, maxMs: 0 });
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
      const c0 = process.cpuUsage();
      const s = performance.now();
      const res = await idx.searchSimilar({ phash: hexOf(qh, ql) }, { maxDistance: r, limit: 100_000 });
      lat.push(performance.now() - s);
      const c1 = process.cpuUsage(c0);
      busyMs += (c1.user + c1.system) / 1000;
      probes.push(res.probes);
      cands.push(res.candidates);
      survivors.push(res.survivors);
      phase.tables.push(res.timings_ms.tables);
      phase.dictionary.push(res.timings_ms.dictionary);
      phase.records.push(res.timings_ms.records);
      if (res.truncated) truncated++;
      const want = bruteForce(ds, qh, ql, r).map(id).sort();
      const got = res.neighbors.map((x) => x.imageId).sort();
      total++;
      if (want.length > 0) nonEmpty++;
      if (want.length === got.length && want.every((w, k) => w === got[k])) exact++;
      else if (mismatches.length < 5) mismatches.push(`r=${r} q=${hexOf(qh, ql)} want ${want.length} got ${got.length}`);
    }
    gc.active = false;
    const sumLat = lat.reduce((a, b) => a + b, 0);
    const p99 = percentile(lat, 99);
    const slow = lat.map((x, k) => [x, k] as const).filter(([x]) => x >= p99);
    byRadius[r] = {
      queries: perRadius,
      non_empty: nonEmpty,
      truncated,
      p50_ms: +median(lat).toFixed(3),
      p99_ms: +p99.toFixed(3),
      max_ms: +Math.max(...lat).toFixed(3),
      probes_per_query: Math.round(median(probes)),
      candidates_p50: Math.round(median(cands)),
      candidates_p99: Math.round(percentile(cands, 99)),
      survivors_p50: Math.round(median(survivors)),
      survivors_p99: Math.round(percentile(survivors, 99)),
      phases_p50_ms: { tables: +median(phase.tables).toFixed(3), dictionary: +median(phase.dictionary).toFixed(3), records: +median(phase.records).toFixed(3) },
      phases_p99_ms: { tables: +percentile(phase.tables, 99).toFixed(3), dictionary: +percentile(phase.dictionary, 99).toFixed(3), records: +percentile(phase.records, 99).toFixed(3) },
      // the slowest 1%: how much of their time the process spent on the CPU, and which phase dominated
      slowest_1pct_phases_ms: {
        tables: +median(slow.map(([, k]) => phase.tables[k]!)).toFixed(3),
        dictionary: +median(slow.map(([, k]) => phase.dictionary[k]!)).toFixed(3),
        records: +median(slow.map(([, k]) => phase.records[k]!)).toFixed(3),
      },
      client_cpu_share: +(busyMs / sumLat).toFixed(3),
      redis_cpu_ms_per_query: +((((await redisCpuSeconds(raw)) - rcpu) * 1000) / perRadius).toFixed(3),
      gc: { pauses: gc.count, total_ms: +gc.totalMs.toFixed(1), max_ms: +gc.maxMs.toFixed(2) },
      load_average_1m: [loadBefore, load1()],
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
    bucket_bits: layout.o.bucketBits,
    entry_width: layout.width,
    ingest: {
      seconds: +ingestS.toFixed(2),
      images_per_s: Math.round(n / ingestS),
      path: 'cache.setMany (records + index), batches of 10,000, chunks of 1,000',
      records_only_images_per_s: Math.round(baseN / baseS),
      records_only_images: baseN,
      client_cpu_us_per_image: +(((ingestCpu.user + ingestCpu.system) / n)).toFixed(1),
      redis_cpu_us_per_image: +((ingestRedisCpu * 1e6) / n).toFixed(1),
      load_average_1m: ingestLoad,
    },
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

/** P(Binomial(n, 1/2) <= k). */
function binomCdf(n: number, k: number): number {
  if (k < 0) return 0;
  let c = 1;
  let sum = 0;
  for (let i = 0; i <= Math.min(n, k); i++) {
    sum += c;
    c = (c * (n - i)) / (i + 1);
  }
  return sum / 2 ** n;
}

const choose = (n: number, k: number): number => {
  let c = 1;
  for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
  return c;
};

function projection(measured: Record<string, unknown> | undefined): Record<string, unknown> {
  const n = 100_000_000;
  const o = resolveSimilarityOptions({ expectedImages: n });
  const m = o.tables;
  const F = o.bucketBits;
  const width = Math.max(1, Math.ceil((o.dictionaryBits + 1) / 8)) + 4;
  const mem = (measured?.memory ?? {}) as Record<string, number>;
  const overhead = mem.bucket_overhead_bytes ?? 80;
  const fill = n / 2 ** F;
  const tableBytes = m * width + (m * 2 ** F * overhead) / n;
  const dictBytes = mem.index_dictionary_bytes_per_image ?? null;
  const out: Record<string, unknown> = {
    n,
    tables: m,
    bucket_bits: F,
    dictionary_bits: o.dictionaryBits,
    table_shard_bits: o.tableShardBits,
    max_radius: o.maxRadius,
    entry_bytes_per_image: m * width,
    table_bytes_per_image: +tableBytes.toFixed(1),
    dictionary_bytes_per_image: dictBytes,
    index_bytes_per_image: dictBytes === null ? null : +(tableBytes + dictBytes).toFixed(1),
    index_gb: dictBytes === null ? null : +(((tableBytes + dictBytes) * n) / 1e9).toFixed(1),
    assumptions: [
      'uniformly spread hashes (clusters only add near neighbours, degenerate hashes are capped)',
      `per-bucket overhead ${overhead.toFixed(0)} B (measured at the largest N; buckets hold ~${fill.toFixed(0)} entries of ${width} B at 100M, so jemalloc rounding per value may differ)`,
      'dictionary cost per image as measured (IDs of the same length, ~64 per shard string)',
      `tables split over 2^${o.tableShardBits} keys each so a Cluster spreads them; one pipeline per node per query`,
      'candidates = probes x images per bucket; survivors = candidates whose bucket + 32 rest bits are within r (binomial), plus true neighbours',
    ],
  };
  for (const r of RADII) {
    const radii = tableRadii(r, m);
    let probes = 0;
    let survivors = 0;
    for (const ri of radii) {
      for (let d = 0; d <= ri; d++) {
        probes += choose(F, d);
        survivors += choose(F, d) * fill * binomCdf(32, r - d);
      }
    }
    out[`r${r}`] = { probes, candidates: Math.round(probes * fill), false_survivors: +survivors.toFixed(1), bytes_read: Math.round(probes * fill * width) };
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
    const ing = res.ingest as { images_per_s: number; records_only_images_per_s: number };
    const cmp = res.compare_set_1000 as { median_ms: number };
    console.log(`\nN = ${(res.n as number).toLocaleString()}, m = ${String(res.tables)} tables of ${String(res.bucket_bits)}-bit buckets, entries of ${String(res.entry_width)} B`);
    console.log(`  exactness ${ex.exact} over ${ex.queries} queries | ingest ${ing.images_per_s}/s (records only ${ing.records_only_images_per_s}/s) | compareSet(1000) ${cmp.median_ms} ms`);
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
