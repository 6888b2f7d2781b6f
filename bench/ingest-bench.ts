/**
 * Extraction at scale: throughput (images/s) of extractFeatures on 1-megapixel
 * JPEGs in-thread vs through the worker pool (2 workers), and of the whole
 * ingest (lookup + extract + write) cold vs a re-run that hits the cache.
 * Median of 3 runs each; load average recorded, since other processes share the machine.
 *
 *   npx tsx bench/ingest-bench.ts [--images 40] [--runs 3] [--workers 2]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FoundFile } from '../src/cli/ingest/discover.js';
import { runIngest } from '../src/cli/ingest/run.js';
import { extractFeatures } from '../src/features/index.js';
import { extractionFeatureVersion } from '../src/features/extractors.js';
import { createExtractionPool } from '../src/features/pool.js';
import { createFeatureCache } from '../src/index.js';
import { startRedisProcess } from '../src/redis/redis-process.js';
import type { FeatureCache } from '../src/types.js';
import { megapixelJpeg } from '../test/features/fixtures.js';
import { machineInfo, median, writeResult } from './lib/report.js';

const { values } = parseArgs({ options: { images: { type: 'string' }, runs: { type: 'string' }, workers: { type: 'string' } } });
const IMAGES = Number(values.images ?? 40);
const RUNS = Number(values.runs ?? 3);
const WORKERS = Number(values.workers ?? 2);

/** Runs `fn` over `items` with `inFlight` at once; returns images/s. */
async function throughput<T>(items: T[], inFlight: number, fn: (item: T) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
  return items.length / ((performance.now() - start) / 1000);
}

interface Row {
  name: string;
  runs: number[];
  median: number;
  load: number[];
}

async function measure(name: string, once: (run: number) => Promise<number>): Promise<Row> {
  const runs: number[] = [];
  const load: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    load.push(Math.round(loadavg()[0]! * 10) / 10);
    runs.push(await once(r));
  }
  const row = { name, runs: runs.map((x) => Math.round(x * 10) / 10), median: Math.round(median(runs) * 10) / 10, load };
  process.stderr.write(`${name}: ${row.runs.join(' / ')} img/s (load ${load.join(', ')})\n`);
  return row;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'featcache-ingest-bench-'));
  const redis = await startRedisProcess({ dir: join(dir, 'redis') });
  const pool = createExtractionPool({ size: WORKERS });
  try {
    const buffers: Buffer[] = [];
    const files: FoundFile[] = [];
    for (let i = 0; i < IMAGES; i++) {
      const jpeg = await megapixelJpeg(i);
      buffers.push(jpeg);
      const path = join(dir, `img-${String(i).padStart(4, '0')}.jpg`);
      writeFileSync(path, jpeg);
      files.push({ path, relative: `img-${i}.jpg` });
    }
    const avgKiB = Math.round(buffers.reduce((n, b) => n + b.length, 0) / buffers.length / 1024);
    process.stderr.write(`${IMAGES} JPEGs 1000x1000, avg ${avgKiB} KiB; ${RUNS} runs; pool of ${WORKERS} workers\n`);

    // warm up: JIT in this thread, worker start-up (tsx compile) in the pool
    await extractFeatures(buffers[0]!);
    await Promise.all(Array.from({ length: WORKERS }, (_, i) => pool.extract(buffers[i % IMAGES]!)));

    const rows: Row[] = [];
    rows.push(await measure('in-thread, 1 in flight', () => throughput(buffers, 1, (b) => extractFeatures(b))));
    rows.push(await measure('in-thread, 2 in flight', () => throughput(buffers, 2, (b) => extractFeatures(b))));
    rows.push(await measure(`pool ${WORKERS} workers, ${WORKERS} in flight`, () => throughput(buffers, WORKERS, (b) => pool.extract(b))));
    rows.push(await measure(`pool ${WORKERS} workers, ${WORKERS * 2} in flight`, () => throughput(buffers, WORKERS * 2, (b) => pool.extract(b))));

    // whole ingest from files: cold (fresh prefix per run) and a re-run that hits the cache
    const version = extractionFeatureVersion('bench');
    const caches: FeatureCache[] = [];
    for (let r = 0; r < RUNS; r++) caches.push(await createFeatureCache({ redis: redis.url, prefix: `ingest${r}`, featureVersion: version, trackExpiry: false }));
    const rate = async (r: number) => {
      const res = await runIngest(caches[r]!, pool, files, { concurrency: WORKERS * 2 });
      if (res.failed > 0) throw new Error(`${res.failed} files failed`);
      return res.done / (res.durationMs / 1000);
    };
    const cold = await measure(`ingest cold (pool ${WORKERS}, lookup + extract + setMany)`, rate);
    const warm = await measure('ingest re-run, all cached (getMany only)', rate);
    rows.push(cold, warm);
    for (const c of caches) await c.close();

    const inThread = rows[0]!.median;
    const poolBest = Math.max(rows[2]!.median, rows[3]!.median);
    const result = {
      machine: machineInfo(),
      images: IMAGES,
      avg_jpeg_kib: avgKiB,
      runs: RUNS,
      workers: WORKERS,
      feature_version: version,
      rows,
      pool_speedup_vs_in_thread: Math.round((poolBest / inThread) * 100) / 100,
      rerun_speedup_vs_cold: Math.round((warm.median / cold.median) * 10) / 10,
    };

    const width = Math.max(...rows.map((r) => r.name.length));
    const lines = [
      `${'measurement'.padEnd(width)} | median img/s | runs                       | load avg (1 min)`,
      `${'-'.repeat(width)}-|--------------|----------------------------|-----------------`,
      ...rows.map((r) => `${r.name.padEnd(width)} | ${String(r.median).padStart(12)} | ${r.runs.join(' / ').padEnd(26)} | ${r.load.join(', ')}`),
      '',
      `pool speed-up vs in-thread (1 in flight): x${result.pool_speedup_vs_in_thread}`,
      `re-run (all cached) speed-up vs cold ingest: x${result.rerun_speedup_vs_cold}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    process.stdout.write(`written ${writeResult('ingest', result)}\n`);
  } finally {
    await pool.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
