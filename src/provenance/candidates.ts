/**
 * Candidate pairs for analyzeSet: which pairs of a set are worth a geometric
 * verification. Three cheap sources of evidence, all in memory:
 * - identical content hashes (the same file);
 * - perceptual hashes within a radius in any of the 8 dihedral orientations
 *   (a 90° rotation or a mirror of a whole image);
 * - a vote over exact 32-bit descriptor chunks: each 256-bit ORB descriptor is
 *   cut into 8 chunks; per chunk position every (chunk, image) pair is put in one
 *   typed array, sorted, and runs of equal chunks are scanned. Two images that
 *   share many exact chunks share keypoints (a crop, an overlay, a splice);
 *   a chunk shared by too many images carries no information (flat areas) and is
 *   stop-listed.
 * n images cost 8 sorts of ~500n numbers plus n²/2 popcounts of 64-bit hashes,
 * instead of n²/2 RANSAC runs.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { isHash64, popcount32 } from '../search/hash64.js';

/** One image's cheap evidence (absent parts are null). */
export interface CandidateInput {
  /** ORB descriptors, 32 bytes per keypoint (rBRIEF). */
  descriptors: Uint8Array | null;
  /** The 8 dihedral pHash variants (index 0 = identity), or just [phash] when only that is known. */
  hashes: readonly string[] | null;
  /** SHA-256 of the file bytes. */
  contentHash: string | null;
}

export interface CandidateOptions {
  /** A pair is proposed when it shares at least this many distinct descriptor chunks. @default 10 */
  minVotes?: number;
  /** A chunk shared by more images than this is ignored (stop list). @default max(16, 1% of the images) */
  maxChunkImages?: number;
  /** A pair is proposed when a pHash of one is within this many bits of the other's in some orientation. @default 10 */
  maxHashDistance?: number;
  /** Vote-proposed pairs kept per image (the ones with most votes). @default 32 */
  maxVotePairsPerImage?: number;
}

export interface Candidate {
  /** Indexes into the input, a < b. */
  a: number;
  b: number;
  /** Distinct descriptor chunks the two share (0 without descriptors). */
  votes: number;
  /** Smallest pHash distance over the orientations of `a` against `b`'s identity hash; null without hashes. */
  hashDistance: number | null;
  /** The orientation of `a` (index into DIHEDRAL_ORIENTATIONS) that gave hashDistance. */
  orientation: number | null;
  /** Same content hash: the same file. */
  identical: boolean;
}

/** The defaults above, written once. */
export const CANDIDATE_DEFAULTS = Object.freeze({
  minVotes: 10,
  minMaxChunkImages: 16,
  maxChunkImagesFraction: 0.01,
  maxHashDistance: 10,
  maxVotePairsPerImage: 32,
});

/** Image indexes take the low 20 bits of a sort key (the chunk the 32 above; 52 bits fit a double exactly). */
const IMAGE_BITS = 2 ** 20;
/** Most images one call can hold. */
export const MAX_CANDIDATE_IMAGES = IMAGE_BITS;
const CHUNKS_PER_DESCRIPTOR = 8;
const DESCRIPTOR_BYTES = 32;

interface Resolved {
  minVotes: number;
  maxChunkImages: number;
  maxHashDistance: number;
  maxVotePairsPerImage: number;
}

function resolve(o: CandidateOptions, n: number): Resolved {
  return {
    minVotes: o.minVotes ?? CANDIDATE_DEFAULTS.minVotes,
    maxChunkImages:
      o.maxChunkImages ?? Math.max(CANDIDATE_DEFAULTS.minMaxChunkImages, Math.ceil(n * CANDIDATE_DEFAULTS.maxChunkImagesFraction)),
    maxHashDistance: o.maxHashDistance ?? CANDIDATE_DEFAULTS.maxHashDistance,
    maxVotePairsPerImage: o.maxVotePairsPerImage ?? CANDIDATE_DEFAULTS.maxVotePairsPerImage,
  };
}

/**
 * Votes per pair: the number of distinct (chunk position, chunk value) both
 * images hold, over chunks held by at most `maxChunkImages` images.
 * Keys are a * n + b (a < b). Yields to the event loop between chunk positions.
 */
