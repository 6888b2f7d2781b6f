/**
 * Extraction pool throughput: images/s through createExtractionPool (worker
 * threads running extractFeatures), with more tasks in flight than workers so
 * the queue is never empty. Writes bench/results/pool.json (+ history.jsonl).
 * Run: npx tsx bench/pool-bench.ts [--size 2] [--images 48] [--runs 3]
 */
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createExtractionPool } from '../src/features/pool.js';
import { megapixelJpeg, smoothNoisePng } from '../test/features/fixtures.js';
import { machineInfo, median, writeResult } from './lib/report.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const size = arg('size', Math.min(2, availableParallelism()));
const count = arg('images', 48);
const runs = arg('runs', 3);
const inFlight = size * 4;

/** images/s over `images`, `inFlight` at a time. */
async function measure(images: Buffer[]): Promise<{ perSecond: number; firstMs: number }> {
  const pool = createExtractionPool({ size });
  try {
    const t0 = performance.now();
    await pool.extract(images[0]!); // includes starting a worker
    const firstMs = performance.now() - t0;
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < images.length) await pool.extract(images[next++]!);
      }),
    );
    return { perSecond: images.length / ((performance.now() - start) / 1000), firstMs };
  } finally {
    await pool.close();
  }
}

const sets = {
  'thumbnail 256x256 PNG': await Promise.all(Array.from({ length: count }, (_, i) => smoothNoisePng(i, 256, 256))),
  '1 MP JPEG': await Promise.all(Array.from({ length: Math.max(8, count / 4) }, (_, i) => megapixelJpeg(i))),
};
const rows = [];
for (const [name, images] of Object.entries(sets)) {
  const per: number[] = [];
  const first: number[] = [];
  for (let r = 0; r < runs; r++) {
    const m = await measure(images);
    per.push(m.perSecond);
    first.push(m.firstMs);
  }
  rows.push({ images: name, count: images.length, pool_size: size, in_flight: inFlight, images_per_s: Math.round(median(per) * 10) / 10, runs: per.map((x) => Math.round(x * 10) / 10), first_task_ms: Math.round(median(first)) });
}
console.table(rows.map(({ runs: _r, ...r }) => r));
const file = writeResult('pool', { machine: machineInfo(), load_after: loadavg(), rows });
console.log(`results: ${file}`);
