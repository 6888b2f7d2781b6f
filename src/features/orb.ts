/**
 * ORB keypoints and rBRIEF descriptors (OpenCV), grid-spread, as compact typed arrays:
 * the evidence geometric verification (src/provenance/) matches and checks with RANSAC.
 *
 * - OpenCV runs natively (Debian's OpenCV 4.6 through the addon in native/) when it is
 *   built, else as WebAssembly (OpenCV 4.5 from npm): the same bytes either way
 *   (orb-backend.ts); the rules below are written once, here.
 * - The grey image (Pillow luma, as the hashes use) is downscaled with area averaging
 *   so its longer side is at most ORB_MAX_SIDE (never upscaled): the analysed frame.
 *   Keypoint coordinates are in that frame's pixels, rounded.
 * - OpenCV detects up to ORB_OVERSAMPLE (3) x `maxKeypoints` candidates (6 pyramid
 *   levels of scale 1.2, i.e. down to 1/2.5; FAST threshold 20, Harris score, 31 px patch);
 *   `selectGridSpread` keeps `maxKeypoints` of them spread over a 6 x 6 grid.
 * - Low texture: when the frame yields fewer candidates than `maxKeypoints`, detection
 *   runs again on its CLAHE-equalised copy (clip 2, 8 x 8 tiles). opencv-js cannot
 *   lower ORB's FAST threshold (no setter, and the constructor rejects the score
 *   type), and raising local contrast is the same thing for FAST; rBRIEF compares
 *   pixel pairs, which a locally monotonic mapping mostly keeps.
 * - Low-texture images yield fewer keypoints, possibly none: that is a result, not an
 *   error (`keypoints.length === 0`); so do frames under ORB_MIN_SIDE px on a side.
 * - `mirror: true` analyses the horizontally mirrored frame (the verification's
 *   mirror pass); coordinates are then in the mirrored frame.
 * Size: 36 bytes per keypoint (32 descriptor + 2 x uint16), ~15.5 KB for 430.
 */
import { selectGridSpread } from './grid-select.js';
import type { GreyImage } from './grey.js';
import { opencvError } from './opencv.js';
import { ORB_DESCRIPTOR_BYTES, RAW_KEYPOINT_FIELDS, RAW_RESPONSE, RAW_X, RAW_Y, type OrbBackend, type RawOrb } from './orb-backend.js';
import { orbBackend } from './orb-backend-choice.js';

export { ORB_DESCRIPTOR_BYTES } from './orb-backend.js';

/** A type alias (not an interface) so it is assignable to the cache's `Features`. */
export type OrbFeatures = {
  /** The analysed frame (the image downscaled to at most ORB_MAX_SIDE), px. */
  width: number;
  height: number;
  /** 2n values: x0, y0, x1, y1, ... in analysed-frame px (rounded). */
  keypoints: Uint16Array;
  /** 32n bytes: row i is keypoint i's 256-bit rBRIEF descriptor. */
  descriptors: Uint8Array;
};

/** Longest side of the analysed frame; larger images are downscaled, smaller ones kept. */
export const ORB_MAX_SIDE = 1024;
/**
 * Keypoints kept per image unless configured: 430 x 36 B keeps a record with every
 * default feature within Redis' 16 KiB allocation class (500 took it to the 20 KiB
 * class: 20,680 B by MEMORY USAGE); docs/PROVENANCE.md, "ORB parameters".
 */
export const DEFAULT_ORB_KEYPOINTS = 430;
/** Most keypoints a caller may ask for. */
export const MAX_ORB_KEYPOINTS = 5000;
/** Candidates detected per kept keypoint, for the grid to choose from. */
export const ORB_OVERSAMPLE = 3;
/**
 * Frames with a side below this have no keypoints: ORB drops keypoints within its
 * 31 px border (edgeThreshold), and OpenCV's pyramid fails on frames a few px wide.
 */
export const ORB_MIN_SIDE = 2 * 31 + 1;

export interface OrbComputeOptions {
  maxKeypoints: number;
  mirror: boolean;
  /** The detector's parameters (measurement only; records are made with ORB_DETECTOR). */
  detector?: OrbDetector;
  /** The OpenCV build to run on (measurement and tests; default: this thread's, orb-backend-choice.ts). Same bytes either way. */
  backend?: OrbBackend;
}

