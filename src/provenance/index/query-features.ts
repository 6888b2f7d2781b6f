/**
 * The features of a query image that searchProvenance reads: what verification
 * reads from a record (orb, the hashes, the content hash, the size), the ORB of
 * its mirror image (the mirrored vote and the verification's mirror pass), and
 * the full 32 px `thumb` whatever its keypoints (the texture-poor tier and
 * appearance verification: a query is not stored, so the record's byte budget
 * that gives a keypoint-filled record the 12 px one does not apply; a splice's
 * smooth half is matched at 32 px, where 12 px blurred it past the threshold).
 */
import { extractFeatures, extractOrb } from '../../features/index.js';
import type { OrbFeatures } from '../../features/orb.js';
import type { Features } from '../../types.js';

export const QUERY_EXTRACTORS = ['orb', 'phash', 'phash_dihedral', 'content_hash', 'meta', 'thumb'] as const;

export async function extractQueryFeatures(image: Buffer): Promise<{ features: Features; mirrored: OrbFeatures }> {
  const [features, mirrored, full] = await Promise.all([
    extractFeatures(image, { extractors: QUERY_EXTRACTORS.filter((n) => n !== 'thumb') }),
    extractOrb(image, { mirror: true }),
    // `thumb` alone (without `orb`) is the full thumbnail (thumbLongSide)
    extractFeatures(image, { extractors: ['thumb'] }),
  ]);
  return { features: { ...features, thumb: full.thumb }, mirrored };
}
