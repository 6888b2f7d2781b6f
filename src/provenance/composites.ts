/**
 * Composites: an image made of two others. A node X of the skeleton is a
 * composite of its neighbours U and V when
 * - verification found that X shares only a region with each of them
 *   (a splice half, a pasted patch, the host around a patch), and
 * - U and V do not match each other (no verified edge between them), and
 * - they land on different parts of X: at most COMPOSITE_MAX_SHARED_INLIERS of
 *   one's inliers in X fall inside the convex hull of the other's inliers in X
 *   (the smaller of the two fractions: a host's inliers surround a pasted patch,
 *   so the patch lies inside the host's hull while the host's inliers avoid the patch's).
 * - together they explain X: at least COMPOSITE_MIN_EXPLAINED of X's keypoints
 *   lie inside one of the two inlier hulls. This tells a composite from a source
 *   that gave a half to one image and a patch to another (the same picture from
 *   X's side, but the parts it gave away leave much of it unexplained).
 */
import { distanceOutside } from './extent.js';
import { convexHull } from './geometry.js';
import * as G from './graph-thresholds.js';

export interface CompositeInput {
  /** Skeleton neighbours of each node (node indexes). */
  neighbours: ReadonlyArray<readonly number[]>;
  /** Verification found only a shared region between x and y. */
  sharesRegion(x: number, y: number): boolean;
  /** A verified edge joins x and y (in the whole graph, not just the skeleton). */
  related(x: number, y: number): boolean;
  /** The inlier positions in x of its match with y (null without geometry). */
  inliersIn(x: number, y: number): number[] | null;
  /** All keypoints of x (x, y each). */
  keypointsOf(x: number): ArrayLike<number> | null;
}

export interface Composite {
  node: number;
  /** The neighbours it is made of (two or more). */
  parts: number[];
}

/** Fraction of the points `pts` inside the convex hull of `others`. */
function fractionInside(pts: number[], others: number[]): number {
  const hull = convexHull(others);
  const n = pts.length >> 1;
  if (n === 0 || hull.length < 6) return 0;
  let inside = 0;
  for (let k = 0; k < n; k++) if (distanceOutside(hull, pts[2 * k]!, pts[2 * k + 1]!) === 0) inside++;
  return inside / n;
}

/** Whether u and v land on different parts of x and together explain it. */
function composedOf(x: number, u: number, v: number, g: CompositeInput): boolean {
  const pu = g.inliersIn(x, u);
  const pv = g.inliersIn(x, v);
  const kp = g.keypointsOf(x);
  if (!pu || !pv || !kp || kp.length === 0) return false;
  if (Math.min(fractionInside(pu, pv), fractionInside(pv, pu)) > G.COMPOSITE_MAX_SHARED_INLIERS) return false;
  const hu = convexHull(pu);
  const hv = convexHull(pv);
  let explained = 0;
  for (let i = 0; i + 1 < kp.length; i += 2) {
    if (distanceOutside(hu, kp[i]!, kp[i + 1]!) === 0 || distanceOutside(hv, kp[i]!, kp[i + 1]!) === 0) explained++;
  }
  return explained / (kp.length / 2) >= G.COMPOSITE_MIN_EXPLAINED;
}

export function findComposites(g: CompositeInput): Composite[] {
  const out: Composite[] = [];
  g.neighbours.forEach((ns, x) => {
    const regional = ns.filter((u) => g.sharesRegion(x, u));
    const parts = new Set<number>();
    for (let i = 0; i < regional.length; i++) {
      for (let j = i + 1; j < regional.length; j++) {
        const u = regional[i]!;
        const v = regional[j]!;
        if (g.related(u, v) || !composedOf(x, u, v, g)) continue;
        parts.add(u);
        parts.add(v);
      }
    }
    if (parts.size >= 2) out.push({ node: x, parts: [...parts].sort((p, q) => p - q) });
  });
  return out;
}
