/**
 * The `thumb` feature: a tiny colour thumbnail for matching images that have
 * (almost) no ORB keypoints — smooth gradients, blurred or abstract pictures —
 * by appearance (src/provenance/appearance.ts). Area-averaged (box filter) from
 * the decoded sRGB pixels, in JPEG's full-range YCbCr:
 *
 * - `luma`: Y, `width` x `height` bytes, row-major, the longer side
 *   THUMB_LONG_SIDE px (or the image's own size when smaller, never upscaled);
 * - `chroma`: Cb plane then Cr plane, each ceil(width/2) x ceil(height/2).
 *
 * Size: a record is kept within Redis' 16 KiB allocation class (docs/FEATURES.md):
 * a record with THUMB_FULL_BELOW_KEYPOINTS ORB keypoints or more gets the small
 * thumbnail (THUMB_SMALL_LONG_SIDE, ~170 B), one with fewer — or extracted
 * without `orb` — the full one (32 px, ~1.2 KB). The small one is enough where it
 * is used: such an image is compared by appearance only with a texture-poor image
 * of the same frame (an overlay or a splice of it); the template search (crops,
 * rotations) needs both thumbnails full.
 */
// a type alias (not an interface), so it is assignable to a record's `Features`
export type ThumbFeatures = {
  width: number;
  height: number;
  luma: Uint8Array;
  chroma: Uint8Array;
};

/** Longer side of the full thumbnail, px. */
export const THUMB_LONG_SIDE = 32;
/** Longer side of the thumbnail of a record whose ORB keypoints fill its size budget. */
export const THUMB_SMALL_LONG_SIDE = 12;
/**
 * An image with fewer ORB keypoints is texture-poor: verification cannot decide by
 * geometry (docs/PROVENANCE.md), and its record has room for the full thumbnail.
 */
export const LOW_TEXTURE_KEYPOINTS = 60;
/**
 * Records with fewer ORB keypoints get the full thumbnail: above the texture-poor
 * images themselves, so an edit that gained a few keypoints (a 10° rotation's
 * corners) still has one; far below the byte budget (~390 keypoints).
 */
export const THUMB_FULL_BELOW_KEYPOINTS = 150;

/** Thumbnail side lengths for an image of `width` x `height` with longer side at most `longSide`. */
export function thumbSize(width: number, height: number, longSide: number): { width: number; height: number } {
  const long = Math.max(width, height);
  if (long <= longSide) return { width, height };
  const f = longSide / long;
  return { width: Math.max(1, Math.round(width * f)), height: Math.max(1, Math.round(height * f)) };
}

/** Chroma plane size of a thumbnail. */
export function chromaSize(width: number, height: number): { width: number; height: number } {
  return { width: Math.ceil(width / 2), height: Math.ceil(height / 2) };
}

/** Cell index of each source column (or row) when `n` pixels are binned into `cells`. */
function binsOf(n: number, cells: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(cells - 1, Math.floor((i * cells) / n));
  return out;
}

function toBytes(sums: Float64Array, counts: Uint32Array, out: Uint8Array, offset: number): void {
  for (let i = 0; i < sums.length; i++) out[offset + i] = Math.min(255, Math.max(0, Math.round(sums[i]! / Math.max(1, counts[i]!))));
}

/** The thumbnail (box-filtered means, one pass) of packed 8-bit RGB with the given longer side. */
export function appearanceThumb(rgb: Uint8Array, width: number, height: number, longSide = THUMB_LONG_SIDE): ThumbFeatures {
  const size = thumbSize(width, height, longSide);
  const c = chromaSize(size.width, size.height);
  const ySums = new Float64Array(size.width * size.height);
  const yCounts = new Uint32Array(ySums.length);
  const cbSums = new Float64Array(c.width * c.height);
  const crSums = new Float64Array(cbSums.length);
  const cCounts = new Uint32Array(cbSums.length);
  const yCol = binsOf(width, size.width);
  const cCol = binsOf(width, c.width);
  const yRow = binsOf(height, size.height);
  const cRow = binsOf(height, c.height);
  for (let y = 0, j = 0; y < height; y++) {
    const yBase = yRow[y]! * size.width;
    const cBase = cRow[y]! * c.width;
    for (let x = 0; x < width; x++, j += 3) {
      const r = rgb[j]!;
      const g = rgb[j + 1]!;
      const b = rgb[j + 2]!;
      const yc = yBase + yCol[x]!;
      ySums[yc]! += 0.299 * r + 0.587 * g + 0.114 * b;
      yCounts[yc]! += 1;
      const cc = cBase + cCol[x]!;
      cbSums[cc]! += 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
      crSums[cc]! += 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
      cCounts[cc]! += 1;
    }
  }
  const luma = new Uint8Array(ySums.length);
  toBytes(ySums, yCounts, luma, 0);
  const chroma = new Uint8Array(2 * cbSums.length);
  toBytes(cbSums, cCounts, chroma, 0);
  toBytes(crSums, cCounts, chroma, cbSums.length);
  return { width: size.width, height: size.height, luma, chroma };
}

/** A thumbnail of the full size (or of a smaller image), not the small one of a keypoint-filled record. */
export function isFullThumb(t: { width: number; height: number }): boolean {
  return Math.max(t.width, t.height) !== THUMB_SMALL_LONG_SIDE;
}

/** The longer side a record's thumbnail gets, given its ORB keypoint count (undefined: no `orb` extracted). */
export function thumbLongSide(orbKeypoints: number | undefined): number {
  return orbKeypoints === undefined || orbKeypoints < THUMB_FULL_BELOW_KEYPOINTS ? THUMB_LONG_SIDE : THUMB_SMALL_LONG_SIDE;
}