/** How candidates are detected (OpenCV's ORB; its FAST threshold is fixed at 20 in opencv-js). */
export interface OrbDetector {
  /** Candidates detected per kept keypoint, for the grid to choose from. */
  oversample: number;
  /** Pyramid levels (scale factor 1.2 each). */
  levels: number;
  /**
   * Contrast normalisation of the grey frame before detection: `none`; `clahe` always;
   * `adaptive`: CLAHE only when the plain frame yields fewer candidates than the budget.
   */
  contrast: 'none' | 'clahe' | 'equalize' | 'adaptive';
  /**
   * `adaptive` runs CLAHE when the plain frame yields fewer than `adaptiveBelow` x the
   * budget candidates (1: whenever it falls short).
   */
  adaptiveBelow: number;
  /** CLAHE clip limit and tiles per side. */
  claheClip: number;
  claheTiles: number;
  /** Longest side of the analysed frame (ORB_MAX_SIDE). */
  maxSide: number;
}

/** The detector records are made with (docs/PROVENANCE.md, "ORB parameters"). */
export const ORB_DETECTOR: Readonly<OrbDetector> = Object.freeze({
  oversample: ORB_OVERSAMPLE,
  levels: 6,
  contrast: 'adaptive',
  adaptiveBelow: 1,
  claheClip: 2,
  claheTiles: 8,
  maxSide: ORB_MAX_SIDE,
});

/** The analysed frame's size for an image of `width` x `height` (longest side at most `maxSide`). */
export function orbFrameSize(width: number, height: number, maxSide = ORB_MAX_SIDE): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  if (scale === 1) return { width, height };
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** ORB features of a decoded grey image (full size; downscaled here). */
export async function orbFromGrey(grey: GreyImage, opts: OrbComputeOptions): Promise<OrbFeatures> {
  const d = opts.detector ?? ORB_DETECTOR;
  const frame = orbFrameSize(grey.width, grey.height, d.maxSide);
  if (Math.min(frame.width, frame.height) < ORB_MIN_SIDE) {
    return { ...frame, keypoints: new Uint16Array(0), descriptors: new Uint8Array(0) };
  }
  const backend = opts.backend ?? (await orbBackend());
  const steps = backend.open();
  try {
    const mat = steps.frame(grey, frame.width, frame.height, opts.mirror);
    const nfeatures = opts.maxKeypoints * d.oversample;
    const plain = d.contrast === 'none' || d.contrast === 'adaptive' ? steps.detect(mat, nfeatures, d.levels) : null;
    if (plain && (d.contrast === 'none' || candidateCount(plain) >= d.adaptiveBelow * opts.maxKeypoints)) {
      return gridSpread(plain, frame, opts.maxKeypoints);
    }
    const enhanced = steps.enhance(mat, d.contrast === 'equalize' ? { kind: 'equalize' } : { kind: 'clahe', clip: d.claheClip, tiles: d.claheTiles });
    return gridSpread(steps.detect(enhanced, nfeatures, d.levels), frame, opts.maxKeypoints);
  } catch (err) {
    throw opencvError('extracting ORB features', err);
  } finally {
    steps.close();
  }
}

const candidateCount = (raw: RawOrb): number => raw.keypoints.length / RAW_KEYPOINT_FIELDS;

/** The grid-spread selection of `maxKeypoints` out of the detected candidates, as compact arrays. */
function gridSpread(raw: RawOrb, frame: { width: number; height: number }, maxKeypoints: number): OrbFeatures {
  const n = candidateCount(raw);
  const candidates = new Array<{ x: number; y: number; response: number }>(n);
  for (let i = 0; i < n; i++) {
    const o = i * RAW_KEYPOINT_FIELDS;
    candidates[i] = { x: raw.keypoints[o + RAW_X]!, y: raw.keypoints[o + RAW_Y]!, response: raw.keypoints[o + RAW_RESPONSE]! };
  }
  const kept = selectGridSpread(candidates, frame.width, frame.height, maxKeypoints);

  const xy = new Uint16Array(kept.length * 2);
  const desc = new Uint8Array(kept.length * ORB_DESCRIPTOR_BYTES);
  kept.forEach((i, j) => {
    const c = candidates[i]!;
    xy[2 * j] = Math.min(frame.width - 1, Math.max(0, Math.round(c.x)));
    xy[2 * j + 1] = Math.min(frame.height - 1, Math.max(0, Math.round(c.y)));
    desc.set(raw.descriptors.subarray(i * ORB_DESCRIPTOR_BYTES, (i + 1) * ORB_DESCRIPTOR_BYTES), j * ORB_DESCRIPTOR_BYTES);
  });
  return { width: frame.width, height: frame.height, keypoints: xy, descriptors: desc };
}
