/**
 * RANSAC for a homography between matched keypoints: fit exact homographies to
 * random 4-point samples, keep the one most points agree with (reprojection
 * error in B <= threshold px), refit it to all its inliers by least squares.
 * Samples whose homography breaks the sanity bounds are skipped. Seeded, so a
 * verification always gives the same answer for the same features.
 */
import { mulberry32 } from './prng.js';
import { fitHomography, type Homography } from './homography.js';

export interface RansacOptions {
  /** Largest reprojection error in B's pixels for an inlier. */
  thresholdPx: number;
  /** Upper bound on samples drawn. */
  maxIterations: number;
  /** Stop when a better model is this unlikely to exist (adaptive iteration count). */
  confidence: number;
  /**
   * Only models with at least this many inliers matter: the iteration count
   * starts from the samples needed to find such a model, not from
   * `maxIterations` (an unrelated pair with 20 chance matches then costs ~15
   * samples instead of 2,000). @default 4
   */
  minInliers?: number;
  /** A sample's homography is considered only if this accepts it. */
  plausible: (h: Homography) => boolean;
  seed: number;
}

export interface RansacResult {
  h: Homography;
  /** Indices (into the correspondence list) of the inliers, ascending. */
  inliers: number[];
}

/** Counts correspondences within `t2` (squared px) of their projection; fills `into` when given. */
function consensus(h: Homography, src: ArrayLike<number>, dst: ArrayLike<number>, n: number, t2: number, into?: number[]): number {
  let count = 0;
  for (let i = 0; i < n; i++) {
    const x = src[2 * i]!;
    const y = src[2 * i + 1]!;
    const w = h[6]! * x + h[7]! * y + h[8]!;
    if (!(w > 0)) continue;
    const du = (h[0]! * x + h[1]! * y + h[2]!) / w - dst[2 * i]!;
    const dv = (h[3]! * x + h[4]! * y + h[5]!) / w - dst[2 * i + 1]!;
    if (du * du + dv * dv <= t2) {
      count++;
      into?.push(i);
    }
  }
  return count;
}

/** Twice the area of triangle (i, j, k) of a point list. */
function triangle2(p: ArrayLike<number>, i: number, j: number, k: number): number {
  return Math.abs((p[2 * j]! - p[2 * i]!) * (p[2 * k + 1]! - p[2 * i + 1]!) - (p[2 * j + 1]! - p[2 * i + 1]!) * (p[2 * k]! - p[2 * i]!));
}

/** Whether three of the four sample points are (nearly) collinear in either image. */
function degenerate(src: ArrayLike<number>, dst: ArrayLike<number>, s: readonly number[]): boolean {
  const [a, b, c, d] = s as [number, number, number, number];
  for (const p of [src, dst]) {
    if (triangle2(p, a, b, c) < 1 || triangle2(p, a, b, d) < 1 || triangle2(p, a, c, d) < 1 || triangle2(p, b, c, d) < 1) return true;
  }
  return false;
}

/**
 * Best homography src -> dst over `n` correspondences (flat x,y arrays aligned
 * by index), or null when fewer than 4 agree on a plausible one.
 */
export function ransacHomography(src: ArrayLike<number>, dst: ArrayLike<number>, n: number, opts: RansacOptions): RansacResult | null {
  if (n < 4) return null;
  const rnd = mulberry32(opts.seed);
  const t2 = opts.thresholdPx * opts.thresholdPx;
  let best: Homography | null = null;
  let bestCount = 0;
  // samples for `confidence` that one of them was all inliers of a model with `count` inliers
  const iterationsFor = (count: number) => {
    const w = count / n;
    const p4 = w * w * w * w;
    return p4 >= 1 ? 0 : Math.min(opts.maxIterations, Math.ceil(Math.log(1 - opts.confidence) / Math.log(1 - p4)));
  };
  const floor = Math.max(4, opts.minInliers ?? 4);
  if (n < floor) return null;
  let needed = iterationsFor(floor);
  const sample = [0, 0, 0, 0];
  for (let it = 0; it < needed; it++) {
    for (let k = 0; k < 4; k++) {
      let i: number;
      do i = Math.floor(rnd() * n);
      while (sample.slice(0, k).includes(i));
      sample[k] = i;
    }
    if (degenerate(src, dst, sample)) continue;
    const h = fitHomography(src, dst, sample);
    if (!h || !opts.plausible(h)) continue;
    const count = consensus(h, src, dst, n, t2);
    if (count > bestCount) {
      bestCount = count;
      best = h;
      needed = iterationsFor(Math.max(count, floor));
    }
  }
  if (!best || bestCount < 4) return null;
  // refine: least squares on the inliers, while that keeps or grows the consensus
  let inliers: number[] = [];
  consensus(best, src, dst, n, t2, inliers);
  for (let round = 0; round < 3; round++) {
    const refit = fitHomography(src, dst, inliers);
    if (!refit || !opts.plausible(refit)) break;
    const next: number[] = [];
    consensus(refit, src, dst, n, t2, next);
    if (next.length < inliers.length) break;
    const same = next.length === inliers.length;
    best = refit;
    inliers = next;
    if (same) break;
  }
  return { h: best, inliers };
}
