/**
 * The geometric pass: descriptor matches (ratio test) filtered by a RANSAC
 * homography, forward and, when B's mirrored features are given, against the
 * mirror image (ORB descriptors are not mirror-invariant, so a mirror is found
 * only by matching the mirrored image's own descriptors).
 */
import { multiply, mirrorX, type Homography } from './homography.js';
import { matchDescriptors } from './match.js';
import type { OrbFeatures } from './orb-input.js';
import { ransacHomography } from './ransac.js';
import { isPlausible } from './sanity.js';

export interface GeometricParams {
  ratio: number;
  thresholdPx: number;
  /** Fewest inliers that count (RANSAC spends no samples on smaller models). */
  minInliers: number;
  maxIterations: number;
  seed: number;
}

export interface GeometricMatch {
  /** Matches that passed the ratio test. */
  matches: number;
  /** A -> B in the analysed frames; null when no plausible homography was found. */
  h: Homography | null;
  /** Inlier keypoint indices in A and B, aligned. */
  inliersA: number[];
  inliersB: number[];
  /** B's keypoints (the ones matched) in B's own frame: x, y per keypoint. */
  keypointsB: ArrayLike<number>;
  /** Found by the mirror pass (h includes the mirror). */
  mirrored: boolean;
  /** Every ratio-test match's positions, x, y per match (A's, and B's in the frame matched): what RANSAC saw. */
  matchedA: Float64Array;
  matchedB: Float64Array;
  /** Keypoint indices in A and B of each match, aligned with `matchedA` / `matchedB`. */
  pairsA: Uint32Array;
  pairsB: Uint32Array;
}

/** Matches and RANSAC of A against B as they stand. */
export function matchForward(a: OrbFeatures, b: OrbFeatures, p: GeometricParams): GeometricMatch {
  const m = matchDescriptors(a.descriptors, b.descriptors, p.ratio);
  const n = m.a.length;
  const src = new Float64Array(2 * n);
  const dst = new Float64Array(2 * n);
  for (let k = 0; k < n; k++) {
    src[2 * k] = a.keypoints[2 * m.a[k]!]!;
    src[2 * k + 1] = a.keypoints[2 * m.a[k]! + 1]!;
    dst[2 * k] = b.keypoints[2 * m.b[k]!]!;
    dst[2 * k + 1] = b.keypoints[2 * m.b[k]! + 1]!;
  }
  const fit = ransacHomography(src, dst, n, {
    thresholdPx: p.thresholdPx,
    maxIterations: p.maxIterations,
    confidence: 0.995,
    minInliers: p.minInliers,
    plausible: (h) => isPlausible(h, a.width, a.height),
    seed: p.seed,
  });
  const seen = { keypointsB: b.keypoints, mirrored: false, matchedA: src, matchedB: dst, pairsA: m.a, pairsB: m.b };
  if (!fit) return { matches: n, h: null, inliersA: [], inliersB: [], ...seen };
  return { matches: n, h: fit.h, inliersA: fit.inliers.map((k) => m.a[k]!), inliersB: fit.inliers.map((k) => m.b[k]!), ...seen };
}

/**
 * Matches A against B's mirror image and maps the result back to B's own
 * frame: B's pixel (x, y) is the mirror image's (width - 1 - x, y).
 */
export function matchMirrored(a: OrbFeatures, bMirrored: OrbFeatures, p: GeometricParams): GeometricMatch {
  const m = matchForward(a, bMirrored, p);
  const flip = mirrorX(bMirrored.width);
  const keypointsB = Float64Array.from(bMirrored.keypoints, (v, i) => (i % 2 === 0 ? bMirrored.width - 1 - v : v));
  return { ...m, keypointsB, h: m.h ? multiply(flip, m.h) : null, mirrored: true };
}
