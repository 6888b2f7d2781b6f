/**
 * Appearance matching of texture-poor images (docs/PROVENANCE.md, "Low texture:
 * appearance"): the `thumb` colour thumbnails of two records compared pixel by
 * pixel in YCbCr, where ORB finds too few keypoints for geometry.
 *
 * - **Contained** (both thumbnails full: records with few keypoints): a template search of one
 *   thumbnail inside the other, both ways, over scales (the template's longer
 *   side 1 .. 0.62 of the other's), positions and rotations (0, ±10°): crops,
 *   free rotations (the unrotated image searched inside the rotated one, so
 *   the rotation's black corners lie outside the template), resized copies.
 *   A coarse pass (every third template pixel in each direction, nearest
 *   pixel, 2 px steps) keeps the best two placements, which a coordinate
 *   descent refines (bilinear); the score is the trimmed
 *   mean distance (the best-fitting APPEARANCE_KEEP of the pixels).
 * - **Same frame** (one side texture-poor, the other may be textured): the two
 *   thumbnails laid over each other, scored robustly: the best-fitting
 *   fraction of all pixels (an overlay: a pasted patch is ignored) and the
 *   best of the four halves (a splice: one half of B is A's).
 * - Every score is also read relative to the template's own spread (its
 *   trimmed distance from its median colour): flat areas fit anything.
 *
 * Distances: |ΔY| + CHROMA_WEIGHT (|ΔCb| + |ΔCr|), 8-bit levels. Pure and
 * synchronous; ~1-2 ms per pair (docs/PROVENANCE.md).
 */
import { isFullThumb } from '../features/thumb.js';
import type { ThumbFeatures } from './thumb-input.js';
import * as T from './thresholds.js';

/** A thumbnail as float planes, chroma brought to the luma grid. */
export interface Planes {
  w: number;
  h: number;
  y: Float32Array;
  cb: Float32Array;
  cr: Float32Array;
}

/** Where a template's pixels land in the searched image: centred template px -> image px. */
export interface Placement {
  /** Searched-image px per template px, per axis. */
  kx: number;
  ky: number;
  /** Clockwise degrees (y down). */
  theta: number;
  /** Position of the template's centre in the searched image, px. */
  cx: number;
  cy: number;
}

export type Half = 'left' | 'right' | 'top' | 'bottom';

/** A score (trimmed mean distance) with the compared template's own spread (see `spread`). */
export interface Score {
  score: number;
  spread: number;
}

export type AppearanceMatch =
  /** `inner` (the template) is found inside the other image at this placement. */
  | ({ kind: 'contained'; inner: 'a' | 'b'; placement: Placement; coverage: number } & Score)
  /** The same frame, all but a region alike. */
  | ({ kind: 'overlay' } & Score)
  /** The same frame, one half alike. */
  | ({ kind: 'splice'; half: Half } & Score);

/** A match of two frames laid over each other. */
export type SameFrameMatch = Extract<AppearanceMatch, { kind: 'overlay' | 'splice' }>;

/** The scores behind a decision (for thresholds and benchmarks). */
export interface AppearanceScores {
  contained: ({ inner: 'a' | 'b'; placement: Placement; coverage: number } & Score) | null;
  overlay: Score | null;
  splice: ({ half: Half } & Score) | null;
}

export function toPlanes(t: ThumbFeatures): Planes {
  const { width: w, height: h } = t;
  const cw = Math.ceil(w / 2);
  const ch = Math.ceil(h / 2);
  const y = Float32Array.from(t.luma);
  const cb = new Float32Array(w * h);
  const cr = new Float32Array(w * h);
  const cbPlane = t.chroma.subarray(0, cw * ch);
  const crPlane = t.chroma.subarray(cw * ch);
  const tp = newTaps();
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      // luma pixel centre in chroma px
      const x = ((i + 0.5) * cw) / w - 0.5;
      const yy = ((j + 0.5) * ch) / h - 0.5;
      const t = taps(cw, ch, x, yy, tp);
      cb[j * w + i] = at(cbPlane, t);
      cr[j * w + i] = at(crPlane, t);
    }
  }
  return { w, h, y, cb, cr };
}

/** Bilinear interpolation at a point: the four neighbouring pixel indexes and their weights. */
interface Taps {
  i00: number;
  i10: number;
  i01: number;
  i11: number;
  w00: number;
  w10: number;
  w01: number;
  w11: number;
}

