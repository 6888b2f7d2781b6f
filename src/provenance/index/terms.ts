/**
 * Which descriptor chunks become terms. An indexed image contributes one term
 * per keypoint: chunk position k mod 8 of keypoint k (the next position when
 * that chunk is degenerate), and a second one, the chunk four positions on,
 * for the SECOND_CHUNK_KEYPOINTS strongest keypoints (ORB's keypoints are
 * ordered strongest first): ~500 postings (~3.8 KB in Redis with the maps at
 * 20,000 images) instead of the 8 x 430 that indexing every chunk would take
 * (over the 4 KB budget). A query looks up all 8 chunks of each of its
 * descriptors, so a keypoint it shares with an indexed image votes whenever a
 * chunk that image indexed is identical in both. Measured on photos and their
 * edits (bench/provenance/index-choice.ts, bench/provenance/vote-diagnosis.ts,
 * docs/PROVENANCE.md).
 *
 * Degenerate chunks (popcount <= 3 or >= 29: the comparisons of a flat area all
 * come out the same way) are never indexed nor looked up: they are the common
 * ones, the first entries of any stop list.
 */
import { popcount32 } from '../../search/hash64.js';
import { termOf } from './layout.js';

const DESCRIPTOR_BYTES = 32;
const CHUNKS = 8;
const MIN_CHUNK_BITS = 4;
const MAX_CHUNK_BITS = 28;
/** The strongest keypoints that index a second chunk (the budget's room: 64 x 6 B). */
export const SECOND_CHUNK_KEYPOINTS = 64;

function chunkAt(d: Uint8Array, k: number, p: number): number {
  const o = k * DESCRIPTOR_BYTES + p * 4;
  return (d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0;
}

function degenerate(chunk: number): boolean {
  const bits = popcount32(chunk);
  return bits < MIN_CHUNK_BITS || bits > MAX_CHUNK_BITS;
}

/** The first usable chunk position of keypoint k from position `from` on, or -1. */
function usablePosition(descriptors: Uint8Array, k: number, from: number): number {
  for (let i = 0; i < CHUNKS; i++) {
    const p = (from + i) % CHUNKS;
    if (!degenerate(chunkAt(descriptors, k, p))) return p;
  }
  return -1;
}

/**
 * The terms an image is indexed under (distinct): one per keypoint with a
 * usable chunk, two for the SECOND_CHUNK_KEYPOINTS strongest.
 */
export function indexTerms(descriptors: Uint8Array): Uint32Array {
  const n = Math.floor(descriptors.length / DESCRIPTOR_BYTES);
  const out = new Set<number>();
  for (let k = 0; k < n; k++) {
    const p = usablePosition(descriptors, k, k % CHUNKS);
    if (p < 0) continue;
    out.add(termOf(chunkAt(descriptors, k, p), p));
    if (k >= SECOND_CHUNK_KEYPOINTS) continue;
    const q = usablePosition(descriptors, k, (p + CHUNKS / 2) % CHUNKS);
    if (q !== p) out.add(termOf(chunkAt(descriptors, k, q), q));
  }
  return Uint32Array.from(out);
}

/**
 * The terms a query looks up, with the keypoint each came from (every usable
 * chunk of each descriptor; `keep` selects keypoints, for the donor search).
 */
export function queryTerms(descriptors: Uint8Array, keep?: (k: number) => boolean): { terms: Uint32Array; keypoints: Uint32Array } {
  const n = Math.floor(descriptors.length / DESCRIPTOR_BYTES);
  const terms: number[] = [];
  const keypoints: number[] = [];
  for (let k = 0; k < n; k++) {
    if (keep && !keep(k)) continue;
    for (let p = 0; p < CHUNKS; p++) {
      const c = chunkAt(descriptors, k, p);
      if (degenerate(c)) continue;
      terms.push(termOf(c, p));
      keypoints.push(k);
    }
  }
  return { terms: Uint32Array.from(terms), keypoints: Uint32Array.from(keypoints) };
}

/** FNV-1a of the descriptor bytes: an image whose descriptors did not change keeps its postings. */
export function descriptorFingerprint(descriptors: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < descriptors.length; i++) {
    h ^= descriptors[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
