/**
 * Reading the `orb` feature type out of a record, checked: a record may come
 * from any writer, so a malformed value is an INVALID_FEATURES error, never a
 * crash or an out-of-bounds read.
 */
import { featureFields, invalidFeature as invalid } from './feature-input.js';
import { ORB_DESCRIPTOR_BYTES, type OrbFeatures } from '../features/orb.js';

export type { OrbFeatures };

/** The `orb` value of a record checked for shape, or null when absent. */
export function readOrb(value: unknown, what = 'orb'): OrbFeatures | null {
  const fields = featureFields(value, what);
  if (fields === null) return null;
  const { width, height, keypoints, descriptors } = fields;
  if (!Number.isInteger(width) || !Number.isInteger(height) || (width as number) < 1 || (height as number) < 1) {
    throw invalid(what, 'width and height must be positive integers');
  }
  if (!(keypoints instanceof Uint16Array)) throw invalid(what, 'keypoints must be a Uint16Array');
  if (!(descriptors instanceof Uint8Array)) throw invalid(what, 'descriptors must be a Uint8Array');
  const n = keypoints.length / 2;
  if (!Number.isInteger(n) || descriptors.length !== n * ORB_DESCRIPTOR_BYTES) {
    throw invalid(what, `needs 2 coordinates and ${ORB_DESCRIPTOR_BYTES} descriptor bytes per keypoint`);
  }
  return { width: width as number, height: height as number, keypoints, descriptors };
}
