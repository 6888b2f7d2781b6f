/**
 * Sanity bounds of a homography between two images: what a crop, resize,
 * rotation or moderate change of viewpoint can produce, and nothing that
 * RANSAC sometimes fits to chance matches (a frame folded over itself,
 * flipped, squashed to a sliver or blown up 20 times).
 */
import { isConvex, polygonArea, signedArea } from './geometry.js';
import { decompose, frameCorners, jacobianAt, projectPoints, type Homography } from './homography.js';

export interface SanityBounds {
  /** Smallest and largest scale (B px per A px). @default 1/8, 8 */
  minScale: number;
  maxScale: number;
  /** Largest ratio of the local singular values (1 = no shear or squash). @default 3 */
  maxAnisotropy: number;
  /** Largest ratio between the projective denominators at A's corners (perspective strength). @default 2 */
  maxPerspective: number;
}

export const DEFAULT_SANITY: SanityBounds = Object.freeze({ minScale: 1 / 8, maxScale: 8, maxAnisotropy: 3, maxPerspective: 2 });

/**
 * Whether `h` (A -> B) is a plausible edit or view change of an A of the given
 * size: A's frame maps to a convex quadrilateral in front of the camera, with
 * the same orientation (a mirror is handled by matching the mirrored image,
 * never by a flipping homography), within the scale, anisotropy and
 * perspective bounds.
 */
export function isPlausible(h: Homography, width: number, height: number, bounds: SanityBounds = DEFAULT_SANITY): boolean {
  const corners = frameCorners(width, height);
  let wMin = Infinity;
  let wMax = -Infinity;
  for (let i = 0; i < 8; i += 2) {
    const w = h[6]! * corners[i]! + h[7]! * corners[i + 1]! + h[8]!;
    if (!(w > 0)) return false;
    wMin = Math.min(wMin, w);
    wMax = Math.max(wMax, w);
  }
  if (wMax / wMin > bounds.maxPerspective) return false;
  const quad = projectPoints(h, corners);
  if (!isConvex(quad) || signedArea(quad) <= 0) return false;
  const scale = Math.sqrt(polygonArea(quad) / (width * height));
  if (!(scale >= bounds.minScale && scale <= bounds.maxScale)) return false;
  const local = decompose(jacobianAt(h, width / 2, height / 2));
  return !local.mirrored && local.anisotropy <= bounds.maxAnisotropy;
}
