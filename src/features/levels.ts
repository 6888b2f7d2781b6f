/** Per-channel level counts of packed RGB: the one pixel pass shared by the colour extractors. */

/**
 * Counts of each 8-bit level per channel: `Uint32Array(768)`, `[R 0..255, G 0..255, B 0..255]`.
 * Throws RangeError unless `rgb` is a non-empty packed 3-bytes-per-pixel buffer.
 */
export function channelLevels(rgb: Uint8Array): Uint32Array {
  const n = rgb.length / 3;
  if (n === 0 || !Number.isInteger(n)) throw new RangeError('channelLevels: need a non-empty packed RGB buffer');
  const levels = new Uint32Array(768);
  for (let i = 0; i < rgb.length; i += 3) {
    levels[rgb[i]!]! += 1;
    levels[256 + rgb[i + 1]!]! += 1;
    levels[512 + rgb[i + 2]!]! += 1;
  }
  return levels;
}

/** Number of pixels counted in `levels` (the sum of the red channel's counts). */
export function levelsPixelCount(levels: Uint32Array): number {
  let n = 0;
  for (let v = 0; v < 256; v++) n += levels[v]!;
  return n;
}
