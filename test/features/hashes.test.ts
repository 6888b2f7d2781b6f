/**
 * Bit-exactness of the hash steps on synthetic grey matrices, against independent
 * straightforward implementations written here (no resize involved: inputs are
 * already at hash size, where resize is the identity, as in Pillow).
 */
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { averageHash, averageHashBits } from '../../src/features/ahash.js';
import { dct2dLowFrequencies } from '../../src/features/dct.js';
import { differenceHash } from '../../src/features/dhash.js';
import { rgbToGrey, type GreyImage } from '../../src/features/grey.js';
import { bitsToHex } from '../../src/features/hex.js';
import { hammingDistance } from '../../src/features/index.js';
import { median, perceptualHash } from '../../src/features/phash.js';
import { prng } from './fixtures.js';

function grey(width: number, height: number, f: (x: number, y: number) => number): GreyImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { data, width, height };
}

function randomGrey(seed: number, width: number, height: number): GreyImage {
  const rnd = prng(seed);
  return grey(width, height, () => Math.floor(rnd() * 256));
}

/** Bits (as '0'/'1' string, row-major) -> hex via BigInt: an independent packing. */
function hexOf(bitString: string): string {
  return BigInt('0b' + bitString).toString(16).padStart(Math.ceil(bitString.length / 4), '0');
}

function naiveAHash(g: GreyImage): string {
  const px = Array.from(g.data);
  const mean = px.reduce((a, b) => a + b, 0) / px.length;
  return hexOf(px.map((v) => (v > mean ? '1' : '0')).join(''));
}

function naiveDHash(g: GreyImage): string {
  let bits = '';
  for (let y = 0; y < g.height; y++) {
    for (let x = 0; x < g.width - 1; x++) bits += g.data[y * g.width + x + 1]! > g.data[y * g.width + x]! ? '1' : '0';
  }
  return hexOf(bits);
}

/** Direct (non-separable) 2-D DCT-II, scipy's unnormalised scaling (factor 2 per axis). */
function naivePHash(g: GreyImage): string {
  const N = 32;
  const low: number[] = [];
  for (let k = 0; k < 8; k++) {
    for (let l = 0; l < 8; l++) {
      let s = 0;
      for (let i = 0; i < N; i++) {
        for (let j = 0; j < N; j++) {
          s += g.data[i * N + j]! * Math.cos((Math.PI * k * (2 * i + 1)) / (2 * N)) * Math.cos((Math.PI * l * (2 * j + 1)) / (2 * N));
        }
      }
      low.push(4 * s);
    }
  }
  const sorted = [...low].sort((a, b) => a - b);
  const med = (sorted[31]! + sorted[32]!) / 2;
  return hexOf(low.map((v) => (v > med ? '1' : '0')).join(''));
}

describe('grey conversion (Pillow convert("L"))', () => {
  it('uses ITU-R 601-2 luma with Pillow fixed-point rounding', () => {
    const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 10, 20, 30, 128, 128, 128]);
    // Pillow: red -> 76, green -> 150, blue -> 29, white -> 255, black -> 0.
    // (10, 20, 30): 0.299*10 + 0.587*20 + 0.114*30 = 18.21 -> 18.
    expect(Array.from(rgbToGrey(rgb, 7, 1).data)).toEqual([76, 150, 29, 255, 0, 18, 128]);
  });

  it('rejects a buffer of the wrong size', () => {
    expect(() => rgbToGrey(new Uint8Array(5), 2, 1)).toThrow(RangeError);
  });
});

describe('aHash', () => {
  it('matches an independent implementation on random 8x8 matrices', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const g = randomGrey(seed, 8, 8);
      expect(averageHash(g)).toBe(naiveAHash(g));
    }
  });

  it('is strict: pixels equal to the mean are 0, a constant image hashes to all zeros', () => {
    expect(averageHash(grey(8, 8, () => 77))).toBe('0000000000000000');
    // Half 100, half 200: mean 150, so the bright half only.
    expect(averageHash(grey(8, 8, (_x, y) => (y < 4 ? 200 : 100)))).toBe('ffffffff00000000');
    // Values 0..63: mean 31.5.
    expect(averageHash(grey(8, 8, (x, y) => y * 8 + x))).toBe('00000000ffffffff');
  });

  it('is row-major with the first pixel as the most significant bit', () => {
    expect(averageHash(grey(8, 8, (x, y) => (x === 0 && y === 0 ? 255 : 0)))).toBe('8000000000000000');
    expect(averageHash(grey(8, 8, (x, y) => (x === 7 && y === 7 ? 255 : 0)))).toBe('0000000000000001');
    expect(averageHash(grey(8, 8, (x, y) => (x === 0 && y === 1 ? 255 : 0)))).toBe('0080000000000000');
  });
});

