/** Mean colour of an image. */
import { channelLevels, levelsPixelCount } from './levels.js';

/**
 * Mean R, G, B from per-channel level counts (see channelLevels), each rounded to
 * 3 decimals. Sums are exact (integers below 2^53), so this equals sharp's
 * `.stats()` channel means of the same decoded sRGB pixels, rounded.
 */
export function averageColorFromLevels(levels: Uint32Array): [number, number, number] {
  const n = levelsPixelCount(levels);
  if (n === 0) throw new RangeError('averageColor: no pixels');
  const mean = (c: number): number => {
    let sum = 0;
    for (let v = 1; v < 256; v++) sum += v * levels[c * 256 + v]!;
    return Math.round((sum / n) * 1000) / 1000;
  };
  return [mean(0), mean(1), mean(2)];
}

/** Mean R, G, B (3 decimals) of packed 8-bit RGB. */
export function averageColor(rgb: Uint8Array): [number, number, number] {
  return averageColorFromLevels(channelLevels(rgb));
}
