/**
 * The crop model: B = s * A + t (uniform scale, translation; no rotation, no
 * shear, no perspective), fitted to the ratio-test matches by trying every pair
 * of matches. It is the second geometric chance of a pair whose homography RANSAC
 * found fewer than `minInliers` inliers: a crop or a resize of a sparsely
 * textured picture (Flow's 70% crop keeps a narrow strip of bubbles, 7 correct
 * matches of 16) cannot reach 15 inliers, but 3 degrees of freedom leave chance
 * matches far less room than a homography's 8 (docs/PROVENANCE.md, "misses").
 * Deterministic: exhaustive over pairs, ties to the first.
 */

export interface CropModel {
  /** B px per A px (analysed frames). */
  scale: number;
  tx: number;
  ty: number;
  /** Indices of the matches within the threshold. */
  inliers: number[];
}

export interface CropModelParams {
  thresholdPx: number;
  /** Two matches closer than this in A (px) do not define a scale. */
  minSpanPx: number;
  /** The two matches' directions in A and B must agree within this (degrees). */
  maxAngleDeg: number;
  minScale: number;
  maxScale: number;
  /** The matches tried as sample pairs (the first ones; the count is quadratic). */
  maxSampled: number;
}

function consensus(src: ArrayLike<number>, dst: ArrayLike<number>, n: number, s: number, tx: number, ty: number, t2: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const dx = s * src[2 * k]! + tx - dst[2 * k]!;
    const dy = s * src[2 * k + 1]! + ty - dst[2 * k + 1]!;
    if (dx * dx + dy * dy <= t2) out.push(k);
  }
  return out;
}

/** Least squares of s, tx, ty over `idx`. */
function refit(src: ArrayLike<number>, dst: ArrayLike<number>, idx: readonly number[]): { s: number; tx: number; ty: number } | null {
  const m = idx.length;
  let ax = 0, ay = 0, bx = 0, by = 0;
  for (const k of idx) {
    ax += src[2 * k]!; ay += src[2 * k + 1]!; bx += dst[2 * k]!; by += dst[2 * k + 1]!;
  }
  ax /= m; ay /= m; bx /= m; by /= m;
  let num = 0, den = 0;
  for (const k of idx) {
    const ux = src[2 * k]! - ax, uy = src[2 * k + 1]! - ay;
    num += ux * (dst[2 * k]! - bx) + uy * (dst[2 * k + 1]! - by);
    den += ux * ux + uy * uy;
  }
  if (den <= 0) return null;
  const s = num / den;
  return { s, tx: bx - s * ax, ty: by - s * ay };
}

/**
 * The crop model with the most matches within `thresholdPx` (B px), or null
 * when no pair of matches defines a plausible one. `src`/`dst`: x, y per match.
 */
export function fitCropModel(src: ArrayLike<number>, dst: ArrayLike<number>, n: number, p: CropModelParams): CropModel | null {
  const t2 = p.thresholdPx * p.thresholdPx;
  const cosMax = Math.cos((p.maxAngleDeg * Math.PI) / 180);
  const sampled = Math.min(n, p.maxSampled);
  let best: CropModel | null = null;
  for (let i = 0; i < sampled; i++) {
    for (let j = i + 1; j < sampled; j++) {
      const ux = src[2 * j]! - src[2 * i]!, uy = src[2 * j + 1]! - src[2 * i + 1]!;
      const vx = dst[2 * j]! - dst[2 * i]!, vy = dst[2 * j + 1]! - dst[2 * i + 1]!;
      const lu = Math.hypot(ux, uy);
      const lv = Math.hypot(vx, vy);
      if (lu < p.minSpanPx || lv === 0) continue;
      if ((ux * vx + uy * vy) / (lu * lv) < cosMax) continue;
      const s = lv / lu;
      if (s < p.minScale || s > p.maxScale) continue;
      const tx = (dst[2 * i]! + dst[2 * j]! - s * (src[2 * i]! + src[2 * j]!)) / 2;
      const ty = (dst[2 * i + 1]! + dst[2 * j + 1]! - s * (src[2 * i + 1]! + src[2 * j + 1]!)) / 2;
      const inliers = consensus(src, dst, n, s, tx, ty, t2);
      if (!best || inliers.length > best.inliers.length) best = { scale: s, tx, ty, inliers };
    }
  }
  if (!best || best.inliers.length < 3) return best;
  const r = refit(src, dst, best.inliers);
  if (r && r.s >= p.minScale && r.s <= p.maxScale) {
    const inliers = consensus(src, dst, n, r.s, r.tx, r.ty, t2);
    if (inliers.length >= best.inliers.length) return { scale: r.s, tx: r.tx, ty: r.ty, inliers };
  }
  return best;
}

export interface Frame {
  width: number;
  height: number;
}

/**
 * True when the model maps B's frame inside A's (B is a crop of A) or A's inside
 * B's (the other way round), each side within `tolerance` of the frame's side.
 */
export function isContained(m: Pick<CropModel, 'scale' | 'tx' | 'ty'>, a: Frame, b: Frame, tolerance: number): boolean {
  const inside = (x0: number, y0: number, x1: number, y1: number, f: Frame) =>
    x0 >= -tolerance * f.width && y0 >= -tolerance * f.height && x1 <= f.width * (1 + tolerance) && y1 <= f.height * (1 + tolerance);
  const s = m.scale;
  const bInA = inside(-m.tx / s, -m.ty / s, (b.width - m.tx) / s, (b.height - m.ty) / s, a);
  const aInB = inside(m.tx, m.ty, s * a.width + m.tx, s * a.height + m.ty, b);
  return bInA || aInB;
}

/** The model as a homography (A -> B). */
export function cropHomography(m: Pick<CropModel, 'scale' | 'tx' | 'ty'>): Float64Array {
  return Float64Array.from([m.scale, 0, m.tx, 0, m.scale, m.ty, 0, 0, 1]);
}
