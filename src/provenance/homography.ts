/**
 * Plane homographies: fitting by the normalised direct linear transform (4
 * correspondences exactly, more by least squares), projecting points, and
 * reading the local transform (scale, rotation, mirror, anisotropy).
 *
 * A homography is a row-major 3x3 Float64Array mapping image A's pixel
 * coordinates to image B's: (u, v) = ((h0 x + h1 y + h2) / w, (h3 x + h4 y + h5) / w),
 * w = h6 x + h7 y + h8. Image coordinates have y pointing down, so a positive
 * rotation is clockwise on screen.
 */

export type Homography = Float64Array;

/** Hartley normalisation of the points at `idx`: centroid to 0, mean distance to sqrt(2). */
function normaliser(pts: ArrayLike<number>, idx: ArrayLike<number>): { cx: number; cy: number; s: number } {
  const n = idx.length;
  let cx = 0;
  let cy = 0;
  for (let k = 0; k < n; k++) {
    cx += pts[2 * idx[k]!]!;
    cy += pts[2 * idx[k]! + 1]!;
  }
  cx /= n;
  cy /= n;
  let d = 0;
  for (let k = 0; k < n; k++) d += Math.hypot(pts[2 * idx[k]!]! - cx, pts[2 * idx[k]! + 1]! - cy);
  d /= n;
  return { cx, cy, s: d > 0 ? Math.SQRT2 / d : 1 };
}

/** Solves the 8x8 system m * x = r in place (Gaussian elimination, partial pivoting); null when singular. */
function solve8(m: Float64Array, r: Float64Array): Float64Array | null {
  const n = 8;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let i = c + 1; i < n; i++) if (Math.abs(m[i * n + c]!) > Math.abs(m[p * n + c]!)) p = i;
    const pivot = m[p * n + c]!;
    if (Math.abs(pivot) < 1e-12) return null;
    if (p !== c) {
      for (let j = 0; j < n; j++) {
        const t = m[c * n + j]!;
        m[c * n + j] = m[p * n + j]!;
        m[p * n + j] = t;
      }
      const t = r[c]!;
      r[c] = r[p]!;
      r[p] = t;
    }
    for (let i = c + 1; i < n; i++) {
      const f = m[i * n + c]! / pivot;
      if (f === 0) continue;
      for (let j = c; j < n; j++) m[i * n + j]! -= f * m[c * n + j]!;
      r[i]! -= f * r[c]!;
    }
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = r[i]!;
    for (let j = i + 1; j < n; j++) s -= m[i * n + j]! * x[j]!;
    x[i] = s / m[i * n + i]!;
  }
  return x;
}

/**
 * The homography taking `src[idx[k]]` to `dst[idx[k]]` (flat x,y arrays), exact
 * for 4 correspondences, least squares (algebraic error) for more. Null when
 * the points are degenerate (e.g. three collinear among four).
 */
export function fitHomography(src: ArrayLike<number>, dst: ArrayLike<number>, idx: ArrayLike<number>): Homography | null {
  if (idx.length < 4) return null;
  const ns = normaliser(src, idx);
  const nd = normaliser(dst, idx);
  // normal equations A^T A h = A^T b of the 2n x 8 system with h8 = 1
  const ata = new Float64Array(64);
  const atb = new Float64Array(8);
  const row = new Float64Array(8);
  const add = (rhs: number) => {
    for (let i = 0; i < 8; i++) {
      const ri = row[i]!;
      if (ri === 0) continue;
      atb[i]! += ri * rhs;
      for (let j = 0; j < 8; j++) ata[i * 8 + j]! += ri * row[j]!;
    }
  };
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    const x = (src[2 * i]! - ns.cx) * ns.s;
    const y = (src[2 * i + 1]! - ns.cy) * ns.s;
    const u = (dst[2 * i]! - nd.cx) * nd.s;
    const v = (dst[2 * i + 1]! - nd.cy) * nd.s;
    row.set([x, y, 1, 0, 0, 0, -u * x, -u * y]);
    add(u);
    row.set([0, 0, 0, x, y, 1, -v * x, -v * y]);
    add(v);
  }
  const h = solve8(ata, atb);
  if (!h) return null;
  const hn = [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!, 1];
  // H = Tdst^-1 * Hn * Tsrc
  const tsrc = [ns.s, 0, -ns.s * ns.cx, 0, ns.s, -ns.s * ns.cy, 0, 0, 1];
  const tdstInv = [1 / nd.s, 0, nd.cx, 0, 1 / nd.s, nd.cy, 0, 0, 1];
  const out = multiply(tdstInv, multiply(hn, tsrc));
  const w = out[8]!;
  if (!Number.isFinite(w) || Math.abs(w) < 1e-12) return null;
  for (let i = 0; i < 9; i++) out[i]! /= w;
  for (let i = 0; i < 9; i++) if (!Number.isFinite(out[i]!)) return null;
  return out;
}

