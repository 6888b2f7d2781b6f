/** Public types of geometric verification (docs/PROVENANCE.md). */
import type { OrbFeatures } from './orb-input.js';

export type { OrbFeatures };

/**
 * - `identical`: the same file (equal content hash);
 * - `near_duplicate`: the whole image, resized, recompressed, rotated by a multiple of 90° or mirrored;
 * - `derived`: one shows part of the other (crop, free rotation) or they share a region (overlay, splice);
 * - `unrelated`: no shared content found (the reasons say when the images had too little texture to decide).
 */
/**
 * What verification reads from a record: `orb` and, where present,
 * `content_hash`, `phash`, `phash_dihedral`, `width`, `height` (a Features
 * object, or `{ orb: await extractOrb(image) }`); values are checked at run time.
 */
export type VerifyInput = { readonly [type: string]: unknown };

export type Verdict = 'identical' | 'near_duplicate' | 'derived' | 'unrelated';

export interface VerifyTransform {
  /** B pixels per A pixel (0.5: B is A at half size). */
  scale: number;
  /** Clockwise degrees in (-180, 180] that turn A into B (after the mirror, when mirrored). */
  rotation_deg: number;
  /** B is a horizontal mirror image of A (applied before the rotation). */
  mirrored: boolean;
}

export interface VerifyResult {
  verdict: Verdict;
  /** Matches that agree with the homography (0 when the verdict rests on hashes). */
  inliers: number;
  /** Descriptor matches that passed the ratio test. */
  matches: number;
  transform: VerifyTransform | null;
  /** Fraction of each image's area covered by the matched region (see docs/PROVENANCE.md). */
  overlap: { a: number; b: number } | null;
  /** Plain words: "identical file", "cropped: B is 52% of A", "rotated 90°", ... */
  reasons: string[];
}

export interface VerifyOptions {
  /** Lowe's ratio: a match is kept when nearest < ratio x second nearest. @default 0.75 */
  ratio?: number;
  /** Largest reprojection error of an inlier, in B's analysed-frame pixels. @default 5 */
  ransacThresholdPx?: number;
  /** Fewest inliers that prove shared content. @default 15 */
  minInliers?: number;
  /** Largest pHash (and dihedral pHash) distance read as the same whole image. @default 10 */
  maxHashDistance?: number;
  /**
   * ORB features of B's horizontally mirrored image (`extractOrb(imageB, { mirror: true })`):
   * enables the mirror pass when the forward pass finds nothing.
   */
  mirroredB?: OrbFeatures;
}
