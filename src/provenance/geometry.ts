/**
 * Plane geometry for verification: convex hulls, polygon areas and clipping a
 * polygon to an image frame. Points are flat [x0, y0, x1, y1, ...] arrays.
 */

export type Polygon = number[];

/** Convex hull (Andrew's monotone chain), counter-clockwise in y-up terms; collinear points dropped. */
export function convexHull(points: ArrayLike<number>): Polygon {
  const n = points.length >> 1;
  const idx = Array.from({ length: n }, (_, i) => i);
  const x = (i: number) => points[2 * i]!;
  const y = (i: number) => points[2 * i + 1]!;
  idx.sort((a, b) => x(a) - x(b) || y(a) - y(b));
  if (n < 3) return idx.flatMap((i) => [x(i), y(i)]);
  const cross = (o: number, a: number, b: number) => (x(a) - x(o)) * (y(b) - y(o)) - (y(a) - y(o)) * (x(b) - x(o));
  const lower: number[] = [];
  for (const i of idx) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, i) <= 0) lower.pop();
    lower.push(i);
  }
  const upper: number[] = [];
  for (let k = idx.length - 1; k >= 0; k--) {
    const i = idx[k]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, i) <= 0) upper.pop();
    upper.push(i);
  }
  lower.pop();
  upper.pop();
  return [...lower, ...upper].flatMap((i) => [x(i), y(i)]);
}

/** Signed area (shoelace): positive when the vertices turn clockwise on screen (y down). */
export function signedArea(poly: Polygon): number {
  const n = poly.length >> 1;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    s += poly[2 * i]! * poly[2 * j + 1]! - poly[2 * j]! * poly[2 * i + 1]!;
  }
  return s / 2;
}

/** Area of a simple polygon, always >= 0. */
export function polygonArea(poly: Polygon): number {
  return Math.abs(signedArea(poly));
}

/** Clips a polygon to the rectangle [0, width] x [0, height]. */
export function clipToFrame(poly: Polygon, width: number, height: number): Polygon {
  return clipToConvex(poly, [0, 0, width, 0, width, height, 0, height]);
}

/** Clips a polygon to a convex polygon of either winding (Sutherland-Hodgman); [] when they do not meet. */
export function clipToConvex(poly: Polygon, clip: Polygon): Polygon {
  const m = clip.length >> 1;
  if (m < 3) return [];
  const orientation = Math.sign(signedArea(clip));
  let out = poly;
  for (let e = 0; e < m && out.length > 0; e++) {
    const px = clip[2 * e]!;
    const py = clip[2 * e + 1]!;
    const qx = clip[2 * ((e + 1) % m)]!;
    const qy = clip[2 * ((e + 1) % m) + 1]!;
    // signed distance-like value: >= 0 on the inner side of edge p -> q
    const side = (x: number, y: number) => orientation * ((qx - px) * (y - py) - (qy - py) * (x - px));
    const input = out;
    out = [];
    const n = input.length >> 1;
    for (let i = 0; i < n; i++) {
      const j = (i + n - 1) % n; // previous vertex
      const sc = side(input[2 * i]!, input[2 * i + 1]!);
      const sp = side(input[2 * j]!, input[2 * j + 1]!);
      if (sc >= 0 !== sp >= 0) {
        const t = sp / (sp - sc);
        out.push(input[2 * j]! + t * (input[2 * i]! - input[2 * j]!), input[2 * j + 1]! + t * (input[2 * i + 1]! - input[2 * j + 1]!));
      }
      if (sc >= 0) out.push(input[2 * i]!, input[2 * i + 1]!);
    }
  }
  return out;
}

/** Whether a polygon (given in order) is convex, with every turn in the same direction. */
export function isConvex(poly: Polygon): boolean {
  const n = poly.length >> 1;
  if (n < 3) return false;
  let sign = 0;
  for (let i = 0; i < n; i++) {
    const a = i;
    const b = (i + 1) % n;
    const c = (i + 2) % n;
    const cross =
      (poly[2 * b]! - poly[2 * a]!) * (poly[2 * c + 1]! - poly[2 * b + 1]!) - (poly[2 * b + 1]! - poly[2 * a + 1]!) * (poly[2 * c]! - poly[2 * b]!);
    if (cross === 0) continue;
    const s = Math.sign(cross);
    if (sign === 0) sign = s;
    else if (s !== sign) return false;
  }
  return sign !== 0;
}
