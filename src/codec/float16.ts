/**
 * IEEE 754 binary16 ("half") conversion, written out because Node 20 has no
 * Math.f16round / Float16Array.
 *
 * Encoding rounds to nearest, ties to even, straight from the float64 value (no
 * double rounding through float32). Magnitudes >= 65520 (the midpoint between
 * the largest half, 65504, and 2^16) become +/-Infinity; subnormal halves
 * (|x| < 2^-14) are produced with the same rounding; -0 keeps its sign; every NaN
 * becomes the canonical quiet NaN 0x7e00 (NaN payloads are not preserved).
 */

/** Largest finite half value. */
export const FLOAT16_MAX = 65504;
/** Smallest positive normal half (2^-14). */
export const FLOAT16_MIN_NORMAL = 2 ** -14;
/**
 * Bound on |x16 - x| / |x| for FLOAT16_MIN_NORMAL <= |x| <= FLOAT16_MAX
 * (half an ulp of an 11-bit significand).
 */
export const FLOAT16_MAX_RELATIVE_ERROR = 2 ** -11;
/** Bound on |x16 - x| for |x| < FLOAT16_MIN_NORMAL (half the subnormal step 2^-24). */
export const FLOAT16_MAX_SUBNORMAL_ERROR = 2 ** -25;

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

/** Rounds a non-negative number to the nearest integer, ties to even. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && (r & 1) === 1 ? r - 1 : r;
}

/** Converts a number to the bits (0..0xffff) of the nearest IEEE half. */
export function toFloat16Bits(x: number): number {
  if (x !== x) return 0x7e00;
  let sign = 0;
  if (x < 0 || (x === 0 && 1 / x < 0)) {
    sign = 0x8000;
    x = -x;
  }
  if (x >= 65520) return sign | 0x7c00;
  if (x < FLOAT16_MIN_NORMAL) {
    // Subnormal: value = m * 2^-24. x * 2^24 is exact; m === 1024 is the
    // encoding of the smallest normal, so rounding up across the edge is right.
    return sign | roundHalfEven(x * 16777216);
  }
  scratch[0] = x;
  const hi = scratchWords[HI]!;
  const lo = scratchWords[LO]!;
  const exponent = ((hi >>> 20) & 0x7ff) - 1023; // -14..15
  let mantissa = (hi >>> 10) & 0x3ff; // top 10 of the 52 significand bits
  const rest = hi & 0x3ff; // next 10 bits (bit 9 = round bit), then 32 bits in lo
  if (rest > 0x200 || (rest === 0x200 && (lo !== 0 || (mantissa & 1) === 1))) mantissa++;
  // A mantissa carry (1024) rolls into the exponent field, as it should.
  return sign | (((exponent + 15) << 10) + mantissa);
}

/** Converts half bits (0..0xffff) to the exact number they denote. */
export function fromFloat16Bits(h: number): number {
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  let v: number;
  if (exponent === 0) v = mantissa * 2 ** -24;
  else if (exponent === 31) v = mantissa === 0 ? Infinity : NaN;
  else v = (1024 + mantissa) * 2 ** (exponent - 25);
  return (h & 0x8000) !== 0 ? -v : v;
}

let table: Float32Array | undefined;

/** All 65536 half values as float32 (exact), built on first use (256 KiB). */
export function float16Table(): Float32Array {
  if (table === undefined) {
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = fromFloat16Bits(h);
  }
  return table;
}

/** Rounds a number to the nearest half value (encode then decode). */
export function roundToFloat16(x: number): number {
  return fromFloat16Bits(toFloat16Bits(x));
}
