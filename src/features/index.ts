/** Image feature extraction: colour, imagehash-compatible hashes, histogram, ORB keypoints, content hash. */
export { extractFeatures, extractOrb } from './extract.js';
export type { ExtractedFeatures, ExtractOrbOptions, SelectedFeatures } from './extract.js';
export { DEFAULT_ORB_KEYPOINTS, MAX_ORB_KEYPOINTS, ORB_MAX_SIDE } from './orb.js';
export type { OrbFeatures } from './orb.js';
export { orbBackendInfo } from './orb-backend-choice.js';
export type { OrbBackendInfo } from './orb-backend-choice.js';
export type { ExtractOptions } from './options.js';
export { DEFAULT_ALLOWED_FORMATS, DEFAULT_HISTOGRAM_BINS, DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS } from './options.js';
export { DEFAULT_EXTRACTORS, EXTRACTORS, extractionFeatureVersion, extractorVersion } from './extractors.js';
export type { ExtractorInfo, ExtractorName } from './extractors.js';
export { hammingDistance } from './hamming.js';
export { DIHEDRAL_ORIENTATIONS } from './dihedral.js';
export type { DihedralOrientation } from './dihedral.js';
export { THUMB_LONG_SIDE, THUMB_SMALL_LONG_SIDE, LOW_TEXTURE_KEYPOINTS } from './thumb.js';
export type { ThumbFeatures } from './thumb.js';
