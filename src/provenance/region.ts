/**
 * Where two verified images correspond: each frame projected into the other
 * (clipped), the convex hull of the inliers in each, the local transform and
 * cells with keypoints but no inliers (a replaced region).
 */
import { clipToFrame, convexHull, polygonArea, type Polygon } from './geometry.js';
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
}

export interface Correspondence {
  a: Side;
  b: Side;
  /** Transform at the centroid of A's inliers. */
  local: LocalTransform;
  /** Ratio between the largest and smallest projective denominator over the matched region of A (1 = affine). */
  perspective: number;
}

function side(projectedOther: number[], inlierPts: number[], f: Frame): Side {
  const area = f.width * f.height;
  const covered = projectedOther.some((v) => !Number.isFinite(v)) ? [] : clipToFrame(projectedOther, f.width, f.height);
  const hull = convexHull(inlierPts);
  return {
    covered,
    coveredFraction: Math.min(1, polygonArea(covered) / area),
    hull,
    hullFraction: Math.min(1, polygonArea(hull) / area),
  };
}

/** Flat x, y list of the keypoints at `idx`. */
export function pointsAt(keypoints: ArrayLike<number>, idx: readonly number[]): number[] {
  const out: number[] = new Array(idx.length * 2);
  for (let k = 0; k < idx.length; k++) {
    out[2 * k] = keypoints[2 * idx[k]!]!;
    out[2 * k + 1] = keypoints[2 * idx[k]! + 1]!;
  }
  return out;
}

export function correspondence(h: Homography, fa: Frame, fb: Frame, inlierPtsA: number[], inlierPtsB: number[]): Correspondence {
  const hInv = invert(h);
  const bInA = hInv ? projectPoints(hInv, frameCorners(fb.width, fb.height)) : [NaN];
  const aInB = projectPoints(h, frameCorners(fa.width, fa.height));
  const a = side(bInA, inlierPtsA, fa);
  const b = side(aInB, inlierPtsB, fb);
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
 * Cells of a `grid` x `grid` partition of the frame that hold at least
 * `minKeypoints` keypoints, lie inside `region` (cell centre) and hold no
 * inlier: content that is present in the other image's frame but does not match.
 */
export function unmatchedCells(
  keypoints: ArrayLike<number>,
  inliers: readonly number[],
  region: Polygon,
  f: Frame,
  grid: number,
  minKeypoints: number,
): number {
  const cells = grid * grid;
  const total = new Uint32Array(cells);
  const hit = new Uint32Array(cells);
  const cell = (x: number, y: number) =>
    Math.min(grid - 1, Math.floor((x / f.width) * grid)) * grid + Math.min(grid - 1, Math.floor((y / f.height) * grid));
  for (let i = 0; i < keypoints.length; i += 2) total[cell(keypoints[i]!, keypoints[i + 1]!)]!++;
  for (const i of inliers) hit[cell(keypoints[2 * i]!, keypoints[2 * i + 1]!)]!++;
  let count = 0;
  for (let cxi = 0; cxi < grid; cxi++) {
    for (let cyi = 0; cyi < grid; cyi++) {
      const c = cxi * grid + cyi;
      if (total[c]! < minKeypoints || hit[c]! > 0) continue;
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
