/**
 * Colour hash, as imagehash's `colorhash(image, binbits=3)`: the fractions of the
 * pixels that are black, grey, or coloured in 6 hue bins at faint and at bright
 * saturation (14 fractions), each quantised to `binbits` bits:
 *
 * - black: Pillow luma (`convert('L')`) < 32; grey: not black, HSV saturation < 85;
 * - coloured: neither; faint: saturation < 170, bright: saturation > 170 (a saturation
 *   of exactly 170 counts in neither, as in imagehash);
 * - hue sub-bins: `numpy.histogram(h, bins=linspace(0, 255, 7))`: edges 0, 42.5, 85,
 *   127.5, 170, 212.5, 255, the last bin closed;
 * - black and grey as fractions of all pixels, the 12 hue bins of the coloured pixels;
 *   value = min(2^binbits - 1, int(fraction * 2^binbits));
 * - bits per value as imagehash writes them: bit i = `v // 2^(binbits-i-1) % 2^(binbits-i) > 0`
 *   (for binbits 3: v >= 4, v >= 2, v odd — not plain binary);
 * - hex as imagehash: 42 bits -> 11 lowercase hex digits, zero-padded on the left.
 *
 * HSV is Pillow's `convert('HSV')` (libImaging `rgb2hsv`), reproduced in `pillowHsv`.
 */
import { bitsToHex } from './hex.js';

export const COLORHASH_BINBITS = 3;

/** Upper hue-bin edges (exclusive) of the first 5 bins; the 6th holds the rest. */
const HUE_EDGES = [42.5, 85, 127.5, 170, 212.5] as const;

const f32 = Math.fround;

// imagehash's thresholds: 256 // 8, 256 // 3, 256 * 2 // 3
const BLACK_BELOW = 32;
const GREY_BELOW = 85;
const FAINT_BELOW = 170;

/** Pillow's 8-bit HSV saturation of a pixel with these max and min channels (`s` is a C float). */
function pillowSaturation(maxc: number, minc: number): number {
  if (minc === maxc) return 0;
  return clip8(Math.trunc(f32(f32(maxc - minc) / maxc) * 255.0));
}

/** Pillow's 8-bit HSV hue (`rc`, `gc`, `bc`, `h` are C floats, the constants doubles). */
function pillowHue(r: number, g: number, b: number, maxc: number, minc: number): number {
  if (minc === maxc) return 0;
  const cr = f32(maxc - minc);
  const rc = f32((maxc - r) / cr);
  const gc = f32((maxc - g) / cr);
  const bc = f32((maxc - b) / cr);
  let h: number;
  if (r === maxc) h = f32(bc - gc);
  else if (g === maxc) h = f32(2.0 + rc - bc);
  else h = f32(4.0 + gc - rc);
  h = f32((h / 6.0 + 1.0) % 1.0);
  return clip8(Math.trunc(h * 255.0));
}

/** Pillow's RGB -> HSV (`Image.convert('HSV')`, libImaging `rgb2hsv`) of one pixel, 8 bits each. */
export function pillowHsv(r: number, g: number, b: number): [number, number, number] {
  const maxc = Math.max(r, g, b);
  const minc = Math.min(r, g, b);
  return [pillowHue(r, g, b, maxc, minc), pillowSaturation(maxc, minc), maxc];
}

function clip8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : v;
}

/** Hue bin 0..5 of an 8-bit hue (numpy.histogram over linspace(0, 255, 7)). */
function hueBin(h: number): number {
  let bin = 0;
  while (bin < HUE_EDGES.length && h >= HUE_EDGES[bin]!) bin++;
  return bin;
}

/** colorhash bits from packed RGB and its Pillow luma (same pixel order). */
export function colorHashBits(rgb: Uint8Array, luma: Uint8Array, binbits = COLORHASH_BINBITS): Uint8Array {
  const n = luma.length;
  let black = 0;
  let grey = 0;
  let colours = 0;
  const faint = new Array<number>(6).fill(0);
  const bright = new Array<number>(6).fill(0);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    if (luma[i]! < BLACK_BELOW) {
      black++;
      continue;
    }
    const r = rgb[j]!;
    const g = rgb[j + 1]!;
    const b = rgb[j + 2]!;
    const maxc = Math.max(r, g, b);
    const minc = Math.min(r, g, b);
    const s = pillowSaturation(maxc, minc);
    if (s < GREY_BELOW) {
      grey++;
      continue;
    }
    colours++;
    if (s < FAINT_BELOW) faint[hueBin(pillowHue(r, g, b, maxc, minc))]! += 1;
    else if (s > FAINT_BELOW) bright[hueBin(pillowHue(r, g, b, maxc, minc))]! += 1;
  }
  const max = 2 ** binbits;
  const quantise = (fraction: number) => Math.min(max - 1, Math.trunc(fraction * max));
  const c = Math.max(1, colours);
  const values = [quantise(black / n), quantise(grey / n), ...faint.map((k) => quantise(k / c)), ...bright.map((k) => quantise(k / c))];
  const bits = new Uint8Array(values.length * binbits);
  values.forEach((v, k) => {
    for (let i = 0; i < binbits; i++) bits[k * binbits + i] = Math.floor(v / 2 ** (binbits - i - 1)) % 2 ** (binbits - i) > 0 ? 1 : 0;
  });
  return bits;
}

/** 11-hex-digit colorhash (binbits 3) of packed RGB and its Pillow luma. */
export function colorHash(rgb: Uint8Array, luma: Uint8Array): string {
  return bitsToHex(colorHashBits(rgb, luma));
}