describe('dHash', () => {
  it('matches an independent implementation on random 9x8 matrices', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const g = randomGrey(1000 + seed, 9, 8);
      expect(differenceHash(g)).toBe(naiveDHash(g));
    }
  });

  it('compares right > left strictly', () => {
    expect(differenceHash(grey(9, 8, () => 50))).toBe('0000000000000000');
    expect(differenceHash(grey(9, 8, (x) => x * 10))).toBe('ffffffffffffffff');
    expect(differenceHash(grey(9, 8, (x) => 200 - x * 10))).toBe('0000000000000000');
    // Only the last column rises, in the first row only.
    expect(differenceHash(grey(9, 8, (x, y) => (y === 0 && x === 8 ? 1 : 0)))).toBe('0100000000000000');
  });
});

describe('pHash', () => {
  it('matches a direct (non-separable) DCT implementation on random 32x32 matrices', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const g = randomGrey(5000 + seed, 32, 32);
      expect(perceptualHash(g)).toBe(naivePHash(g));
    }
  });

  // Not separable on purpose: for f(x) + g(y) images all DCT coefficients off the first
  // row/column are exactly 0 in theory, so their bits are decided by float round-off and
  // differ between any two DCT implementations (scipy's FFT included). See docs/FEATURES.md.
  it('matches on smooth (low-frequency, non-separable) 32x32 images too', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rnd = prng(seed);
      const [a, b, c, d, e] = [rnd() * 3, rnd() * 3, rnd() * 6, rnd() * 2, rnd() * 2];
      const g = grey(32, 32, (x, y) =>
        Math.round(127 + 50 * Math.sin((a * x + b * y) / 8 + c) + 40 * Math.cos((d * x - e * y) / 8)),
      );
      expect(perceptualHash(g)).toBe(naivePHash(g));
    }
  });

  it('DCT-II uses scipy.fftpack scaling and keeps DC first', () => {
    const g = grey(32, 32, () => 3);
    const low = dct2dLowFrequencies(g.data, 32, 8);
    expect(low[0]).toBeCloseTo(4 * 3 * 32 * 32, 9); // y[0] = 2 * sum, per axis
    for (let i = 1; i < 64; i++) expect(Math.abs(low[i]!)).toBeLessThan(1e-9);
  });

  it('median is numpy median (mean of the two middle values)', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, 1, 3])).toBe(3);
  });
});

describe('hex packing', () => {
  it('packs like imagehash _binary_array_to_hex (left zero padding)', () => {
    expect(bitsToHex([1, 0, 1])).toBe('5');
    expect(bitsToHex([1, 0, 0, 0, 0, 0, 0, 1])).toBe('81');
    expect(bitsToHex(new Array(64).fill(1))).toBe('ffffffffffffffff');
    const bits = averageHashBits(randomGrey(9, 8, 8));
    expect(bitsToHex(bits)).toBe(hexOf(Array.from(bits).join('')));
  });
});

describe('hammingDistance', () => {
  it('counts differing bits, like a BigInt popcount', () => {
    const rnd = prng(42);
    const randHex = (): string => Array.from({ length: 16 }, () => Math.floor(rnd() * 16).toString(16)).join('');
    for (let i = 0; i < 500; i++) {
      const a = randHex();
      const b = randHex();
      const expected = (BigInt('0x' + a) ^ BigInt('0x' + b)).toString(2).split('').filter((c) => c === '1').length;
      expect(hammingDistance(a, b)).toBe(expected);
      expect(hammingDistance(b, a)).toBe(expected);
    }
    expect(hammingDistance('0000000000000000', 'ffffffffffffffff')).toBe(64);
    expect(hammingDistance('ffd7918181c9ffff', 'ffd7918181c9ffff')).toBe(0);
    expect(hammingDistance('FF', 'fe')).toBe(1);
    expect(hammingDistance('abc', 'abd')).toBe(1); // lengths other than 16 work
  });

  it('refuses mismatched or non-hex input with INVALID_ARGUMENT', () => {
    for (const [a, b] of [
      ['00', '000'],
      ['zz', '00'],
      ['0x12', '0012'],
    ] as const) {
      expect(() => hammingDistance(a, b)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
    }
  });
});
