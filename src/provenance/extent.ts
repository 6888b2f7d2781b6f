/**
 * What lies beyond the other image's frame: the coverage evidence of a
 * provenance edge. For an image X matched to Y, Y's frame projected into X
 * (clipped to X) is the part of X that Y could have come from or contain; the
 * rest of X is either
 * - `inside`: (almost) nothing: X lies inside Y's frame;
 * - `content`: keypoints out there: X shows content Y lacks (Y is a crop of X);
 * - `blank`: the keypoint density inside predicts many keypoints out there and
 *   there are (almost) none: flat fill, as the corners a free rotation pads;
 * - `unclear`: too little texture to tell.
 * Keypoints are the record's ORB keypoints (analysed-frame pixels).
 */
import { clipToConvex, polygonArea, type Polygon } from './geometry.js';
import * as G from './graph-thresholds.js';
import type { Frame } from './region.js';

export type Extent = 'inside' | 'content' | 'blank' | 'unclear';

export interface SideExtent {
  extent: Extent;
  /** Fraction of the frame (less its keypoint-free border strip) outside the other's frame. */
  outsideFraction: number;
  /** Keypoints clearly outside the other's frame. */
  keypointsOutside: number;
  /** Keypoints the density inside predicts out there. */
  expectedOutside: number;
}

/** Distance from (x, y) to a convex polygon of either winding: 0 inside. */
export function distanceOutside(poly: Polygon, x: number, y: number): number {
  const n = poly.length >> 1;
  if (n < 3) return Infinity;
  let area2 = 0;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    area2 += poly[2 * i]! * poly[2 * j + 1]! - poly[2 * j]! * poly[2 * i + 1]!;
  }
  const orientation = Math.sign(area2);
  let outside = false;
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    const x1 = poly[2 * i]!;
    const y1 = poly[2 * i + 1]!;
    const dx = poly[2 * j]! - x1;
    const dy = poly[2 * j + 1]! - y1;
    if (Math.sign(dx * (y - y1) - dy * (x - x1)) === -orientation) outside = true;
    const len2 = dx * dx + dy * dy;
    const t = len2 > 0 ? Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / len2)) : 0;
    best = Math.min(best, Math.hypot(x - (x1 + t * dx), y - (y1 + t * dy)));
  }
  return outside ? best : 0;
}

/** How much of `frame` lies beyond `covered` (the other image's frame projected here), and what is there. */
export function extentBeyond(keypoints: ArrayLike<number>, frame: Frame, covered: Polygon): SideExtent {
  const b = G.KEYPOINT_BORDER_PX;
  const inset = [b, b, frame.width - b, b, frame.width - b, frame.height - b, b, frame.height - b];
  const insetArea = Math.max(1, (frame.width - 2 * b) * (frame.height - 2 * b));
  const insideArea = frame.width > 2 * b && frame.height > 2 * b ? polygonArea(clipToConvex(covered, inset)) : 0;
  const outsideArea = Math.max(0, insetArea - insideArea);
  let inside = 0;
  let outside = 0;
  for (let i = 0; i + 1 < keypoints.length; i += 2) {
    const d = distanceOutside(covered, keypoints[i]!, keypoints[i + 1]!);
    if (d === 0) inside++;
    else if (d > G.OUTSIDE_MARGIN_PX) outside++;
  }
  const outsideFraction = outsideArea / insetArea;
  const expected = insideArea > 0 ? (inside / insideArea) * outsideArea : 0;
  let extent: Extent = 'unclear';
  if (outsideFraction < G.INSIDE_FRACTION) extent = 'inside';
  else if (outside >= Math.max(G.MIN_CONTENT_KEYPOINTS, G.CONTENT_FRACTION_OF_EXPECTED * expected)) extent = 'content';
  else if (expected >= G.BLANK_MIN_EXPECTED && outside <= G.BLANK_FRACTION_OF_EXPECTED * expected) extent = 'blank';
  return { extent, outsideFraction, keypointsOutside: outside, expectedOutside: expected };
}
