/**
 * Which descriptor chunks become terms. An indexed image contributes one term
 * per keypoint: chunk position k mod 8 of keypoint k (the next position when
 * that chunk is degenerate), i.e. ~500 postings (~3.5 KB in Redis) instead of
 * the 8 x 500 that indexing every chunk would take (16 KB, over the 4 KB
 * budget). A query looks up all 8 chunks of each of its descriptors, so a
 * keypoint it shares with an indexed image votes whenever the chunk that image
 * indexed is identical in both. Measured on photos and their edits
 * (bench/provenance/index-choice.ts, docs/PROVENANCE.md).
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

function chunkAt(d: Uint8Array, k: number, p: number): number {
  const o = k * DESCRIPTOR_BYTES + p * 4;
  return (d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0;
}

function degenerate(chunk: number): boolean {
  const bits = popcount32(chunk);
  return bits < MIN_CHUNK_BITS || bits > MAX_CHUNK_BITS;
}

/** The terms an image is indexed under (one per keypoint with a usable chunk; distinct). */
export function indexTerms(descriptors: Uint8Array): Uint32Array {
  const n = Math.floor(descriptors.length / DESCRIPTOR_BYTES);
  const out = new Set<number>();
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < CHUNKS; i++) {
      const p = (k + i) % CHUNKS;
      const c = chunkAt(descriptors, k, p);
      if (degenerate(c)) continue;
      out.add(termOf(c, p));
      break;
    }
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
