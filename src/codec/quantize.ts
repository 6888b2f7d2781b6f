/**
 * Lossy storage of float vectors (Float32Array / Float64Array).
 *
 * float16: each element is the nearest IEEE half (see float16.ts). Relative
 * error <= 2^-11 (FLOAT16_MAX_RELATIVE_ERROR) for 2^-14 <= |x| <= 65504; absolute
 * error <= 2^-25 below 2^-14; |x| >= 65520 becomes +/-Infinity; NaN stays NaN
 * (payload not kept); -0 stays -0. 2 bytes per element.
 *
 * int8: per-vector affine code. With min/max of the vector, the stored float32
 * `min` is the float32 at or just below the true minimum and the stored float32
 * `scale` is the smallest float32 with min + 255 * scale >= max (so
 * scale ~= (max - min) / 255). Element code q = round((x - min) / scale) - 128
 * (int8), read back as min + (q + 128) * scale. Absolute error <= scale / 2, i.e.
 * <= (max - min) / 510 up to float32 rounding of min and scale (and of the
 * decoded value when the vector is a Float32Array). 8 + 1 byte per element.
 * Vectors holding NaN, +/-Infinity or values beyond the float32 range cannot be
 * coded this way and are stored losslessly instead.
 */
import { float16Table, toFloat16Bits } from './float16.js';
import { HOST_IS_LITTLE_ENDIAN } from './endian.js';

export {
  FLOAT16_MAX,
  FLOAT16_MAX_RELATIVE_ERROR,
  FLOAT16_MAX_SUBNORMAL_ERROR,
  FLOAT16_MIN_NORMAL,
} from './float16.js';

/** int8 absolute error bound is (max - min) / INT8_ERROR_DIVISOR (= scale / 2). */
export const INT8_ERROR_DIVISOR = 510;
/** Bytes of the int8 header: float32 min + float32 scale, little-endian. */
export const INT8_HEADER_BYTES = 8;

const F32_MAX = 3.4028234663852886e38;

/** The documented int8 error bound for a vector whose values span [min, max]. */
export function int8MaxAbsError(min: number, max: number): number {
  return (max - min) / INT8_ERROR_DIVISOR;
}

const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);

/** Next float32 above a non-negative float32. */
function nextUpNonNegative(v: number): number {
  f32[0] = v;
  f32Bits[0] = f32Bits[0]! + 1; // +0 -> smallest subnormal; positive: next magnitude
  return f32[0];
}

/** Next float32 below a float32. */
function nextDown(v: number): number {
  f32[0] = v;
  if (v > 0) f32Bits[0] = f32Bits[0]! - 1;
  else if (v < 0) f32Bits[0] = f32Bits[0]! + 1;
  else f32Bits[0] = 0x80000001; // below +/-0: the negative smallest subnormal
  return f32[0];
}

/** Stored parameters of an int8-coded vector. */
export interface Int8Params {
  /** float32 at or below the vector's minimum. */
  min: number;
  /** float32 step; 0 when every element equals `min`. */
  scale: number;
}

/**
 * Chooses min/scale for int8 coding, or null when the vector holds a value
 * that cannot be coded (NaN, infinities, beyond float32 range).
 */
export function int8Params(v: Float32Array | Float64Array): Int8Params | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!(x >= -F32_MAX && x <= F32_MAX)) return null; // NaN or out of range
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (lo > hi) return null; // empty
  let min = Math.fround(lo);
  if (min > lo) min = nextDown(min);
  let scale = Math.fround((hi - min) / 255);
  while (min + 255 * scale < hi) scale = nextUpNonNegative(scale);
  return { min, scale };
}

/** Writes the int8 code of `v` (header + one byte per element) at `offset`. */
export function writeInt8Codes(v: Float32Array | Float64Array, p: Int8Params, out: DataView, offset: number): void {
  out.setFloat32(offset, p.min, true);
  out.setFloat32(offset + 4, p.scale, true);
  const base = offset + INT8_HEADER_BYTES;
  const { min, scale } = p;
  if (scale === 0) {
    for (let i = 0; i < v.length; i++) out.setInt8(base + i, -128);
    return;
  }
  for (let i = 0; i < v.length; i++) {
    let q = Math.round((v[i]! - min) / scale);
    if (q < 0) q = 0;
    else if (q > 255) q = 255;
    out.setInt8(base + i, q - 128);
  }
}

/**
 * Reads an int8-coded vector (header + codes) from `offset` of `view` into `out`
 * (one code per element). Throws on a non-finite or negative stored min/scale.
 */
export function readInt8Codes(view: DataView, offset: number, out: Float32Array | Float64Array): void {
  const min = view.getFloat32(offset, true);
  const scale = view.getFloat32(offset + 4, true);
  if (!Number.isFinite(min) || !(scale >= 0 && scale < Infinity)) {
    throw new RangeError('int8 vector with an invalid min/scale');
  }
  const codes = new Int8Array(view.buffer, view.byteOffset + offset + INT8_HEADER_BYTES, out.length);
  for (let i = 0; i < out.length; i++) out[i] = min + (codes[i]! + 128) * scale;
}

/** Writes `v` as little-endian IEEE halves at `offset`. */
export function writeFloat16s(v: Float32Array | Float64Array, out: DataView, offset: number): void {
  for (let i = 0; i < v.length; i++) out.setUint16(offset + 2 * i, toFloat16Bits(v[i]!), true);
}

/** Reads little-endian IEEE halves from `offset` of `view` into `out` (one per element). */
export function readFloat16s(view: DataView, offset: number, out: Float32Array | Float64Array): void {
  const table = float16Table();
  const start = view.byteOffset + offset;
  if (HOST_IS_LITTLE_ENDIAN && start % 2 === 0) {
    const halves = new Uint16Array(view.buffer, start, out.length);
    for (let i = 0; i < out.length; i++) out[i] = table[halves[i]!]!;
    return;
  }
  for (let i = 0; i < out.length; i++) out[i] = table[view.getUint16(offset + 2 * i, true)]!;
}
