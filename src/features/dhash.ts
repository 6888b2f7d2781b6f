/**
 * Difference hash, as imagehash's `dhash(image, hash_size=8)` (horizontal variant):
 * grey image resized to 9 wide x 8 high with Lanczos; for each row,
 * bit = pixel[col + 1] > pixel[col] (strict) for col 0..7; row-major.
 */
import type { GreyImage } from './grey.js';
import { bitsToHex } from './hex.js';
import { resizeLanczos } from './resize.js';

export const DHASH_SIZE = 8;

/** dHash bits of a grey image already at (size + 1) x size. */
export function differenceHashBits(small: GreyImage): Uint8Array {
  const { data, width, height } = small;
  const cols = width - 1;
  const bits = new Uint8Array(cols * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < cols; x++) {
      bits[y * cols + x] = data[y * width + x + 1]! > data[y * width + x]! ? 1 : 0;
    }
  }
  return bits;
}

/** 16-hex-digit dHash of a full-size grey image. */
export function differenceHash(grey: GreyImage): string {
  return bitsToHex(differenceHashBits(resizeLanczos(grey, DHASH_SIZE + 1, DHASH_SIZE)));
}