/** Taps at (x, y) in pixel-index units (pixel i's centre at i) of a w x h plane, clamped to the edge. */
function taps(w: number, h: number, x: number, y: number, out: Taps): Taps {
  const xc = x <= 0 ? 0 : x >= w - 1 ? w - 1 : x;
  const yc = y <= 0 ? 0 : y >= h - 1 ? h - 1 : y;
  const x0 = Math.floor(xc);
  const y0 = Math.floor(yc);
  const x1 = Math.min(w - 1, x0 + 1);
  const y1 = Math.min(h - 1, y0 + 1);
  const fx = xc - x0;
  const fy = yc - y0;
  out.i00 = y0 * w + x0;
  out.i10 = y0 * w + x1;
  out.i01 = y1 * w + x0;
  out.i11 = y1 * w + x1;
  out.w00 = (1 - fx) * (1 - fy);
  out.w10 = fx * (1 - fy);
  out.w01 = (1 - fx) * fy;
  out.w11 = fx * fy;
  return out;
}

function at(p: ArrayLike<number>, t: Taps): number {
  return p[t.i00]! * t.w00 + p[t.i10]! * t.w10 + p[t.i01]! * t.w01 + p[t.i11]! * t.w11;
}

const newTaps = (): Taps => ({ i00: 0, i10: 0, i01: 0, i11: 0, w00: 0, w10: 0, w01: 0, w11: 0 });

/**
 * Per-pixel distances of the template `t` placed in `s` (NaN where a template
 * pixel falls outside `s`), for every `stride`-th pixel in each direction.
 */
export function distances(t: Planes, s: Planes, p: Placement, stride = 1, sampling: 'bilinear' | 'nearest' = 'bilinear'): Float32Array {
  const rad = (p.theta * Math.PI) / 180;
  const cos = Math.cos(rad);
  const sin = Math.sin(rad);
  const nx = Math.ceil(t.w / stride);
  const ny = Math.ceil(t.h / stride);
  const out = new Float32Array(nx * ny);
  const cw = T.APPEARANCE_CHROMA_WEIGHT;
  const { w, h } = s;
  const scratch = newTaps();
  let k = 0;
  for (let j = 0; j < t.h; j += stride) {
    const qy = (j + 0.5 - t.h / 2) * p.ky;
    for (let i = 0; i < t.w; i += stride, k++) {
      const qx = (i + 0.5 - t.w / 2) * p.kx;
      const x = cos * qx - sin * qy + p.cx;
      const y = sin * qx + cos * qy + p.cy;
      if (x < 0 || y < 0 || x > w || y > h) {
        out[k] = NaN;
        continue;
      }
      const ti = j * t.w + i;
      if (sampling === 'nearest') {
        // the coarse pass: the pixel the point falls in (smooth images barely differ)
        const si = Math.min(h - 1, Math.floor(y)) * w + Math.min(w - 1, Math.floor(x));
        out[k] = Math.abs(t.y[ti]! - s.y[si]!) + cw * (Math.abs(t.cb[ti]! - s.cb[si]!) + Math.abs(t.cr[ti]! - s.cr[si]!));
        continue;
      }
      // one set of taps for the three planes (pixel centres at +0.5)
      const tp = taps(w, h, x - 0.5, y - 0.5, scratch);
      const dy = Math.abs(t.y[ti]! - at(s.y, tp));
      const dcb = Math.abs(t.cb[ti]! - at(s.cb, tp));
      const dcr = Math.abs(t.cr[ti]! - at(s.cr, tp));
      out[k] = dy + cw * (dcb + dcr);
    }
  }
  return out;
}

/**
 * How far the template's pixels (those `include` accepts) lie from their median
 * colour, in the distance's units, trimmed like the score (the best-fitting
 * `keep` of them): a template that is mostly flat (a black area) has no
 * structure to match, so it proves nothing however well it fits — its spread
 * is ~0 and its relative score (score / spread) unbounded.
 */
export function spread(t: Planes, keep: number, include: (i: number, j: number) => boolean = () => true): number {
  const idx: number[] = [];
  for (let j = 0; j < t.h; j++) for (let i = 0; i < t.w; i++) if (include(i, j)) idx.push(j * t.w + i);
  if (idx.length === 0) return 0;
  const median = (plane: Float32Array) => Float32Array.from(idx, (k) => plane[k]!).sort()[idx.length >> 1]!;
  const my = median(t.y);
  const mcb = median(t.cb);
  const mcr = median(t.cr);
  const d = Float32Array.from(idx, (k) => Math.abs(t.y[k]! - my) + T.APPEARANCE_CHROMA_WEIGHT * (Math.abs(t.cb[k]! - mcb) + Math.abs(t.cr[k]! - mcr)));
  return trimmedMean(d, keep).score;
}

