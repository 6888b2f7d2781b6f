/**
 * Every threshold of verification, written once. How each was chosen (and
 * measured) is in docs/PROVENANCE.md.
 */
import { LOW_TEXTURE_KEYPOINTS } from '../features/thumb.js';

/** Lowe's ratio test. */
export const RATIO = 0.75;
/** Reprojection error of an inlier, analysed-frame px of B. */
export const RANSAC_THRESHOLD_PX = 5;
/** RANSAC samples at most (the adaptive count is usually far lower). */
export const RANSAC_MAX_ITERATIONS = 2000;
/** Fewest inliers that prove shared content. */
export const MIN_INLIERS = 15;
/** Largest pHash distance (of 64 bits) read as the same whole picture. */
export const MAX_HASH_DISTANCE = 9;
/** An image with fewer keypoints has too little texture for a negative answer (and is compared by appearance). */
export const MIN_TEXTURE_KEYPOINTS = LOW_TEXTURE_KEYPOINTS;
/** Each frame covers at least this fraction of the other: the whole picture. */
export const WHOLE_FRAME = 0.85;
/** The inliers' hull must fill this fraction of the overlapping area, else only a region is shared. */
export const MIN_SUPPORT = 0.5;
/** A rotation within this many degrees of a multiple of 90° is that multiple. */
export const AXIS_TOLERANCE_DEG = 3;
/** Unmatched cells: grid size, and the inliers a cell must be expected to hold to count when it holds none. */
export const CELL_GRID = 4;
export const CELL_MIN_EXPECTED_INLIERS = 4;
/** Unmatched cells are looked for only between this scale and its inverse (keypoints differ across scales). */
export const CELL_MAX_SCALE_CHANGE = 1.25;
/** Beyond these, the homography is not a similarity: it could be another viewpoint. */
export const SIMILARITY_MAX_ANISOTROPY = 1.15;
export const SIMILARITY_MAX_PERSPECTIVE = 1.1;
/*
 * misses: the crop model (src/provenance/crop-model.ts), tried when the homography
 * has fewer than MIN_INLIERS inliers; it must reach MIN_INLIERS too. Over the bench's
 * 33,440 ordered unrelated pairs the most crop-model inliers was 10 (LadyBird crop50,
 * which the homography missed with 12: 16). docs/PROVENANCE.md, "misses".
 */
/** Two matches closer than this (A px) do not define a scale. */
export const CROP_MODEL_MIN_SPAN_PX = 16;
/** A pair of matches whose directions in A and B differ by more than this is a rotation, not a crop. */
export const CROP_MODEL_MAX_ANGLE_DEG = 3;
/** Scales searched: this to its inverse (RANSAC's sanity bound). */
export const CROP_MODEL_MIN_SCALE = 1 / 8;
/** Matches tried as sample pairs (the first, in A's keypoint order: the count is quadratic). */
export const CROP_MODEL_MAX_SAMPLED = 200;
/** One frame must lie inside the other within this fraction of its sides. */
export const CROP_MODEL_FRAME_TOLERANCE = 0.03;
/** RANSAC's seed: the same features always give the same verdict. */
export const RANSAC_SEED = 0x5eed;

/*
 * Low texture: appearance (src/provenance/appearance.ts). Distances are |ΔY| +
 * weight x (|ΔCb| + |ΔCr|) in 8-bit levels between the `thumb` thumbnails.
 */
/** Weight of each chroma channel's difference beside luma's: smooth wallpapers look alike in luma. */
export const APPEARANCE_CHROMA_WEIGHT = 2;
/** The trimmed scores keep this best-fitting fraction of the pixels (JPEG, resampling, a rotation's edge). */
export const APPEARANCE_KEEP = 0.9;
/** The overlay score keeps this fraction: a pasted patch (16% of the frame in the bench) is ignored. */
export const APPEARANCE_OVERLAY_KEEP = 0.7;
/** Template sizes searched: its longer side over the other's (crop 70% of the area: 0.84, 50%: 0.71; 10° rotation ~0.9). */
export const APPEARANCE_SCALES: readonly number[] = Object.freeze([1, 0.96, 0.92, 0.88, 0.84, 0.8, 0.76, 0.72, 0.68, 0.64]);
/** Rotations searched, clockwise degrees (refined by ±3°). */
export const APPEARANCE_ROTATIONS_DEG: readonly number[] = Object.freeze([0, 10, -10]);
/** The coarse pass and the refinement read every this-many-th template pixel in each direction. */
export const APPEARANCE_COARSE_STRIDE = 3;
/** Coarse position step, px of the searched thumbnail. */
export const APPEARANCE_COARSE_STEP_PX = 2;
/** A template may overhang the searched frame by this many px (thumbnail rounding, a rotation's corners). */
export const APPEARANCE_OVERHANG_PX = 1.5;
/** Fewest template pixels inside the searched frame. */
export const APPEARANCE_MIN_COVERAGE = 0.95;
/** Coarse placements refined. */
export const APPEARANCE_REFINE_CANDIDATES = 2;
/** Aspect-ratio tolerance (beyond the thumbnails' rounding) of two frames laid over each other. */
export const APPEARANCE_SHAPE_TOLERANCE = 0.02;
/** Rotations are searched only with the template this large (a rotated whole image: ~0.9). */
export const APPEARANCE_MIN_ROTATED_SCALE = 0.84;
/**
 * Largest scores read as a match, absolute and relative to the template's own
 * spread (a flat template proves nothing), measured on the bench: docs/PROVENANCE.md.
 */
export const APPEARANCE_MAX_CONTAINED = 8;
export const APPEARANCE_MAX_CONTAINED_RELATIVE = 0.25;
export const APPEARANCE_MAX_OVERLAY = 7;
export const APPEARANCE_MAX_OVERLAY_RELATIVE = 0.2;
export const APPEARANCE_MAX_SPLICE = 12;
export const APPEARANCE_MAX_SPLICE_RELATIVE = 0.35;
/*
 * verify13: the same-frame scores (overlay, splice) with the thresholds above also
 * judge two TEXTURED images on which geometry finds fewer than MIN_INLIERS inliers
 * (verify.ts; 12 px thumbnails). Measured over the bench's 16,720 unrelated pairs
 * (11,386 same-shape pairs among all 190 images, every verdict): no unrelated pair
 * passes either test; the nearest unrelated splice score with structure is relative
 * 0.57 (score 27), overlay relative 0.46 (score 35). The textured pairs it gains:
 * Aqua splice 4.4 / 0.064, Blinds splice 3.2 / 0.12, Blinds overlay (as its right
 * half) 6.4 / 0.26. docs/PROVENANCE.md, "Same frame, textured images".
 */
/** A template whose spread is below this (8-bit levels) is flat: no appearance evidence. */
export const APPEARANCE_MIN_SPREAD = 3;