/** 3x3 product a * b (row-major). */
export function multiply(a: ArrayLike<number>, b: ArrayLike<number>): Homography {
  const out = new Float64Array(9);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) out[r * 3 + c] = a[r * 3]! * b[c]! + a[r * 3 + 1]! * b[3 + c]! + a[r * 3 + 2]! * b[6 + c]!;
  }
  return out;
}

/** Projects polygon or point list `pts` through `h`; a point behind the camera (w <= 0) gives NaN. */
export function projectPoints(h: Homography, pts: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < pts.length; i += 2) {
    const x = pts[i]!;
    const y = pts[i + 1]!;
    const w = h[6]! * x + h[7]! * y + h[8]!;
    if (w <= 0) out.push(NaN, NaN);
    else out.push((h[0]! * x + h[1]! * y + h[2]!) / w, (h[3]! * x + h[4]! * y + h[5]!) / w);
  }
  return out;
}

/** The four corners of a width x height frame, clockwise from the origin. */
export function frameCorners(width: number, height: number): number[] {
  return [0, 0, width, 0, width, height, 0, height];
}

/** The local linear part of `h` at (x, y) in A (its Jacobian), row-major 2x2. */
export function jacobianAt(h: Homography, x: number, y: number): [number, number, number, number] {
  const w = h[6]! * x + h[7]! * y + h[8]!;
  const u = (h[0]! * x + h[1]! * y + h[2]!) / w;
  const v = (h[3]! * x + h[4]! * y + h[5]!) / w;
  return [(h[0]! - u * h[6]!) / w, (h[1]! - u * h[7]!) / w, (h[3]! - v * h[6]!) / w, (h[4]! - v * h[7]!) / w];
}

export interface LocalTransform {
  /** B pixels per A pixel (square root of the Jacobian's |determinant|). */
  scale: number;
  /** Clockwise degrees in (-180, 180], after undoing the mirror. */
  rotationDeg: number;
  /** A horizontal mirror is part of the map (negative determinant); it is applied before the rotation. */
  mirrored: boolean;
  /** Ratio of the larger to the smaller singular value (1 for a similarity). */
  anisotropy: number;
}

/** Reads scale, rotation, mirror and anisotropy from a 2x2 linear map [a, b, c, d]. */
export function decompose([a, b, c, d]: readonly [number, number, number, number]): LocalTransform {
  const det = a * d - b * c;
  const mirrored = det < 0;
  // J = M * F with F = diag(-1, 1): the mirror first, then M (rotation and scale)
  const [ma, mb, mc, md] = mirrored ? [-a, b, -c, d] : [a, b, c, d];
  let rotationDeg = (Math.atan2(mc - mb, ma + md) * 180) / Math.PI;
  if (rotationDeg <= -180) rotationDeg += 360;
  // singular values of a 2x2 matrix
  const s1 = Math.hypot(ma + md, mc - mb) / 2;
  const s2 = Math.hypot(ma - md, mc + mb) / 2;
  const big = s1 + s2;
  const small = Math.abs(s1 - s2);
  return { scale: Math.sqrt(Math.abs(det)), rotationDeg, mirrored, anisotropy: small > 0 ? big / small : Infinity };
}

/** The inverse homography (B -> A), or null when `h` is singular. */
export function invert(h: Homography): Homography | null {
  const [a, b, c, d, e, f, g, i, k] = h as unknown as [number, number, number, number, number, number, number, number, number];
  const A = e * k - f * i;
  const B = -(d * k - f * g);
  const C = d * i - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-15) return null;
  const out = Float64Array.from([A, -(b * k - c * i), b * f - c * e, B, a * k - c * g, -(a * f - c * d), C, -(a * i - b * g), a * e - b * d]);
  for (let j = 0; j < 9; j++) out[j]! /= det;
  return out;
}

/** x -> width - 1 - x: the pixel map of a horizontal mirror of a frame `width` wide. */
export function mirrorX(width: number): Homography {
  return Float64Array.from([-1, 0, width - 1, 0, 1, 0, 0, 0, 1]);
}
