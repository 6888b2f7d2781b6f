/**
 * Pillow-compatible Lanczos (a = 3) resampling of 8-bit greyscale images, a port of
 * Pillow's `libImaging/Resample.c` (`Image.resize(size, Image.LANCZOS)`, also known as
 * ANTIALIAS), so perceptual hashes match the Python `imagehash` library:
 *
 * - separable: a horizontal pass first (only over the rows the vertical pass needs),
 *   then a vertical pass; a pass is skipped when that dimension does not change;
 * - on downscaling the filter support is stretched by the scale factor
 *   (`support = 3 * max(1, in/out)`), window bounds are rounded as Pillow does;
 * - coefficients are normalised to sum 1 in double precision, then converted to
 *   fixed point with 22 fractional bits (`PRECISION_BITS = 32 - 8 - 2`), rounding
 *   half away from zero;
 * - each pass accumulates in int32 starting from `1 << 21` (i.e. +0.5) and stores
 *   `clip8(sum >> 22)`: an 8-bit intermediate between the passes, as in Pillow.
 */
import type { GreyImage } from './grey.js';

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);
const LANCZOS_SUPPORT = 3;

/** Fixed-point filter coefficients for one axis. */
interface AxisCoeffs {
  /** Per output index: first input index, then the number of taps. */
  readonly bounds: Int32Array;
  /** `outSize * ksize` fixed-point weights. */
  readonly kk: Int32Array;
  readonly ksize: number;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/** Pillow's `lanczos_filter`: truncated sinc windowed by sinc(x/3), on [-3, 3). */
function lanczos(x: number): number {
  if (x >= -LANCZOS_SUPPORT && x < LANCZOS_SUPPORT) return sinc(x) * sinc(x / LANCZOS_SUPPORT);
  return 0;
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the box [0, inSize). */
function computeCoeffs(inSize: number, outSize: number): AxisCoeffs {
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = LANCZOS_SUPPORT * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const weights = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = lanczos((x + xmin - center + 0.5) * ss);
      weights[x] = w;
      ww += w;
    }
    const base = xx * ksize;
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0 ? weights[x]! / ww : weights[x]!;
      kk[base + x] = k < 0 ? Math.trunc(-0.5 + k * ONE) : Math.trunc(0.5 + k * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { bounds, kk, ksize };
}

// Coefficients depend only on (inSize, outSize); images of one batch mostly share sizes.
const COEFF_CACHE_LIMIT = 64;
const coeffCache = new Map<number, AxisCoeffs>();

function coeffsFor(inSize: number, outSize: number): AxisCoeffs {
  const key = inSize * 65536 + outSize;
  let c = coeffCache.get(key);
  if (c === undefined) {
    c = computeCoeffs(inSize, outSize);
    if (coeffCache.size >= COEFF_CACHE_LIMIT) {
      const oldest = coeffCache.keys().next().value;
      if (oldest !== undefined) coeffCache.delete(oldest);
    }
    coeffCache.set(key, c);
  }
  return c;
}

/** Pillow's `clip8(ss >> PRECISION_BITS)`; `>>` floors like C's arithmetic shift. */
function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function resampleHorizontal(src: GreyImage, rowFirst: number, rows: number, outW: number, c: AxisCoeffs): Uint8Array {
  const out = new Uint8Array(outW * rows);
  const { bounds, kk, ksize } = c;
  const inW = src.width;
  const data = src.data;
  for (let yy = 0; yy < rows; yy++) {
    const rowBase = (yy + rowFirst) * inW;
    const outBase = yy * outW;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = bounds[xx * 2]!;
      const xmax = bounds[xx * 2 + 1]!;
      const kBase = xx * ksize;
      const start = rowBase + xmin;
      // Four independent accumulators (exact integer sums in doubles, so the order is irrelevant).
      let s0 = HALF;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let x = 0;
      for (; x + 3 < xmax; x += 4) {
        s0 += data[start + x]! * kk[kBase + x]!;
        s1 += data[start + x + 1]! * kk[kBase + x + 1]!;
        s2 += data[start + x + 2]! * kk[kBase + x + 2]!;
        s3 += data[start + x + 3]! * kk[kBase + x + 3]!;
      }
      for (; x < xmax; x++) s0 += data[start + x]! * kk[kBase + x]!;
      out[outBase + xx] = clip8(s0 + s1 + s2 + s3);
    }
  }
  return out;
}

function resampleVertical(
  data: Uint8Array,
  width: number,
  outH: number,
  c: AxisCoeffs,
  rowShift: number,
): Uint8Array {
  const out = new Uint8Array(width * outH);
  const { bounds, kk, ksize } = c;
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[yy * 2]! - rowShift;
    const ymax = bounds[yy * 2 + 1]!;
    const kBase = yy * ksize;
    const outBase = yy * width;
    for (let xx = 0; xx < width; xx++) {
      let ss0 = HALF;
      for (let y = 0; y < ymax; y++) ss0 += data[(ymin + y) * width + xx]! * kk[kBase + y]!;
      out[outBase + xx] = clip8(ss0);
    }
  }
  return out;
}

/**
 * Resizes a greyscale image to exactly `outW` x `outH` (aspect ratio ignored) like
 * Pillow's `Image.resize((outW, outH), Image.LANCZOS)` on an "L" image.
 */
export function resizeLanczos(src: GreyImage, outW: number, outH: number): GreyImage {
  if (!Number.isInteger(outW) || !Number.isInteger(outH) || outW < 1 || outH < 1) {
    throw new RangeError(`resizeLanczos: invalid target size ${outW}x${outH}`);
  }
  if (src.width < 1 || src.height < 1 || src.data.length !== src.width * src.height) {
    throw new RangeError(`resizeLanczos: invalid source ${src.width}x${src.height}`);
  }
  if (outW === src.width && outH === src.height) {
    return { data: src.data.slice(), width: outW, height: outH };
  }
  const needHorizontal = outW !== src.width;
  const needVertical = outH !== src.height;
  const vert = needVertical ? coeffsFor(src.height, outH) : undefined;

  let data = src.data;
  let rowShift = 0;
  if (needHorizontal) {
    // Only the source rows the vertical pass reads (all of them when the height is kept).
    let rowFirst = 0;
    let rowLast = src.height;
    if (vert !== undefined) {
      rowFirst = vert.bounds[0]!;
      rowLast = vert.bounds[outH * 2 - 2]! + vert.bounds[outH * 2 - 1]!;
    }
    data = resampleHorizontal(src, rowFirst, rowLast - rowFirst, outW, coeffsFor(src.width, outW));
    rowShift = rowFirst;
  }
  if (vert !== undefined) {
    data = resampleVertical(data, outW, outH, vert, rowShift);
  }
  return { data, width: outW, height: outH };
}
