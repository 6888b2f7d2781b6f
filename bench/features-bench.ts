/**
 * Feature-extraction benchmark:
 *  (a) throughput of extractFeatures (all extractors) on 40 generated 1-megapixel JPEGs,
 *      median of 3 runs, at concurrency 1 and 2, plus a decode-only baseline;
 *  (b) Hamming-distance distributions (min/median/p90/max) per hash for transformed
 *      variants (resize 50%, JPEG q70, brightness x1.08) vs unrelated image pairs;
 *  (c) agreement with the Python imagehash reference hashes of imagehash.png;
 *  (d) the same with sharp's lanczos3 resize instead of our Pillow port (the alternative);
 *  (e) the cost of each extractor alone, ms per megapixel on one thread (its selection
 *      minus decoding: `extractors: [name]` minus `extractors: ['meta']`), ORB included,
 *      and ORB's CPU time per megapixel (orb_cpu).
 * Run: npx tsx bench/features-bench.ts [--save] [--costs-only]  (--save: bench/results/features.json + history.jsonl)
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import sharp from 'sharp';
import { EXTRACTORS, extractFeatures, hammingDistance, extractorVersion, type ExtractedFeatures, type ExtractorName } from '../src/features/index.js';
import { averageHashBits } from '../src/features/ahash.js';
import { differenceHashBits } from '../src/features/dhash.js';
import { rgbToGrey, type GreyImage } from '../src/features/grey.js';
import { bitsToHex } from '../src/features/hex.js';
import { perceptualHashBits } from '../src/features/phash.js';
import { baseImages, megapixelJpeg, transformed, IMAGEHASH_PNG, IMAGEHASH_REFERENCE } from '../test/features/fixtures.js';
import { writeResult } from './lib/report.js';

/** Images whose pHash is unstable by construction (see docs/FEATURES.md). */
const PHASH_DEGENERATE = new Set(['gradient-h', 'gradient-v', 'gradient-radial', 'checkerboard']);

const HASHES = ['ahash', 'dhash', 'phash'] as const;
type HashName = (typeof HASHES)[number];

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx]!;
}

function summary(values: number[]): { n: number; min: number; median: number; p90: number; max: number; mean: number } {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { n: s.length, min: s[0]!, median, p90: quantile(s, 0.9), max: s[s.length - 1]!, mean: Math.round(mean * 100) / 100 };
}

async function runPool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        await fn(item);
      }
    }),
  );
}

async function throughput(images: Buffer[], concurrency: number, fn: (b: Buffer) => Promise<unknown>): Promise<number> {
  const rates: number[] = [];
  for (let run = 0; run < 3; run++) {
    const t0 = process.hrtime.bigint();
    await runPool(images, concurrency, fn);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push(images.length / secs);
  }
  rates.sort((a, b) => a - b);
  return Math.round(rates[1]! * 10) / 10;
}

async function decodeOnly(b: Buffer): Promise<void> {
  await sharp(b, { failOn: 'error' }).removeAlpha().toColourspace('srgb').raw().toBuffer();
}

/** Median ms per image (all 1 MP) of `fn` over `images`, 3 runs. */
async function msPerImage(images: Buffer[], fn: (b: Buffer) => Promise<unknown>): Promise<number> {
  const runs: number[] = [];
  for (let run = 0; run < 3; run++) {
    const t0 = process.hrtime.bigint();
    for (const b of images) await fn(b);
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6 / images.length);
  }
  runs.sort((a, b) => a - b);
  return runs[1]!;
}

