/**
 * The scale bench's distractors and their extracted features, cached on disk
 * outside the repository (~/.cache/featcache-bench/, or FEATCACHE_BENCH_CACHE):
 * extracting ORB for 100,000 images is the expensive part of the bench, so a
 * rerun reads the features back instead of extracting them again.
 *
 * - Distractor k is drawTexture(seedBase + k) (drawn-textures.ts) at the
 *   configured size, encoded as JPEG q90, its features extracted by the
 *   extraction pool (worker threads; run the bench under `nice -n 10`).
 * - Shards of SHARD_SIZE images, one file each: `shard-<n>.bin` = repeated
 *   [uint32 LE length][record encoded by the cache's own codec]. A shard is
 *   written to a temporary file and renamed, so an interrupted build never
 *   leaves a half shard; the next run continues with the missing shards.
 * - The directory name is the cache key: generator version, size, shapes, seed
 *   base and the extractor version (extractorVersion(): names, versions and the
 *   ORB keypoint budget). Changing any of them starts a new directory.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createCodec } from '../../src/codec/index.js';
import type { OrbFeatures } from '../../src/features/orb.js';
import { extractQueryFeatures, QUERY_EXTRACTORS } from '../../src/provenance/index/query-features.js';
import { extractorVersion, type ExtractorName } from '../../src/features/index.js';
import type { ExtractionPool } from '../../src/features/pool.js';
import type { Features } from '../../src/index.js';
import { DRAWN_TEXTURE_VERSION, drawnTextureJpeg } from './drawn-textures.js';
import { SMOOTH_TEXTURE_VERSION, smoothJpeg } from './smooth-textures.js';

/** Images per shard file. */
export const SHARD_SIZE = 1000;
/** What verification and the provenance index read from a record (no colour hashes). */
export const SCALE_EXTRACTORS: readonly ExtractorName[] = ['meta', 'orb', 'phash', 'phash_dihedral', 'content_hash'];
/** The same plus the `thumb` the texture-poor tier registers (the photos, the hosts and the smooth distractors). */
export const SCALE_THUMB_EXTRACTORS: readonly ExtractorName[] = [...SCALE_EXTRACTORS, 'thumb'];

export interface DistractorSpec {
  width: number;
  height: number;
  shapes: number;
  /** Distractor k is drawn from seed seedBase + k. */
  seedBase: number;
  /** Drawn textures (drawn-textures.ts, the default) or smooth images (smooth-textures.ts, with `thumb`). */
  kind?: 'drawn' | 'smooth';
}

export const DEFAULT_DISTRACTORS: DistractorSpec = Object.freeze({ width: 320, height: 240, shapes: 90, seedBase: 1_000_000 });
/** The texture-poor distractors (the texture-poor tier's false candidates are measured against them). */
export const SMOOTH_DISTRACTORS: DistractorSpec = Object.freeze({ width: 320, height: 240, shapes: 0, seedBase: 3_000_000, kind: 'smooth' });

const extractorsOf = (spec: DistractorSpec) => (spec.kind === 'smooth' ? SCALE_THUMB_EXTRACTORS : SCALE_EXTRACTORS);
const imageOf = (spec: DistractorSpec, k: number) => (spec.kind === 'smooth' ? smoothJpeg(distractorSeed(spec, k), spec) : drawnTextureJpeg(distractorSeed(spec, k), spec));

export function cacheRoot(): string {
  return process.env.FEATCACHE_BENCH_CACHE ?? join(homedir(), '.cache', 'featcache-bench');
}

/** The directory of one distractor corpus: its name is the cache key. */
export function corpusDir(spec: DistractorSpec): string {
  const key = [
    spec.kind === 'smooth' ? `smooth${SMOOTH_TEXTURE_VERSION}` : `drawn${DRAWN_TEXTURE_VERSION}`,
    `${spec.width}x${spec.height}`,
    `s${spec.shapes}`,
    `seed${spec.seedBase}`,
    extractorVersion({ extractors: extractorsOf(spec) }),
  ].join('_');
  return join(cacheRoot(), 'provenance-scale', key);
}

const codec = createCodec();
const shardFile = (dir: string, n: number) => join(dir, `shard-${String(n).padStart(5, '0')}.bin`);

