/**
 * Every threshold of verification, written once. How each was chosen (and
 * measured) is in docs/PROVENANCE.md.
 */

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
/** An image with fewer keypoints has too little texture for a negative answer. */
export const MIN_TEXTURE_KEYPOINTS = 60;
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
/** RANSAC's seed: the same features always give the same verdict. */
export const RANSAC_SEED = 0x5eed;
