import { describe, expect, it } from 'vitest';
import {
  createCodec,
  FLOAT16_MAX,
  FLOAT16_MAX_RELATIVE_ERROR,
  FLOAT16_MAX_SUBNORMAL_ERROR,
  FLOAT16_MIN_NORMAL,
  fromFloat16Bits,
  int8MaxAbsError,
  toFloat16Bits,
} from '../../src/codec/index.js';
import { mulberry32 } from '../../bench/lib/prng.js';

const prng = mulberry32;

const hex = (h: number) => `0x${h.toString(16).padStart(4, '0')}`;

describe('float16 conversion', () => {
  it('maps every half value to itself (NaNs to the canonical quiet NaN)', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = fromFloat16Bits(h);
      const expected = Number.isNaN(v) ? 0x7e00 : h;
      if (toFloat16Bits(v) !== expected) expect(hex(toFloat16Bits(v)), `half ${hex(h)} = ${v}`).toBe(hex(expected));
    }
  });

  it('handles known values, infinities, signed zero and subnormals', () => {
    const cases: Array<[number, number]> = [
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [FLOAT16_MAX, 0x7bff],
      [65519.99, 0x7bff], // just below the overflow midpoint
      [65520, 0x7c00], // the midpoint rounds to even: infinity
      [1e6, 0x7c00],
      [-1e6, 0xfc00],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [0, 0x0000],
      [-0, 0x8000],
      [FLOAT16_MIN_NORMAL, 0x0400],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // tie between 0 and 2^-24: even is 0
      [3 * 2 ** -25, 0x0002], // tie between 1 and 2 (x 2^-24): even is 2
      [1023 * 2 ** -24, 0x03ff], // largest subnormal
      [1023.5 * 2 ** -24, 0x0400], // rounds up into the normal range
      [1e-10, 0x0000],
      [-1e-10, 0x8000],
      [1 + 2 ** -11, 0x3c00], // tie: even mantissa (0)
      [1 + 3 * 2 ** -11, 0x3c02], // tie: even mantissa (2)
      [1 + 2 ** -11 + 2 ** -40, 0x3c01], // above the tie; via float32 it would round to the tie, then down
    ];
    for (const [x, bits] of cases) expect(hex(toFloat16Bits(x)), String(x)).toBe(hex(bits));
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN)))).toBe(true);
    expect(Object.is(fromFloat16Bits(0x8000), -0)).toBe(true);
  });

  it('rounds exact midpoints between neighbouring halves to the even one', () => {
    const rand = prng(7);
    for (let i = 0; i < 5000; i++) {
      const h = Math.floor(rand() * 0x7bff); // positive finite, h + 1 still finite
      const mid = (fromFloat16Bits(h) + fromFloat16Bits(h + 1)) / 2;
      expect(toFloat16Bits(mid), hex(h)).toBe(h % 2 === 0 ? h : h + 1);
      expect(toFloat16Bits(-mid)).toBe(0x8000 | (h % 2 === 0 ? h : h + 1));
    }
  });
});

/** Random values spread log-uniformly over [2^lo, 2^hi), random sign. */
function logUniform(rand: () => number, n: number, lo: number, hi: number): Float64Array {
  return Float64Array.from({ length: n }, () => (rand() < 0.5 ? -1 : 1) * 2 ** (lo + rand() * (hi - lo)));
}

