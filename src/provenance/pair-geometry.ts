/**
 * The geometry behind one verified edge of a provenance graph: where each
 * image's inliers lie and what lies beyond the other image's frame (extent.ts).
 * The pairwise-verdict cache keeps verdicts, not keypoint positions, so the
 * few skeleton edges are re-verified in memory (verifyDetailed is pure and
 * deterministic: the same features give the same homography).
 */
import { clipToFrame } from './geometry.js';
import { extentBeyond, type SideExtent } from './extent.js';
import { frameCorners, invert, projectPoints } from './homography.js';
import { readOrb } from './orb-input.js';
import type { VerifyInput, VerifyOptions } from './types.js';
import { verifyDetailed } from './verify.js';

export interface PairGeometry {
  /** Inlier positions in each image (x, y each, analysed-frame px), aligned. */
  inliersA: number[];
  inliersB: number[];
  /** What lies in A beyond B's frame, and in B beyond A's. */
  extentA: SideExtent;
  extentB: SideExtent;
}

/** The geometry of (A, B), or null when their verdict does not rest on a homography (or a record holds no ORB). */
export function pairGeometry(a: VerifyInput, b: VerifyInput, opts: VerifyOptions = {}): PairGeometry | null {
  const orbA = readOrb(a['orb'], 'a.orb');
  const orbB = readOrb(b['orb'], 'b.orb');
  if (!orbA || !orbB) return null;
  const { geometry: g } = verifyDetailed(a, b, opts);
  if (!g || g.frameA.width !== orbA.width || g.frameB.width !== orbB.width) return null;
  const hInv = invert(g.h);
  if (!hInv) return null;
  const coveredA = clipToFrame(projectPoints(hInv, frameCorners(g.frameB.width, g.frameB.height)), g.frameA.width, g.frameA.height);
  const coveredB = clipToFrame(projectPoints(g.h, frameCorners(g.frameA.width, g.frameA.height)), g.frameB.width, g.frameB.height);
  if (coveredA.some((v) => !Number.isFinite(v)) || coveredB.some((v) => !Number.isFinite(v))) return null;
  return {
    inliersA: g.inliersA,
    inliersB: g.inliersB,
    extentA: extentBeyond(orbA.keypoints, g.frameA, coveredA),
    extentB: extentBeyond(orbB.keypoints, g.frameB, coveredB),
  };
}
