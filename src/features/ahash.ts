/**
 * Average hash, as imagehash's `average_hash(image, hash_size=8)`: grey image resized
 * to 8x8 with Lanczos, bit = pixel > mean of the 64 pixels (strict), row-major.
 */
import type { GreyImage } from './grey.js';
import { bitsToHex } from './hex.js';
import { resizeLanczos } from './resize.js';

export const AHASH_SIZE = 8;

/** aHash bits of a grey image already at hash size (no resampling). */
export function averageHashBits(small: GreyImage): Uint8Array {
  const { data } = small;
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i]!;
  const mean = sum / data.length;
  const bits = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) bits[i] = data[i]! > mean ? 1 : 0;
  return bits;
}

/** 16-hex-digit aHash of a full-size grey image. */
export function averageHash(grey: GreyImage): string {
  return bitsToHex(averageHashBits(resizeLanczos(grey, AHASH_SIZE, AHASH_SIZE)));
}
