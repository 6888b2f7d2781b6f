/**
 * 8-bit greyscale conversion identical to Pillow's `Image.convert("L")`:
 * ITU-R 601-2 luma on the gamma-encoded 8-bit RGB values,
 * `L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16` (Pillow's `L24` macro).
 * This is deliberately NOT libvips' greyscale (which works in linear light).
 */

/** A single-channel 8-bit image, row-major, `data.length === width * height`. */
export interface GreyImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Converts packed 8-bit RGB (3 bytes per pixel, row-major) to Pillow-compatible luma. */
export function rgbToGrey(rgb: Uint8Array, width: number, height: number): GreyImage {
  const n = width * height;
  if (rgb.length !== n * 3) {
    throw new RangeError(`rgbToGrey: expected ${n * 3} bytes for ${width}x${height} RGB, got ${rgb.length}`);
  }
  const data = new Uint8Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    // Max sum is 255 * 65536 + 0x8000, well inside int32.
    data[i] = (rgb[j]! * 19595 + rgb[j + 1]! * 38470 + rgb[j + 2]! * 7471 + 0x8000) >> 16;
  }
  return { data, width, height };
}
