/**
 * Local contrast normalisation for ORB (`orb.3`'s `tiles` rule): the frame's faint
 * regions take their pixels from its CLAHE copy, its textured regions keep theirs.
 * The choice is made per CLAHE tile from that tile's own pixels, so it is the same
 * in an image and in an edit that keeps the region (an overlay pasting texture
 * elsewhere no longer flips the whole frame to the plain path, as orb.2's
 * "CLAHE when the frame falls short of candidates" did).
 *
 * - A tile's *FAST contrast* is the share of its pixels whose grey value differs by
 *   at least FAST's threshold (20) from the pixel 3 px to the right or below (FAST
 *   compares a pixel with its radius-3 circle). Faint tiles have almost none.
 * - Weight per tile: 1 below `faint`, 0 from `textured` (shares; ORB_DETECTOR's
 *   `tileFaint`, `tileTextured`), linear between
 *   (a ramp, so a tile near the bound does not flip between an image and its edit);
 *   interpolated bilinearly between tile centres, as CLAHE interpolates its tables, so
 *   no seam is drawn at tile borders for FAST to find.
 *   (sampled on every second row).
 * - Pixel = round(plain + w (clahe - plain)). All weights 0: the plain frame itself.
 */

/** FAST's intensity threshold in opencv-js's ORB (fixed). */
const FAST_THRESHOLD = 20;
/** FAST's circle radius, px. */
const FAST_RADIUS = 3;

/** The FAST contrast is sampled on every STAT_ROW_STEP-th row (a share; half the cost). */
const STAT_ROW_STEP = 2;

/** Per-tile weights (row-major, `tiles` x `tiles`) of the CLAHE copy for a grey frame. */
export function faintTileWeights(
  px: Uint8Array,
  width: number,
  height: number,
  tiles: number,
  bounds: { faint: number; textured: number },
): Float64Array {
  const hits = new Float64Array(tiles * tiles);
  const counts = new Float64Array(tiles * tiles);
  const tileOfX = new Int32Array(width);
  for (let x = 0; x < width; x++) tileOfX[x] = Math.min(tiles - 1, Math.floor((x * tiles) / width));
  for (let y = 0; y + FAST_RADIUS < height; y += STAT_ROW_STEP) {
    const row = Math.min(tiles - 1, Math.floor((y * tiles) / height)) * tiles;
    const at = y * width;
    const below = at + FAST_RADIUS * width;
    for (let x = 0; x + FAST_RADIUS < width; x++) {
      const v = px[at + x]!;
      const t = row + tileOfX[x]!;
      counts[t]! += 1;
      if (Math.abs(px[at + x + FAST_RADIUS]! - v) >= FAST_THRESHOLD || Math.abs(px[below + x]! - v) >= FAST_THRESHOLD) hits[t]! += 1;
    }
  }
  const weights = new Float64Array(tiles * tiles);
  for (let t = 0; t < weights.length; t++) {
    const share = counts[t]! > 0 ? hits[t]! / counts[t]! : 0;
    weights[t] = Math.min(1, Math.max(0, (bounds.textured - share) / (bounds.textured - bounds.faint)));
  }
  return weights;
}

/**
 * Interpolation table of one axis: for coordinate i, the tiles `lo`/`hi` whose centres
 * lie around it and the weight `f` of `hi` (OpenCV's half-pixel convention, clamped).
 */
function axis(size: number, tiles: number): { lo: Int32Array; hi: Int32Array; f: Float64Array } {
  const lo = new Int32Array(size);
  const hi = new Int32Array(size);
  const f = new Float64Array(size);
  const tile = size / tiles;
  for (let i = 0; i < size; i++) {
    const g = (i + 0.5) / tile - 0.5;
    const a = Math.floor(g);
    lo[i] = Math.max(0, Math.min(tiles - 1, a));
    hi[i] = Math.max(0, Math.min(tiles - 1, a + 1));
    f[i] = Math.min(1, Math.max(0, g - a));
  }
  return { lo, hi, f };
}

/** Weight fixed point: 1.0 = 1 << WEIGHT_BITS. */
const WEIGHT_BITS = 12;
const WEIGHT_ONE = 1 << WEIGHT_BITS;

/**
 * Writes plain + w (clahe - plain), rounded half up, into `out`, w the bilinearly
 * interpolated tile weight in 1/4096 steps. `plain`, `clahe` and `out` are width x
 * height grey frames. Separable: each tile row's weights are interpolated along x once;
 * where the weights are 0 the plain pixels are copied.
 */
export function blendByWeight(
  plain: Uint8Array,
  clahe: Uint8Array,
  out: Uint8Array,
  width: number,
  height: number,
  weights: Float64Array,
  tiles: number,
): void {
  const ax = axis(width, tiles);
  const ay = axis(height, tiles);
  const rows: Float64Array[] = [];
  for (let r = 0; r < tiles; r++) {
    const row = new Float64Array(width);
    for (let x = 0; x < width; x++) row[x] = weights[r * tiles + ax.lo[x]!]! * (1 - ax.f[x]!) + weights[r * tiles + ax.hi[x]!]! * ax.f[x]!;
    rows.push(row);
  }
  // the x span of each tile row where its weight is not 0 (outside: the plain pixels)
  const spans = rows.map((row) => {
    let from = 0;
    let to = width;
    while (from < to && row[from] === 0) from++;
    while (to > from && row[to - 1] === 0) to--;
    return [from, to] as const;
  });
  const w = new Int32Array(width);
  for (let y = 0; y < height; y++) {
    const at = y * width;
    const r0 = ay.lo[y]!;
    const r1 = ay.hi[y]!;
    const from = Math.min(spans[r0]![0], spans[r1]![0]);
    const to = Math.max(spans[r0]![1], spans[r1]![1]);
    if (from >= to) {
      out.set(plain.subarray(at, at + width), at);
      continue;
    }
    out.set(plain.subarray(at, at + from), at);
    out.set(plain.subarray(at + to, at + width), at + to);
    const a = rows[r0]!;
    const b = rows[r1]!;
    const fy = ay.f[y]!;
    for (let x = from; x < to; x++) w[x] = Math.round((a[x]! * (1 - fy) + b[x]! * fy) * WEIGHT_ONE);
    for (let x = from; x < to; x++) {
      const p = plain[at + x]!;
      out[at + x] = p + ((w[x]! * (clahe[at + x]! - p) + (WEIGHT_ONE >> 1)) >> WEIGHT_BITS);
    }
  }
}