export async function chunkVotes(descriptors: ReadonlyArray<Uint8Array | null>, maxChunkImages: number): Promise<Map<number, number>> {
  const n = descriptors.length;
  if (n > MAX_CANDIDATE_IMAGES) throw new RangeError(`at most ${MAX_CANDIDATE_IMAGES} images`);
  let total = 0;
  for (const d of descriptors) if (d) total += Math.floor(d.length / DESCRIPTOR_BYTES);
  const votes = new Map<number, number>();
  if (total === 0) return votes;
  const keys = new Float64Array(total);
  const members: number[] = [];
  for (let pos = 0; pos < CHUNKS_PER_DESCRIPTOR; pos++) {
    let w = 0;
    for (let img = 0; img < n; img++) {
      const d = descriptors[img];
      if (!d) continue;
      const rows = Math.floor(d.length / DESCRIPTOR_BYTES);
      for (let r = 0, o = pos * 4; r < rows; r++, o += DESCRIPTOR_BYTES) {
        const chunk = (d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0;
        keys[w++] = chunk * IMAGE_BITS + img;
      }
    }
    keys.sort();
    for (let i = 0; i < total; ) {
      const chunk = Math.floor(keys[i]! / IMAGE_BITS);
      const base = chunk * IMAGE_BITS;
      members.length = 0;
      let j = i;
      for (; j < total && keys[j]! - base < IMAGE_BITS; j++) {
        const img = keys[j]! - base;
        // sorted: the same image's repeats are adjacent
        if (members[members.length - 1] !== img) members.push(img);
      }
      i = j;
      if (members.length < 2 || members.length > maxChunkImages) continue;
      for (let x = 0; x < members.length; x++) {
        for (let y = x + 1; y < members.length; y++) {
          const key = members[x]! * n + members[y]!;
          votes.set(key, (votes.get(key) ?? 0) + 1);
        }
      }
    }
    await yieldToLoop();
  }
  return votes;
}

/** Hashes as (hi, lo) 32-bit halves; `valid` false where the input has none. */
function packHashes(inputs: readonly CandidateInput[]): { hi: Int32Array; lo: Int32Array; count: Uint8Array } {
  const n = inputs.length;
  const hi = new Int32Array(n * 8);
  const lo = new Int32Array(n * 8);
  const count = new Uint8Array(n);
  inputs.forEach((input, i) => {
    const hs = input.hashes;
    if (!hs || !isHash64(hs[0])) return;
    let k = 0;
    for (const h of hs.slice(0, 8)) {
      if (!isHash64(h)) break;
      hi[i * 8 + k] = parseInt(h.slice(0, 8), 16) | 0;
      lo[i * 8 + k] = parseInt(h.slice(8), 16) | 0;
      k++;
    }
    count[i] = k;
  });
  return { hi, lo, count };
}

/**
 * Pairs worth verifying, each once, ordered by (a, b). Yields to the event loop
 * between stages and every few hundred rows of the hash comparison.
 */
export async function proposeCandidates(inputs: readonly CandidateInput[], options: CandidateOptions = {}): Promise<Candidate[]> {
  const n = inputs.length;
  const o = resolve(options, n);
  const byKey = new Map<number, Candidate>();
  const entry = (a: number, b: number): Candidate => {
    const key = a * n + b;
    let c = byKey.get(key);
    if (!c) {
      c = { a, b, votes: 0, hashDistance: null, orientation: null, identical: false };
      byKey.set(key, c);
    }
    return c;
  };

  // 1. the same file
  const firstWithHash = new Map<string, number[]>();
  inputs.forEach((input, i) => {
    if (input.contentHash === null) return;
    const list = firstWithHash.get(input.contentHash);
    if (list) list.push(i);
    else firstWithHash.set(input.contentHash, [i]);
  });
  for (const list of firstWithHash.values()) {
    for (let x = 0; x < list.length; x++) for (let y = x + 1; y < list.length; y++) entry(list[x]!, list[y]!).identical = true;
  }

  // 2. perceptual hashes in any orientation (a's variants against b's identity hash, and b's against a's)
  const { hi, lo, count } = packHashes(inputs);
  for (let a = 0; a < n; a++) {
    const ca = count[a]!;
    if (ca === 0) continue;
    for (let b = a + 1; b < n; b++) {
      const cb = count[b]!;
      if (cb === 0) continue;
      let best = 65;
      let bestOrientation = 0;
      const bh = hi[b * 8]!;
      const bl = lo[b * 8]!;
      for (let v = 0; v < ca; v++) {
        const d = popcount32((hi[a * 8 + v]! ^ bh) >>> 0) + popcount32((lo[a * 8 + v]! ^ bl) >>> 0);
        if (d < best) {
          best = d;
          bestOrientation = v;
        }
      }
      // b's variants against a's identity: the same set of transforms seen from b (covers crops of the rotated image)
      const ah = hi[a * 8]!;
      const al = lo[a * 8]!;
      for (let v = 1; v < cb; v++) {
        const d = popcount32((hi[b * 8 + v]! ^ ah) >>> 0) + popcount32((lo[b * 8 + v]! ^ al) >>> 0);
        if (d < best) {
          best = d;
          bestOrientation = inverseOrientation(v);
        }
      }
      if (best <= o.maxHashDistance) {
        const c = entry(a, b);
        c.hashDistance = best;
        c.orientation = bestOrientation;
      }
    }
    if ((a & 255) === 255) await yieldToLoop();
  }

  // 3. shared descriptor chunks, the strongest pairs per image
  const votes = await chunkVotes(
    inputs.map((i) => i.descriptors),
    o.maxChunkImages,
  );
  const strong: Array<[number, number]> = [];
  for (const [key, v] of votes) if (v >= o.minVotes) strong.push([key, v]);
  strong.sort((x, y) => y[1] - x[1] || x[0] - y[0]);
  const kept = new Uint32Array(n);
  for (const [key, v] of strong) {
    const a = Math.floor(key / n);
    const b = key - a * n;
    // kept when it is among the strongest of either image
    if (kept[a]! >= o.maxVotePairsPerImage && kept[b]! >= o.maxVotePairsPerImage) continue;
    kept[a]! += 1;
    kept[b]! += 1;
    entry(a, b).votes = v;
  }
  // votes for pairs proposed by other evidence too (reported with the edge)
  for (const c of byKey.values()) if (c.votes === 0) c.votes = votes.get(c.a * n + c.b) ?? 0;

  return [...byKey.values()].sort((x, y) => x.a - y.a || x.b - y.b);
}

/**
 * The dihedral orientation that undoes `v` (order: identity, rot90, rot180,
 * rot270, mirror, mirror+rot90, mirror+rot180, mirror+rot270). Rotations invert
 * to the opposite rotation; a mirror composition is its own inverse.
 */
export function inverseOrientation(v: number): number {
  if (v === 1) return 3;
  if (v === 3) return 1;
  return v;
}