/** Mean of the smallest `keep` fraction of the finite values, and the finite share; Infinity when none. */
export function trimmedMean(d: Float32Array, keep: number): { score: number; coverage: number } {
  let finite = 0;
  for (const x of d) if (!Number.isNaN(x)) finite++;
  if (finite === 0) return { score: Infinity, coverage: 0 };
  const v = new Float32Array(finite);
  let k = 0;
  for (const x of d) if (!Number.isNaN(x)) v[k++] = x;
  v.sort(); // typed arrays sort numerically
  const n = Math.max(1, Math.ceil(finite * keep));
  let sum = 0;
  for (let i = 0; i < n; i++) sum += v[i]!;
  return { score: sum / n, coverage: finite / d.length };
}

/** Mean of the finite values, Infinity when fewer than `minCoverage` of them are finite. */
function coveredMean(d: Float32Array, minCoverage: number): number {
  let sum = 0;
  let n = 0;
  for (const x of d) {
    if (Number.isNaN(x)) continue;
    sum += x;
    n++;
  }
  return n >= minCoverage * d.length && n > 0 ? sum / n : Infinity;
}

interface Candidate {
  f: number;
  theta: number;
  cx: number;
  cy: number;
  score: number;
}

function placementOf(t: Planes, s: Planes, c: Omit<Candidate, 'score'>): Placement {
  const k = (c.f * Math.max(s.w, s.h)) / Math.max(t.w, t.h);
  return { kx: k, ky: k, theta: c.theta, cx: c.cx, cy: c.cy };
}

/** Positions from lo to hi (inclusive), `step` apart, centred in the range; the middle when the range is empty. */
function positions(lo: number, hi: number, step: number): number[] {
  if (hi <= lo) return [(lo + hi) / 2];
  const n = Math.floor((hi - lo) / step) + 1;
  const start = lo + (hi - lo - (n - 1) * step) / 2;
  return Array.from({ length: n }, (_, i) => start + i * step);
}

/** The template `t` searched inside `s`: the best placement and its trimmed score. */
export function searchContained(t: Planes, s: Planes): { placement: Placement; score: number; coverage: number } | null {
  const coarse: Candidate[] = [];
  const tol = T.APPEARANCE_OVERHANG_PX;
  for (const theta of T.APPEARANCE_ROTATIONS_DEG) {
    const rad = (theta * Math.PI) / 180;
    const ac = Math.abs(Math.cos(rad));
    const as = Math.abs(Math.sin(rad));
    for (const f of T.APPEARANCE_SCALES) {
      if (theta !== 0 && f < T.APPEARANCE_MIN_ROTATED_SCALE) continue;
      const k = (f * Math.max(s.w, s.h)) / Math.max(t.w, t.h);
      const ex = (k * (t.w * ac + t.h * as)) / 2;
      const ey = (k * (t.w * as + t.h * ac)) / 2;
      if (s.w - 2 * ex < -2 * tol || s.h - 2 * ey < -2 * tol) continue;
      for (const cy of positions(ey - tol, s.h - ey + tol, T.APPEARANCE_COARSE_STEP_PX)) {
        for (const cx of positions(ex - tol, s.w - ex + tol, T.APPEARANCE_COARSE_STEP_PX)) {
          const c = { f, theta, cx, cy };
          const score = coveredMean(distances(t, s, placementOf(t, s, c), T.APPEARANCE_COARSE_STRIDE, 'nearest'), T.APPEARANCE_MIN_COVERAGE);
          if (score < Infinity) coarse.push({ ...c, score });
        }
      }
    }
  }
  if (coarse.length === 0) return null;
  coarse.sort((x, y) => x.score - y.score);
  let best: { placement: Placement; score: number; coverage: number } | null = null;
  for (const c of coarse.slice(0, T.APPEARANCE_REFINE_CANDIDATES)) {
    const refined = refine(t, s, c);
    const placement = placementOf(t, s, refined);
    const r = trimmedMean(distances(t, s, placement), T.APPEARANCE_KEEP);
    if (r.coverage < T.APPEARANCE_MIN_COVERAGE) continue;
    if (!best || r.score < best.score) best = { placement, score: r.score, coverage: r.coverage };
  }
  return best;
}

