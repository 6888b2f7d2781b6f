/**
 * src/provenance/match.ts's matchDescriptors as it was before the per-byte bit counts
 * (one popcount per 32-bit word), kept verbatim so that ab-orb.ts times the old code,
 * not a rewrite of it, and checks the new one against it match for match. Measurement only.
 */
import { popcount32 } from '../../src/features/hamming.js';
import { ORB_DESCRIPTOR_BYTES } from '../../src/features/orb.js';
import type { Matches } from '../../src/provenance/match.js';

const WORDS = ORB_DESCRIPTOR_BYTES / 4;

function words(d: Uint8Array): Uint32Array {
  if (d.byteOffset % 4 === 0) return new Uint32Array(d.buffer, d.byteOffset, d.byteLength >> 2);
  return new Uint32Array(d.slice().buffer);
}

export function matchReference(a: Uint8Array, b: Uint8Array, ratio: number): Matches {
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
      let d = popcount32(a0 ^ wb[p]!) + popcount32(a1 ^ wb[p + 1]!) + popcount32(a2 ^ wb[p + 2]!) + popcount32(a3 ^ wb[p + 3]!);
      if (d >= second) continue;
      d += popcount32(a4 ^ wb[p + 4]!) + popcount32(a5 ^ wb[p + 5]!) + popcount32(a6 ^ wb[p + 6]!) + popcount32(a7 ^ wb[p + 7]!);
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
