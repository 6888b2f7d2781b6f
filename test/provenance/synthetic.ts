/**
 * Synthetic ORB-like features: random keypoints with random 256-bit
 * descriptors, and the same keypoints seen through a known map (with
 * descriptor bit noise and distractor keypoints), to test matching, RANSAC and
 * verdicts without an extractor.
 */
import type { OrbFeatures } from '../../src/provenance/orb-input.js';
import { mulberry32 } from '../../src/provenance/prng.js';

export interface Synthetic {
  width: number;
  height: number;
  points: number[]; // x, y (float)
  descriptors: Uint8Array;
}

export function randomScene(seed: number, width: number, height: number, n: number): Synthetic {
  const rnd = mulberry32(seed);
  const points: number[] = [];
  for (let i = 0; i < n; i++) points.push(rnd() * (width - 1), rnd() * (height - 1));
  const descriptors = new Uint8Array(32 * n);
  for (let i = 0; i < descriptors.length; i++) descriptors[i] = Math.floor(rnd() * 256);
  return { width, height, points, descriptors };
}

export function toOrb(s: Synthetic): OrbFeatures {
  return { width: s.width, height: s.height, keypoints: Uint16Array.from(s.points, (v) => Math.round(v)), descriptors: s.descriptors };
}

/**
 * The scene seen through `map` (A px -> B px) in a width x height frame:
 * points that land inside are kept with `flipBits` descriptor bits flipped,
 * plus `distractors` unrelated keypoints.
 */
export function viewOf(
  a: Synthetic,
  map: (x: number, y: number) => [number, number],
  width: number,
  height: number,
  opts: { seed: number; flipBits?: number; distractors?: number; keep?: (x: number, y: number) => boolean },
): Synthetic {
  const rnd = mulberry32(opts.seed);
  const points: number[] = [];
  const desc: number[] = [];
  const n = a.points.length / 2;
  for (let i = 0; i < n; i++) {
    const [u, v] = map(a.points[2 * i]!, a.points[2 * i + 1]!);
    if (u < 0 || v < 0 || u > width - 1 || v > height - 1) continue;
    if (opts.keep && !opts.keep(u, v)) continue;
    points.push(u, v);
    const d = Array.from(a.descriptors.subarray(32 * i, 32 * i + 32));
    for (let f = 0; f < (opts.flipBits ?? 8); f++) {
      const bit = Math.floor(rnd() * 256);
      d[bit >> 3] = d[bit >> 3]! ^ (1 << (bit & 7));
    }
    desc.push(...d);
  }
  const extra = randomScene(opts.seed + 1, width, height, opts.distractors ?? 50);
  points.push(...extra.points);
  desc.push(...extra.descriptors);
  return { width, height, points, descriptors: Uint8Array.from(desc) };
}