export interface Distractor {
  /** Index k (the image ID is `distractor:<k>`). */
  k: number;
  features: Features;
}

function encodeShard(features: Features[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of features) {
    const body = codec.encode(f, 0);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(body.length);
    parts.push(len, body);
  }
  return Buffer.concat(parts);
}

function decodeShard(bytes: Buffer): Features[] {
  const out: Features[] = [];
  for (let at = 0; at < bytes.length; ) {
    const len = bytes.readUInt32LE(at);
    out.push(codec.decode(bytes.subarray(at + 4, at + 4 + len)).features);
    at += 4 + len;
  }
  return out;
}

export const distractorSeed = (spec: DistractorSpec, k: number) => spec.seedBase + k;

/** Extracts and writes the shards of the first `count` distractors that are not on disk yet. */
export async function buildDistractors(
  spec: DistractorSpec,
  count: number,
  pool: ExtractionPool,
  log: (s: string) => void,
): Promise<{ built: number; seconds: number }> {
  const dir = corpusDir(spec);
  mkdirSync(dir, { recursive: true });
  const shards = Math.ceil(count / SHARD_SIZE);
  const t0 = performance.now();
  let built = 0;
  for (let n = 0; n < shards; n++) {
    if (existsSync(shardFile(dir, n))) continue;
    const features = new Array<Features>(SHARD_SIZE);
    let next = 0;
    // two images in flight per worker: generation (this thread) overlaps extraction (the workers)
    await Promise.all(
      Array.from({ length: pool.size * 2 }, async () => {
        while (next < SHARD_SIZE) {
          const i = next++;
          const k = n * SHARD_SIZE + i;
          features[i] = await pool.extract(await imageOf(spec, k), { extractors: extractorsOf(spec) });
        }
      }),
    );
    const tmp = `${shardFile(dir, n)}.tmp-${process.pid}`;
    writeFileSync(tmp, encodeShard(features));
    renameSync(tmp, shardFile(dir, n));
    built += SHARD_SIZE;
    const s = (performance.now() - t0) / 1000;
    log(`  distractors: shard ${n + 1}/${shards} extracted (${built} in ${s.toFixed(0)} s, ${(built / s).toFixed(1)} images/s)`);
  }
  return { built, seconds: (performance.now() - t0) / 1000 };
}

/** How many distractors (whole shards) are on disk, counted from 0. */
export function cachedDistractors(spec: DistractorSpec): number {
  const dir = corpusDir(spec);
  let n = 0;
  while (existsSync(shardFile(dir, n))) n++;
  return n * SHARD_SIZE;
}

/** Reads distractors [from, to) shard by shard (they must have been built). */
export function* readDistractors(spec: DistractorSpec, from: number, to: number): Generator<Distractor[]> {
  const dir = corpusDir(spec);
  for (let n = Math.floor(from / SHARD_SIZE); n * SHARD_SIZE < to; n++) {
    const all = decodeShard(readFileSync(shardFile(dir, n)));
    const out: Distractor[] = [];
    all.forEach((features, i) => {
      const k = n * SHARD_SIZE + i;
      if (k >= from && k < to) out.push({ k, features });
    });
    yield out;
  }
}

/**
 * extractQueryFeatures (features + the mirror image's ORB), cached on disk by the
 * image's SHA-256 and the extractor version: the queries are the same on every run.
 * Returns the milliseconds the extraction took, or null when read from disk.
 */
export async function cachedQueryFeatures(image: Buffer): Promise<{ features: Features; mirrored: OrbFeatures; ms: number | null }> {
  const dir = join(cacheRoot(), 'provenance-scale', `queries_${extractorVersion({ extractors: QUERY_EXTRACTORS })}`);
  const file = join(dir, `${createHash('sha256').update(image).digest('hex')}.bin`);
  if (existsSync(file)) {
    const [features, mirror] = decodeShard(readFileSync(file));
    return { features: features!, mirrored: mirror!.orb as OrbFeatures, ms: null };
  }
  const t = performance.now();
  const { features, mirrored } = await extractQueryFeatures(image);
  const ms = performance.now() - t;
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, encodeShard([features, { orb: mirrored }]));
  renameSync(tmp, file);
  return { features, mirrored, ms };
}
