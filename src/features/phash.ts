/**
 * Perceptual hash, as imagehash's `phash(image, hash_size=8, highfreq_factor=4)`:
 * grey image resized to 32x32 with Lanczos, 2-D DCT-II (scipy.fftpack, unnormalised,
 * axis 0 then axis 1), top-left 8x8 block including DC, bit = value > median of
 * those 64 values (numpy median: mean of the two middle values); row-major.
 */
import { dct2dLowFrequencies } from './dct.js';
import type { GreyImage } from './grey.js';
import { bitsToHex } from './hex.js';
import { resizeLanczos } from './resize.js';

export const PHASH_SIZE = 8;
export const PHASH_HIGHFREQ_FACTOR = 4;
const IMG_SIZE = PHASH_SIZE * PHASH_HIGHFREQ_FACTOR;

/** Median as numpy computes it (mean of the two middle values for an even count). */
export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The 8x8 low-frequency DCT block (row-major, DC first) of a grey image already at 32x32. */
export function lowFrequencyBlock(small: GreyImage): Float64Array {
  if (small.width !== IMG_SIZE || small.height !== IMG_SIZE) {
    throw new RangeError(`perceptualHash: expected ${IMG_SIZE}x${IMG_SIZE}, got ${small.width}x${small.height}`);
  }
  return dct2dLowFrequencies(small.data, IMG_SIZE, PHASH_SIZE);
}

/** The 8x8 low-frequency DCT block of a full-size grey image (resized to 32x32 first). */
export function perceptualHashBlock(grey: GreyImage): Float64Array {
  return lowFrequencyBlock(resizeLanczos(grey, IMG_SIZE, IMG_SIZE));
}

/** pHash bits of a low-frequency block: value > median of the block. */
export function bitsOfBlock(low: ArrayLike<number>): Uint8Array {
  const med = median(low);
  const bits = new Uint8Array(low.length);
  for (let i = 0; i < low.length; i++) bits[i] = low[i]! > med ? 1 : 0;
  return bits;
}

/** pHash bits of a grey image already at 32x32. */
export function perceptualHashBits(small: GreyImage): Uint8Array {
  return bitsOfBlock(lowFrequencyBlock(small));
}

/** 16-hex-digit pHash of a full-size grey image. */
export function perceptualHash(grey: GreyImage): string {
  return bitsToHex(bitsOfBlock(perceptualHashBlock(grey)));
}
