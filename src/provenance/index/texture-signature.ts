/**
 * The texture-poor tier's prefilter (docs/PROVENANCE.md, "Provenance II: the
 * texture-poor tier"): a tiny global descriptor of a record's `thumb`, stored in
 * the registry (texture-registry.ts) and compared with the query's before any
 * thumbnail is read.
 *
 * The signature is colour statistics of six regions of the thumbnail (whole,
 * four halves, the centre 70%): luma at the 10th, 50th and 90th percentiles and
 * the median Cb and Cr (JPEG's YCbCr, 8-bit). Percentiles ignore where pixels
 * lie, so a mirror image or a 90° rotation keeps them; a crop lands near one of
 * the source's regions (a 50-70% crop near its centre or a half); a splice or an
 * overlay keeps a half, or most of the frame, of its smooth source.
 *
 * Value (SIGNATURE_BYTES): [format u8][flags u8][keypoints u16 BE][thumb width u8]
 * [thumb height u8] then per region [Y10, Y50, Y90, Cb50, Cr50].
 */
import { toPlanes } from '../appearance.js';
import type { ThumbFeatures } from '../thumb-input.js';
import { APPEARANCE_CHROMA_WEIGHT } from '../thresholds.js';

export const SIGNATURE_FORMAT = 1;
/** Regions of the thumbnail as [x0, y0, x1, y1] fractions: whole, left, right, top, bottom, centre. */
const REGIONS: ReadonlyArray<readonly [number, number, number, number]> = [
  [0, 0, 1, 1],
  [0, 0, 0.5, 1],
  [0.5, 0, 1, 1],
  [0, 0, 1, 0.5],
  [0, 0.5, 1, 1],
  [0.15, 0.15, 0.85, 0.85],
];
const PER_REGION = 5;
const HEADER_BYTES = 6;
export const SIGNATURE_BYTES = HEADER_BYTES + REGIONS.length * PER_REGION;
/** Flag: the record is texture-poor (fewer than MIN_TEXTURE_KEYPOINTS ORB keypoints, or no `orb`). */
const FLAG_POOR = 1;

export interface TextureSignature {
  /** Texture-poor (geometry cannot decide; appearance can). */
  poor: boolean;
  /** ORB keypoints (capped at 65,535; 0 without `orb`). */
  keypoints: number;
  width: number;
  height: number;
  /** REGIONS.length x [Y10, Y50, Y90, Cb50, Cr50]. */
  stats: Uint8Array;
}

function percentile(values: number[], p: number): number {
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.max(0, Math.round(p * (values.length - 1))))] ?? 0;
}

/** The signature of a thumbnail. */
export function textureSignature(thumb: ThumbFeatures, keypoints: number, poor: boolean): TextureSignature {
  const p = toPlanes(thumb);
  const stats = new Uint8Array(REGIONS.length * PER_REGION);
  REGIONS.forEach(([fx0, fy0, fx1, fy1], r) => {
    const x0 = Math.floor(fx0 * p.w);
    const y0 = Math.floor(fy0 * p.h);
    const x1 = Math.max(x0 + 1, Math.ceil(fx1 * p.w));
    const y1 = Math.max(y0 + 1, Math.ceil(fy1 * p.h));
    const ys: number[] = [];
    const cbs: number[] = [];
    const crs: number[] = [];
    for (let j = y0; j < y1; j++) {
      for (let i = x0; i < x1; i++) {
        ys.push(p.y[j * p.w + i]!);
        cbs.push(p.cb[j * p.w + i]!);
        crs.push(p.cr[j * p.w + i]!);
      }
    }
    const at = r * PER_REGION;
    stats[at] = Math.round(percentile(ys, 0.1));
    stats[at + 1] = Math.round(percentile(ys, 0.5));
    stats[at + 2] = Math.round(percentile(ys, 0.9));
    stats[at + 3] = Math.round(percentile(cbs, 0.5));
    stats[at + 4] = Math.round(percentile(crs, 0.5));
  });
  return { poor, keypoints: Math.min(0xffff, keypoints), width: thumb.width, height: thumb.height, stats };
}

export function encodeSignature(s: TextureSignature): Buffer {
  const b = Buffer.alloc(SIGNATURE_BYTES);
  b[0] = SIGNATURE_FORMAT;
  b[1] = s.poor ? FLAG_POOR : 0;
  b.writeUInt16BE(s.keypoints, 2);
  b[4] = s.width;
  b[5] = s.height;
  b.set(s.stats, HEADER_BYTES);
  return b;
}

/** The signature stored in the registry, or null when it is not one this code wrote (another format: skipped). */
export function decodeSignature(b: Buffer): TextureSignature | null {
  if (b.length !== SIGNATURE_BYTES || b[0] !== SIGNATURE_FORMAT) return null;
  return { poor: (b[1]! & FLAG_POOR) !== 0, keypoints: b.readUInt16BE(2), width: b[4]!, height: b[5]!, stats: Uint8Array.from(b.subarray(HEADER_BYTES)) };
}

function regionDistance(a: Uint8Array, ra: number, b: Uint8Array, rb: number): number {
  const i = ra * PER_REGION;
  const j = rb * PER_REGION;
  const luma = Math.abs(a[i]! - b[j]!) + Math.abs(a[i + 1]! - b[j + 1]!) + Math.abs(a[i + 2]! - b[j + 2]!);
  return luma / 3 + APPEARANCE_CHROMA_WEIGHT * (Math.abs(a[i + 3]! - b[j + 3]!) + Math.abs(a[i + 4]! - b[j + 4]!));
}

/**
 * Prefilter distance (lower is nearer), in the appearance distance's units
 * (|ΔY| + 2 (|ΔCb| + |ΔCr|)). `anyRegion`: the best of every pair of regions
 * (crops and rotations: the query may be any part of the source, or the source
 * a part of the query); otherwise the best of the same regions (the same frame:
 * an overlay or a splice).
 */
export function signatureDistance(q: TextureSignature, r: TextureSignature, anyRegion: boolean): number {
  let best = Infinity;
  for (let a = 0; a < REGIONS.length; a++) {
    if (!anyRegion) {
      best = Math.min(best, regionDistance(q.stats, a, r.stats, a));
      continue;
    }
    for (let b = 0; b < REGIONS.length; b++) best = Math.min(best, regionDistance(q.stats, a, r.stats, b));
  }
  return best;
}

/** Same frame shape (width / height) within the thumbnails' rounding (one px of the smaller) and `tolerance`. */
export function sameAspect(a: { width: number; height: number }, b: { width: number; height: number }, tolerance: number): boolean {
  const ra = a.width / a.height;
  const rb = b.width / b.height;
  return Math.abs(ra - rb) / ra <= 1 / Math.min(a.width, a.height, b.width, b.height) + tolerance;
}
