/**
 * Per-channel colour histogram.
 *
 * Layout: `bins * 3` numbers, `[R_0..R_{bins-1}, G_0..G_{bins-1}, B_0..B_{bins-1}]`;
 * level v (0..255) falls in bin `floor(v * bins / 256)` (equal-width bins when bins
 * divides 256: with 8 bins, bin i holds levels 32i..32i+31); each channel's counts are
 * divided by the pixel count, so every channel sums to 1 (up to float rounding).
 */
import { channelLevels, levelsPixelCount } from './levels.js';

/** Histogram from per-channel level counts (see channelLevels). */
export function histogramFromLevels(levels: Uint32Array, bins: number): number[] {
  if (!Number.isInteger(bins) || bins < 1 || bins > 256) throw new RangeError('colorHistogram: bins must be in 1..256');
  const n = levelsPixelCount(levels);
  if (n === 0) throw new RangeError('colorHistogram: no pixels');
  const out = new Array<number>(bins * 3).fill(0);
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) {
      out[c * bins + Math.floor((v * bins) / 256)]! += levels[c * 256 + v]!;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / n;
  return out;
}

/** Histogram of packed 8-bit RGB with `bins` bins per channel. */
export function colorHistogram(rgb: Uint8Array, bins: number): number[] {
  return histogramFromLevels(channelLevels(rgb), bins);
}
