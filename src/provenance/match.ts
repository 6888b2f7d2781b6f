/**
 * Brute-force Hamming matching of 256-bit binary descriptors (ORB's rBRIEF)
 * with Lowe's ratio test: each descriptor of A keeps its nearest descriptor of
 * B when that one is clearly nearer than the second nearest.
 *
 * Descriptors are compared as eight 32-bit words, XOR and popcount. The popcount
 * sums per-byte bit counts of four words before the one multiply that adds the
 * bytes up (a byte then holds at most 32), and the second half of a descriptor is
 * skipped when the first half already is no nearer than the second nearest: the
 * same matches as counting every word, ~7% less matching time (docs/PROVENANCE.md).
 */
import { ORB_DESCRIPTOR_BYTES } from '../features/orb.js';

const WORDS = ORB_DESCRIPTOR_BYTES / 4;

/** Bits set in each byte of `x`, per byte (each 0..8). */
function byteCounts(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (x + (x >>> 4)) & 0x0f0f0f0f;
}

/** Sum of the four bytes of `x` (here each at most 32: the total stays below 256, so the top byte holds it). */
function sumBytes(x: number): number {
  return Math.imul(x, 0x01010101) >>> 24;
}

export interface Matches {
  /** Keypoint index in A of each match. */
  a: Uint32Array;
  /** Keypoint index in B of each match. */
  b: Uint32Array;
  /** Hamming distance of each match (0..256). */
  distance: Uint16Array;
}

/** The descriptors as 32-bit words, without a copy when the buffer is aligned. */
function words(d: Uint8Array): Uint32Array {
  if (d.byteOffset % 4 === 0) return new Uint32Array(d.buffer, d.byteOffset, d.byteLength >> 2);
  return new Uint32Array(d.slice().buffer);
}


/**
 * Matches every descriptor of `a` to its nearest in `b`, kept when
 * nearest < ratio * second nearest (ratio 0.75: see docs/PROVENANCE.md).
 * `a` and `b` hold 32 bytes per descriptor.
 */
export function matchDescriptors(a: Uint8Array, b: Uint8Array, ratio: number): Matches {
  const wa = words(a);
  const wb = words(b);
  const na = Math.floor(a.length / ORB_DESCRIPTOR_BYTES);
  const nb = Math.floor(b.length / ORB_DESCRIPTOR_BYTES);
  const outA: number[] = [];
  const outB: number[] = [];
  const outD: number[] = [];
  if (nb < 2) return { a: new Uint32Array(0), b: new Uint32Array(0), distance: new Uint16Array(0) };
  for (let i = 0; i < na; i++) {
    const o = i * WORDS;
    const a0 = wa[o]!, a1 = wa[o + 1]!, a2 = wa[o + 2]!, a3 = wa[o + 3]!;
    const a4 = wa[o + 4]!, a5 = wa[o + 5]!, a6 = wa[o + 6]!, a7 = wa[o + 7]!;
    let best = 257;
    let second = 257;
    let bestJ = -1;
    for (let j = 0, p = 0; j < nb; j++, p += WORDS) {
      let d = sumBytes(byteCounts(a0 ^ wb[p]!) + byteCounts(a1 ^ wb[p + 1]!) + byteCounts(a2 ^ wb[p + 2]!) + byteCounts(a3 ^ wb[p + 3]!));
      if (d >= second) continue; // already no better than the second nearest
      d += sumBytes(byteCounts(a4 ^ wb[p + 4]!) + byteCounts(a5 ^ wb[p + 5]!) + byteCounts(a6 ^ wb[p + 6]!) + byteCounts(a7 ^ wb[p + 7]!));
      if (d < best) {
        second = best;
        best = d;
        bestJ = j;
      } else if (d < second) {
        second = d;
      }
    }
    if (bestJ >= 0 && best < ratio * second) {
      outA.push(i);
      outB.push(bestJ);
      outD.push(best);
    }
  }
  return { a: Uint32Array.from(outA), b: Uint32Array.from(outB), distance: Uint16Array.from(outD) };
}
