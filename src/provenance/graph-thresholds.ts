/**
 * Every threshold and weight of the provenance graph, written once. How each
 * was chosen is in docs/PROVENANCE.md ("The provenance graph").
 */

/** Skeleton weight of an edge resting on a whole-image hash only (no inliers): below any geometric edge. */
export const HASH_EDGE_WEIGHT = 1;
/** Skeleton weight of an identical file: above any geometric edge. */
export const IDENTICAL_EDGE_WEIGHT = 1e9;

/** ORB finds no keypoints this close to a frame's border: the strip is left out of the area where content is expected. */
export const KEYPOINT_BORDER_PX = 24;
/** A keypoint this far outside the other image's frame counts as content beyond it (nearer ones are ignored). */
export const OUTSIDE_MARGIN_PX = 8;
/** Below this fraction of a frame outside the other's frame, the image lies inside the other. */
export const INSIDE_FRACTION = 0.05;
/** Content beyond the other's frame: at least this many keypoints out there... */
export const MIN_CONTENT_KEYPOINTS = 8;
/** ...and at least this fraction of what the keypoint density inside predicts. */
export const CONTENT_FRACTION_OF_EXPECTED = 0.25;
/** Blank beyond the other's frame: the density inside predicts at least this many keypoints... */
export const BLANK_MIN_EXPECTED = 12;
/** ...and at most this fraction of them is there. */
export const BLANK_FRACTION_OF_EXPECTED = 0.1;

/** A scale (B px per A px) at or below this makes B a reduced copy of A (at or above its inverse, the other way). */
export const DOWNSCALE = 0.8;

/** Weights of the direction evidence (0..1); an edge is directed when the signed sum reaches MIN_DIRECTION. */
export const WEIGHT = Object.freeze({
  composite: 0.8,
  /** a crop: one frame inside the other and content beyond it */
  containedWithContent: 0.7,
  /** one frame inside the other, but what lies beyond it has too little texture to show content */
  contained: 0.5,
  /** blank corners around the other image: the padding of a free rotation */
  padding: 0.6,
  downscale: 0.4,
});
export const MIN_DIRECTION = 0.25;
/** The most a direction's confidence reaches. */
export const MAX_DIRECTION_CONFIDENCE = 0.95;

/** Composites: at most this fraction of one contributor's inliers may fall inside the other's inlier hull. */
export const COMPOSITE_MAX_SHARED_INLIERS = 0.1;
/** Composites: at least this fraction of the composite's keypoints lies inside one of its two parts' inlier hulls. */
export const COMPOSITE_MIN_EXPLAINED = 0.7;

/** Link confidence: 0.5 at minInliers, 1 at this many times minInliers. */
export const LINK_FULL_AT_MIN_INLIERS_TIMES = 4;
/** Link confidence of an edge resting on a whole-image hash only. */
export const HASH_LINK_CONFIDENCE = 0.5;