/** (e) ms per megapixel of each extractor alone, and of the default selection, on one thread. */
async function extractorCosts(jpegs: Buffer[]): Promise<Record<string, number>> {
  const images = jpegs.slice(0, 20);
  const run = (names?: ExtractorName[]) => msPerImage(images, (b) => (names ? extractFeatures(b, { extractors: names }) : extractFeatures(b)));
  await run(['orb']); // warm-up: loads OpenCV, JIT
  const decode = await run(['meta']);
  const costs: Record<string, number> = { decode_and_meta: round1(decode) };
  for (const { name } of EXTRACTORS) if (name !== 'meta') costs[name] = round1((await run([name])) - decode);
  costs.all_default = round1(await run());
  // CPU time (all threads of the process) is steadier than wall time on a shared machine
  const cpu = async (names: ExtractorName[]) => {
    const c0 = process.cpuUsage();
    for (const b of images) await extractFeatures(b, { extractors: names });
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000 / images.length;
  };
  costs.orb_cpu = round1((await cpu(['orb'])) - (await cpu(['meta'])));
  const [l1, l5] = os.loadavg();
  console.log(`(e) ms per megapixel on one thread, ${images.length} x 1000x1000 JPEGs, median of 3 (load average ${l1!.toFixed(1)} / ${l5!.toFixed(1)})`);
  for (const [k, v] of Object.entries(costs)) console.log(`    ${k.padEnd(16)} ${v}`);
  return costs;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

async function main(): Promise<void> {
  const save = process.argv.includes('--save');
  if (process.argv.includes('--costs-only')) {
    const jpegs: Buffer[] = [];
    for (let i = 0; i < 20; i++) jpegs.push(await megapixelJpeg(i));
    await extractorCosts(jpegs);
    return;
  }
  console.log(`featcache features bench — ${new Date().toISOString()} — ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, sharp ${sharp.versions.sharp}/libvips ${sharp.versions.vips}`);
  console.log(`extractor version: ${extractorVersion()}\n`);

  // (a) throughput
  const jpegs: Buffer[] = [];
  for (let i = 0; i < 40; i++) jpegs.push(await megapixelJpeg(i));
  const avgKb = Math.round(jpegs.reduce((a, b) => a + b.length, 0) / jpegs.length / 1024);
  for (const b of jpegs.slice(0, 4)) await extractFeatures(b); // warm-up (JIT, coefficient caches)
  const thr = {
    images: jpegs.length,
    avg_jpeg_kb: avgKb,
    extract_c1: await throughput(jpegs, 1, (b) => extractFeatures(b)),
    extract_c2: await throughput(jpegs, 2, (b) => extractFeatures(b)),
    decode_only_c1: await throughput(jpegs, 1, decodeOnly),
    decode_only_c2: await throughput(jpegs, 2, decodeOnly),
  };
  console.log('(a) throughput on 40 x 1000x1000 JPEGs (q85, avg %d KiB), images/s, median of 3 runs', avgKb);
  console.log(`    extractFeatures, 1 in flight : ${thr.extract_c1}`);
  console.log(`    extractFeatures, 2 in flight : ${thr.extract_c2}`);
  console.log(`    decode only (sharp raw RGB), 1: ${thr.decode_only_c1}   2: ${thr.decode_only_c2}\n`);

  // (b) distance distributions
  const bases = await baseImages();
  const feats = new Map<string, ExtractedFeatures>();
  for (const img of bases) feats.set(img.name, await extractFeatures(img.data));
  const near: Record<string, Record<HashName, number[]>> = {};
  const structured: Record<HashName, number[]> = { ahash: [], dhash: [], phash: [] };
  for (const img of bases) {
    const f0 = feats.get(img.name)!;
    for (const v of await transformed(img.data)) {
      const f1 = await extractFeatures(v.data);
      const bucket = (near[v.transform] ??= { ahash: [], dhash: [], phash: [] });
      for (const h of HASHES) {
        bucket[h].push(hammingDistance(f0[h], f1[h]));
        if (!PHASH_DEGENERATE.has(img.name)) structured[h].push(hammingDistance(f0[h], f1[h]));
      }
    }
  }
  const far: Record<HashName, number[]> = { ahash: [], dhash: [], phash: [] };
  for (let i = 0; i < bases.length; i++) {
    for (let j = i + 1; j < bases.length; j++) {
      const a = feats.get(bases[i]!.name)!;
      const b = feats.get(bases[j]!.name)!;
      for (const h of HASHES) far[h].push(hammingDistance(a[h], b[h]));
    }
  }
  const dist: Record<string, Record<HashName, ReturnType<typeof summary>>> = {};
  console.log(`(b) Hamming distances over ${bases.length} base images (min / median / p90 / max, mean)`);
  const rows: Array<[string, Record<HashName, number[]>]> = [
    ...Object.entries(near),
    ['all transformed', { ahash: Object.values(near).flatMap((b) => b.ahash), dhash: Object.values(near).flatMap((b) => b.dhash), phash: Object.values(near).flatMap((b) => b.phash) }],
    ['transf. struct.', structured],
    ['unrelated pairs', far],
  ];
  for (const [label, bucket] of rows) {
    dist[label] = { ahash: summary(bucket.ahash), dhash: summary(bucket.dhash), phash: summary(bucket.phash) };
    const cells = HASHES.map((h) => {
      const s = dist[label]![h];
      return `${h} ${s.min}/${s.median}/${s.p90}/${s.max} (${s.mean})`;
    });
    console.log(`    ${label.padEnd(16)} n=${String(bucket.ahash.length).padStart(3)}  ${cells.join('   ')}`);
  }

  // (c) imagehash reference
  const ref = JSON.parse(await readFile(IMAGEHASH_REFERENCE, 'utf8')) as Record<HashName, string>;
  const ours = await extractFeatures(IMAGEHASH_PNG);
  const agreement = Object.fromEntries(HASHES.map((h) => [h, { ours: ours[h], reference: ref[h], distance: hammingDistance(ours[h], ref[h]) }]));
  console.log('\n(c) imagehash.png vs Python imagehash reference');
  for (const h of HASHES) console.log(`    ${h}: ours ${ours[h]}  reference ${ref[h]}  distance ${agreement[h]!.distance}`);

  // (d) the alternative: sharp's own lanczos3 resize of the same Pillow-grey image.
  const { data, info } = await sharp(IMAGEHASH_PNG).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const grey = rgbToGrey(new Uint8Array(data), info.width, info.height);
  const vipsResize = async (w: number, h: number): Promise<GreyImage> => ({
    data: new Uint8Array(
      await sharp(Buffer.from(grey.data), { raw: { width: grey.width, height: grey.height, channels: 1 } })
        .resize(w, h, { fit: 'fill', kernel: 'lanczos3' })
        .extractChannel(0)
        .raw()
        .toBuffer(),
    ),
    width: w,
    height: h,
  });
  const alt: Record<HashName, string> = {
    ahash: bitsToHex(averageHashBits(await vipsResize(8, 8))),
    dhash: bitsToHex(differenceHashBits(await vipsResize(9, 8))),
    phash: bitsToHex(perceptualHashBits(await vipsResize(32, 32))),
  };
  console.log("\n(d) same, resizing with sharp's lanczos3 instead of the Pillow port");
  for (const h of HASHES) console.log(`    ${h}: ${alt[h]}  distance to reference ${hammingDistance(alt[h], ref[h])}`);

  console.log('');
  const costs = await extractorCosts(jpegs);

  if (save) {
    const file = writeResult('features', { date: new Date().toISOString(), cpus: os.cpus().length, loadavg: os.loadavg(), throughput: thr, distances: dist, agreement, extractor_ms_per_mp: costs });
    console.log(`\nwrote ${file} (and a line of bench/results/history.jsonl)`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