/** Coordinate descent on position, scale and rotation, halving the steps when no move helps. */
function refine(t: Planes, s: Planes, start: Candidate): Candidate {
  const score = (c: Omit<Candidate, 'score'>) => coveredMean(distances(t, s, placementOf(t, s, c), T.APPEARANCE_COARSE_STRIDE), T.APPEARANCE_MIN_COVERAGE);
  let cur = { ...start };
  let steps = { cx: 1, cy: 1, f: 0.02, theta: 1.5 };
  for (let round = 0; round < 3; round++) {
    let moved = true;
    for (let sweep = 0; moved && sweep < 3; sweep++) {
      moved = false;
      for (const key of ['cx', 'cy', 'f', 'theta'] as const) {
        for (const sign of [-1, 1]) {
          const next = { ...cur, [key]: cur[key] + sign * steps[key] };
          const v = score(next);
          if (v < cur.score) {
            cur = { ...next, score: v };
            moved = true;
          }
        }
      }
    }
    steps = { cx: steps.cx / 2, cy: steps.cy / 2, f: steps.f / 2, theta: steps.theta / 2 };
  }
  return cur;
}

/** The two frames have the same shape (within the thumbnails' rounding). */
export function sameShape(a: Planes, b: Planes): boolean {
  const ra = a.w / a.h;
  const rb = b.w / b.h;
  return Math.abs(ra - rb) / ra <= 1 / Math.min(a.h, a.w, b.h, b.w) + T.APPEARANCE_SHAPE_TOLERANCE;
}

const HALVES: ReadonlyArray<[Half, (t: Planes) => (i: number, j: number) => boolean]> = [
  ['left', (t) => (i) => i < t.w / 2],
  ['right', (t) => (i) => i >= t.w / 2],
  ['top', (t) => (_, j) => j < t.h / 2],
  ['bottom', (t) => (_, j) => j >= t.h / 2],
];

/** The smaller thumbnail laid over the larger one, frame to frame: per-pixel distances over the smaller one. */
function frameDistances(a: Planes, b: Planes, sampling: 'bilinear' | 'nearest'): { t: Planes; d: Float32Array } {
  const [t, s] = a.w * a.h <= b.w * b.h ? [a, b] : [b, a];
  return { t, d: distances(t, s, { kx: s.w / t.w, ky: s.h / t.h, theta: 0, cx: s.w / 2, cy: s.h / 2 }, 1, sampling) };
}

/** Mean distance of two frames laid over each other (nearest pixel): a cheap ranking for proposals. */
export function frameDistance(a: Planes, b: Planes): number {
  return coveredMean(frameDistances(a, b, 'nearest').d, 0);
}

/**
 * The two frames laid over each other: overlay and splice scores. The spreads
 * (most of the cost) are computed only where `needSpread` says the score could
 * pass; elsewhere they are 0 (no structure: no evidence), which changes no decision.
 */
export function sameFrameScores(
  a: Planes,
  b: Planes,
  needSpread: (kind: 'overlay' | 'splice', score: number) => boolean = () => true,
): { overlay: Score; splice: { half: Half } & Score } {
  const { t, d } = frameDistances(a, b, 'bilinear');
  const overlayScore = trimmedMean(d, T.APPEARANCE_OVERLAY_KEEP).score;
  const overlay = { score: overlayScore, spread: needSpread('overlay', overlayScore) ? spread(t, T.APPEARANCE_OVERLAY_KEEP) : 0 };
  let splice: { half: Half } & Score = { half: 'left', score: Infinity, spread: 0 };
  for (const [half, inHalf] of HALVES) {
    const inside = inHalf(t);
    const part: number[] = [];
    for (let j = 0; j < t.h; j++) for (let i = 0; i < t.w; i++) if (inside(i, j)) part.push(d[j * t.w + i]!);
    const score = trimmedMean(Float32Array.from(part), T.APPEARANCE_KEEP).score;
    if (score < splice.score) splice = { half, score, spread: needSpread('splice', score) ? spread(t, T.APPEARANCE_KEEP, inside) : 0 };
  }
  return { overlay, splice };
}

/** A score relative to the template's spread (lower is better; Infinity for a flat template). */
export function relative(s: Score): number {
  return s.spread >= T.APPEARANCE_MIN_SPREAD ? s.score / s.spread : Infinity;
}

/**
 * Every appearance score of two thumbnails: `contained` only when both are full
 * thumbnails (records with few keypoints; a 12 px one is too coarse to search);
 * the same-frame scores when the frames have the same shape.
 */
export function appearanceScores(a: ThumbFeatures, b: ThumbFeatures): AppearanceScores {
  const pa = toPlanes(a);
  const pb = toPlanes(b);
  let contained: AppearanceScores['contained'] = null;
  if (isFullThumb(a) && isFullThumb(b)) {
    for (const inner of ['b', 'a'] as const) {
      const [t, s] = inner === 'b' ? [pb, pa] : [pa, pb];
      const r = searchContained(t, s);
      if (r && (!contained || r.score < contained.score)) contained = { inner, ...r, spread: spread(t, T.APPEARANCE_KEEP) };
    }
  }
  const frame = sameShape(pa, pb) ? sameFrameScores(pa, pb) : null;
  return { contained, overlay: frame?.overlay ?? null, splice: frame?.splice ?? null };
}

