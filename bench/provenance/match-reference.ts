/**
 * The descriptor matcher as it was before the byte-count popcount (a popcount per
 * 32-bit word): ab-orb.ts checks src/provenance/match.ts against it, match for
 * match, and times both. Measurement only.
 */
import { popcount32 } from '../../src/features/hamming.js';
import type { Matches } from '../../src/provenance/match.js';

export function matchReference(a: Uint8Array, b: Uint8Array, ratio: number): Matches {
  const wa = new Uint32Array(a.slice().buffer);
  const wb = new Uint32Array(b.slice().buffer);
  const na = a.length >> 5;
  const nb = b.length >> 5;
  const out: number[][] = [[], [], []];
  if (nb < 2) return { a: new Uint32Array(0), b: new Uint32Array(0), distance: new Uint16Array(0) };
  for (let i = 0; i < na; i++) {
    let best = 257;
    let second = 257;
    let bestJ = -1;
    for (let j = 0; j < nb; j++) {
      let d = 0;
      for (let w = 0; w < 4; w++) d += popcount32(wa[i * 8 + w]! ^ wb[j * 8 + w]!);
      if (d >= second) continue;
      for (let w = 4; w < 8; w++) d += popcount32(wa[i * 8 + w]! ^ wb[j * 8 + w]!);
      if (d < best) [second, best, bestJ] = [best, d, j];
      else if (d < second) second = d;
    }
    if (bestJ >= 0 && best < ratio * second) out.forEach((o, k) => o.push([i, bestJ, best][k]!));
  }
  return { a: Uint32Array.from(out[0]!), b: Uint32Array.from(out[1]!), distance: Uint16Array.from(out[2]!) };
}
