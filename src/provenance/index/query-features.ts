/**
 * The features of a query image that searchProvenance reads: what verification
 * reads from a record (orb, the hashes, the content hash, the size) and the
 * ORB of its mirror image (the mirrored vote and the verification's mirror pass).
 */
import { extractFeatures, extractOrb } from '../../features/index.js';
import type { OrbFeatures } from '../../features/orb.js';
import type { Features } from '../../types.js';

export const QUERY_EXTRACTORS = ['orb', 'phash', 'phash_dihedral', 'content_hash', 'meta'] as const;

export async function extractQueryFeatures(image: Buffer): Promise<{ features: Features; mirrored: OrbFeatures }> {
  const [features, mirrored] = await Promise.all([extractFeatures(image, { extractors: [...QUERY_EXTRACTORS] }), extractOrb(image, { mirror: true })]);
  return { features: features, mirrored };
}
