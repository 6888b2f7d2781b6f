/**
 * Where two verified images correspond: each frame projected into the other
 * (clipped), the convex hull of the inliers in each, the local transform and
 * cells with keypoints but no inliers (a replaced region).
 */
import { clipToConvex, clipToFrame, convexHull, polygonArea, type Polygon } from './geometry.js';
import { decompose, frameCorners, invert, jacobianAt, projectPoints, type Homography, type LocalTransform } from './homography.js';

export interface Frame {
  width: number;
  height: number;
}

export interface Side {
  /** The other image's frame projected into this one, clipped to it. */
  covered: Polygon;
  /** Its fraction of this frame's area. */
  coveredFraction: number;
  /** Convex hull of this image's inliers. */
  hull: Polygon;
  hullFraction: number;
  /**
   * How much of the area where both images have keypoints (each one's keypoint
   * hull, the other's projected here) the inliers' hull fills: near 1 when all
   * of the common content matches, low when only a region does. Keypoint hulls,
   * not frames, because ORB finds no keypoints near a frame's border.
   */
  support: number;
}

export interface Correspondence {
  a: Side;
  b: Side;
  /** Transform at the centroid of A's inliers. */
  local: LocalTransform;
  /** Ratio between the largest and smallest projective denominator over the matched region of A (1 = affine). */
  perspective: number;
}

const finite = (poly: number[]) => poly.every((v) => Number.isFinite(v));

/**
 * @param projectedFrame the other image's frame projected into this one
 * @param projectedKeypoints the other image's keypoint hull projected into this one
 */
function side(projectedFrame: number[], projectedKeypoints: number[], keypoints: ArrayLike<number>, inlierPts: number[], f: Frame): Side {
  const area = f.width * f.height;
  const covered = finite(projectedFrame) ? clipToFrame(projectedFrame, f.width, f.height) : [];
  const hull = convexHull(inlierPts);
  const hullArea = polygonArea(hull);
  const common = finite(projectedKeypoints) ? polygonArea(clipToConvex(projectedKeypoints, convexHull(keypoints))) : 0;
  return {
    covered,
    coveredFraction: Math.min(1, polygonArea(covered) / area),
    hull,
    hullFraction: Math.min(1, hullArea / area),
    support: common > 0 ? Math.min(1, hullArea / common) : 0,
  };
}

/** Flat x, y list of the keypoints at `idx`. */
export function pointsAt(keypoints: ArrayLike<number>, idx: readonly number[]): number[] {
  const out = new Array<number>(idx.length * 2);
  for (let k = 0; k < idx.length; k++) {
    out[2 * k] = keypoints[2 * idx[k]!]!;
    out[2 * k + 1] = keypoints[2 * idx[k]! + 1]!;
  }
  return out;
}

export interface Matched {
  frame: Frame;
  /** All keypoints of the image, x, y each. */
  keypoints: ArrayLike<number>;
  /** The inliers' positions, x, y each. */
  inliers: number[];
}

export function correspondence(h: Homography, A: Matched, B: Matched): Correspondence {
  const hInv = invert(h);
  const toA = (pts: number[]) => (hInv ? projectPoints(hInv, pts) : [NaN]);
  const a = side(toA(frameCorners(B.frame.width, B.frame.height)), toA(convexHull(B.keypoints)), A.keypoints, A.inliers, A.frame);
  const b = side(projectPoints(h, frameCorners(A.frame.width, A.frame.height)), projectPoints(h, convexHull(A.keypoints)), B.keypoints, B.inliers, B.frame);
  const inlierPtsA = A.inliers;
  let cx = 0;
  let cy = 0;
  const n = inlierPtsA.length / 2;
  for (let k = 0; k < n; k++) {
    cx += inlierPtsA[2 * k]!;
    cy += inlierPtsA[2 * k + 1]!;
  }
  const local = decompose(jacobianAt(h, cx / n, cy / n));
  let wMin = Infinity;
  let wMax = -Infinity;
  for (let k = 0; k < a.hull.length; k += 2) {
    const w = h[6]! * a.hull[k]! + h[7]! * a.hull[k + 1]! + h[8]!;
    wMin = Math.min(wMin, w);
    wMax = Math.max(wMax, w);
  }
  return { a, b, local, perspective: wMin > 0 ? wMax / wMin : Infinity };
}

/**
 * Cells of a `grid` x `grid` partition of the frame that lie inside `region`
 * (cell centre), where the image's overall inlier rate predicts at least
 * `minExpected` inliers, and that hold none: content inside the other image's
 * frame that does not match it (a pasted patch). Meaningful only at similar
 * scales: a downscaled copy lacks the fine keypoints of the larger image.
 */
export function unmatchedCells(
  keypoints: ArrayLike<number>,
  inliers: readonly number[],
  region: Polygon,
  f: Frame,
  grid: number,
  minExpected: number,
): number {
  const cells = grid * grid;
  const total = new Uint32Array(cells);
  const hit = new Uint32Array(cells);
  const cell = (x: number, y: number) =>
    Math.min(grid - 1, Math.floor((x / f.width) * grid)) * grid + Math.min(grid - 1, Math.floor((y / f.height) * grid));
  for (let i = 0; i < keypoints.length; i += 2) total[cell(keypoints[i]!, keypoints[i + 1]!)]!++;
  for (const i of inliers) hit[cell(keypoints[2 * i]!, keypoints[2 * i + 1]!)]!++;
  const rate = inliers.length / Math.max(1, keypoints.length / 2);
  let count = 0;
  for (let cxi = 0; cxi < grid; cxi++) {
    for (let cyi = 0; cyi < grid; cyi++) {
      const c = cxi * grid + cyi;
      if (rate * total[c]! < minExpected || hit[c]! > 0) continue;
      if (insideConvex(region, ((cxi + 0.5) / grid) * f.width, ((cyi + 0.5) / grid) * f.height)) count++;
    }
  }
  return count;
}

/** Whether (x, y) lies inside a convex polygon (either winding). */
function insideConvex(poly: Polygon, x: number, y: number): boolean {
  const n = poly.length >> 1;
  if (n < 3) return false;
  let sign = 0;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    const cross = (poly[2 * j]! - poly[2 * i]!) * (y - poly[2 * i + 1]!) - (poly[2 * j + 1]! - poly[2 * i + 1]!) * (x - poly[2 * i]!);
    if (cross === 0) continue;
    const s = Math.sign(cross);
    if (sign === 0) sign = s;
    else if (s !== sign) return false;
  }
  return true;
}