/** A score within both the absolute and the relative (to the template's spread) threshold. */
function within(s: Score, max: number, maxRelative: number): boolean {
  return s.score <= max && relative(s) <= maxRelative;
}

/** The same-frame part of the decision: an overlay, else a splice within its thresholds, or null. */
function sameFrameMatch(s: Pick<AppearanceScores, 'overlay' | 'splice'>): SameFrameMatch | null {
  if (s.overlay && within(s.overlay, T.APPEARANCE_MAX_OVERLAY, T.APPEARANCE_MAX_OVERLAY_RELATIVE)) return { kind: 'overlay', ...s.overlay };
  if (s.splice && within(s.splice, T.APPEARANCE_MAX_SPLICE, T.APPEARANCE_MAX_SPLICE_RELATIVE)) return { kind: 'splice', ...s.splice };
  return null;
}

/** The decision: the first kind of evidence within its thresholds (contained, overlay, splice), or null. */
export function matchAppearance(a: ThumbFeatures, b: ThumbFeatures): AppearanceMatch | null {
  const s = appearanceScores(a, b);
  if (s.contained && within(s.contained, T.APPEARANCE_MAX_CONTAINED, T.APPEARANCE_MAX_CONTAINED_RELATIVE)) return { kind: 'contained', ...s.contained };
  return sameFrameMatch(s);
}

/**
 * The same-frame decision alone (no template search: cheap, and a 12 px
 * thumbnail is too coarse to search): two textured images whose keypoints
 * lie elsewhere than what they share — a splice whose kept half is smooth, an
 * overlay whose host was detected at another contrast. Null when the frames
 * differ in shape or nothing is within its thresholds.
 */
export function matchSameFrame(a: Planes, b: Planes): SameFrameMatch | null {
  if (!sameShape(a, b)) return null;
  // a score beyond its absolute bound fails whatever its spread: skip computing it
  const passable = (kind: 'overlay' | 'splice', score: number) => score <= (kind === 'overlay' ? T.APPEARANCE_MAX_OVERLAY : T.APPEARANCE_MAX_SPLICE);
  return sameFrameMatch(sameFrameScores(a, b, passable));
}

/** Where each half lies in the frame, as fractions: x0, y0, x1, y1. */
const HALF_BOXES: ReadonlyArray<readonly [number, number, number, number]> = [
  [0, 0, 0.5, 1],
  [0.5, 0, 1, 1],
  [0, 0, 1, 0.5],
  [0, 0.5, 1, 1],
];

/**
 * A coarse signature of each half of a thumbnail (left, right, top, bottom, as
 * in the splice score): Y, Cb, Cr sampled (bilinear) on a grid x grid lattice
 * of the half, `3 x grid²` values per half, plus the half's spread (a flat half
 * proves nothing). Two frames of the same shape compare at the same positions
 * whatever their thumbnails' sizes: a cheap stand-in for the splice score when
 * proposing pairs (appearance-candidates.ts).
 */
export function halfSignatures(p: Planes, grid: number): Array<{ values: Float32Array; spread: number }> {
  const tp = newTaps();
  return HALF_BOXES.map(([x0, y0, x1, y1], h) => {
    const values = new Float32Array(3 * grid * grid);
    let k = 0;
    for (let j = 0; j < grid; j++) {
      for (let i = 0; i < grid; i++) {
        const t = taps(p.w, p.h, (x0 + ((i + 0.5) / grid) * (x1 - x0)) * p.w - 0.5, (y0 + ((j + 0.5) / grid) * (y1 - y0)) * p.h - 0.5, tp);
        values[k++] = at(p.y, t);
        values[k++] = at(p.cb, t);
        values[k++] = at(p.cr, t);
      }
    }
    return { values, spread: spread(p, T.APPEARANCE_KEEP, HALVES[h]![1](p)) };
  });
}

/** Mean distance (|ΔY| + weight (|ΔCb| + |ΔCr|)) of two half signatures. */
export function signatureDistance(a: Float32Array, b: Float32Array): number {
  const cw = T.APPEARANCE_CHROMA_WEIGHT;
  let sum = 0;
  for (let k = 0; k < a.length; k += 3) sum += Math.abs(a[k]! - b[k]!) + cw * (Math.abs(a[k + 1]! - b[k + 1]!) + Math.abs(a[k + 2]! - b[k + 2]!));
  return (3 * sum) / a.length;
}