describe('float16 quantization of vectors', () => {
  const c = createCodec({ quantize: 'float16', quantizeMinLength: 16 });

  it(`keeps the relative error <= 2^-11 in the normal range, for Float32Array and Float64Array`, () => {
    const rand = prng(11);
    let worst = 0;
    for (let trial = 0; trial < 50; trial++) {
      const src = logUniform(rand, 512, -14, 15.99);
      for (const v of [src, new Float32Array(src)]) {
        const out = c.decode(c.encode({ v }, 0)).features.v as Float32Array | Float64Array;
        expect(out.constructor).toBe(v.constructor);
        expect(out.length).toBe(v.length);
        for (let i = 0; i < v.length; i++) {
          const rel = Math.abs(out[i]! - v[i]!) / Math.abs(v[i]!);
          worst = Math.max(worst, rel);
          if (rel > FLOAT16_MAX_RELATIVE_ERROR) expect(rel, `${v[i]} -> ${out[i]}`).toBeLessThanOrEqual(FLOAT16_MAX_RELATIVE_ERROR);
        }
      }
    }
    expect(worst).toBeGreaterThan(FLOAT16_MAX_RELATIVE_ERROR / 2); // the bound is tight, not vacuous
  });

  it('keeps the absolute error <= 2^-25 below 2^-14 and overflows to +/-Infinity', () => {
    const rand = prng(12);
    const v = logUniform(rand, 1000, -30, -14);
    const out = c.decode(c.encode({ v }, 0)).features.v as Float64Array;
    for (let i = 0; i < v.length; i++) expect(Math.abs(out[i]! - v[i]!)).toBeLessThanOrEqual(FLOAT16_MAX_SUBNORMAL_ERROR);
    const big = new Float32Array(16).fill(70000);
    big[1] = -1e30;
    big[2] = NaN;
    big[3] = -0;
    const o = c.decode(c.encode({ big }, 0)).features.big as Float32Array;
    expect([o[0], o[1], Number.isNaN(o[2]), Object.is(o[3], -0)]).toEqual([Infinity, -Infinity, true, true]);
  });
});

describe('int8 quantization of vectors', () => {
  const c = createCodec({ quantize: 'int8', quantizeMinLength: 16 });

  /** Tolerance on top of (max - min) / 510: float32 rounding of the stored min/scale and of Float32Array output. */
  const slack = (v: ArrayLike<number>) => {
    let m = 0;
    for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]!));
    return m * 2 ** -22;
  };

  function check(v: Float32Array | Float64Array): number {
    let min = Infinity;
    let max = -Infinity;
    for (const x of v) {
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    const out = c.decode(c.encode({ v }, 0)).features.v as Float32Array | Float64Array;
    expect(out.constructor).toBe(v.constructor);
    const bound = int8MaxAbsError(min, max) + slack(v);
    let worst = 0;
    for (let i = 0; i < v.length; i++) {
      const err = Math.abs(out[i]! - v[i]!);
      worst = Math.max(worst, err);
      if (err > bound) expect(err, `${v[i]} -> ${out[i]} (range ${min}..${max})`).toBeLessThanOrEqual(bound);
    }
    return worst / Math.max(int8MaxAbsError(min, max), Number.MIN_VALUE);
  }

  it('keeps |error| <= (max - min) / 510 on random vectors of many ranges', () => {
    const rand = prng(13);
    let tightest = 0;
    for (let trial = 0; trial < 200; trial++) {
      const center = (rand() - 0.5) * 10 ** Math.floor(rand() * 8 - 3);
      const spread = 10 ** Math.floor(rand() * 10 - 5);
      const src = Float64Array.from({ length: 16 + Math.floor(rand() * 1000) }, () => center + (rand() - 0.5) * spread);
      tightest = Math.max(tightest, check(src), check(new Float32Array(src)));
    }
    expect(tightest).toBeGreaterThan(0.9); // the bound is nearly reached: it is not vacuous
  });

  it('reproduces constant vectors, extremes and single outliers within the bound', () => {
    expect(check(new Float32Array(32).fill(0.123))).toBe(0);
    const outlier = new Float32Array(64).fill(0.5);
    outlier[5] = 1000;
    check(outlier);
    check(Float64Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? -3e38 : 3e38)));
    check(Float64Array.from({ length: 20 }, (_, i) => 1e-40 * i));
    const ends = c.decode(c.encode({ v: Float32Array.from({ length: 16 }, (_, i) => i - 8) }, 0)).features.v as Float32Array;
    expect([ends[0], ends[15]]).toEqual([-8, 7]); // min and max are exact codes
  });

  it('stores Float64Array vectors beyond the float32 range losslessly', () => {
    const v = Float64Array.from({ length: 16 }, (_, i) => i * 1e300);
    const out = c.decode(c.encode({ v }, 0)).features.v as Float64Array;
    expect([...out]).toEqual([...v]);
  });
});
