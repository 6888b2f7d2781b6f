/**
 * The texture-poor tier of searchProvenance (docs/PROVENANCE.md, "Provenance II:
 * the texture-poor tier"): sources whose ORB descriptors cannot find them
 * (smooth gradients, blurred wallpapers: few or no keypoints) are proposed from
 * the texture-poor registry (texture-registry.ts) by their signature
 * (texture-signature.ts) and verified by appearance (verifyDetailed: the
 * template search of the thumbnails, or the same-frame scores).
 *
 * - A texture-poor query (fewer than MIN_TEXTURE_KEYPOINTS keypoints, or none)
 *   is compared with every registered image, any region with any region (a crop
 *   or a rotation of the source, or the source inside the query);
 * - a textured query only with the texture-poor images of its frame shape, region
 *   with the same region: an overlay of a smooth host, the smooth half of a splice
 *   (the query's keypoints all lie on the other half or in the patch).
 *
 * The TEXTURE_TIER_VERIFY nearest by signature are verified (their records in
 * one batch read); the related ones are returned.
 */
import { ErrorCodes, FeatureCacheError } from '../../errors.js';
import type { FeatureRecord, Features } from '../../types.js';
import type { OrbFeatures } from '../orb-input.js';
import { APPEARANCE_SHAPE_TOLERANCE, MIN_TEXTURE_KEYPOINTS } from '../thresholds.js';
import type { ThumbFeatures } from '../thumb-input.js';
import { verifyDetailed, type Verification } from '../verify.js';
import type { RegisteredImage, TextureRegistry } from './texture-registry.js';
import { sameAspect, signatureDistance, textureSignature } from './texture-signature.js';

/**
 * Registered images verified per query, nearest by signature first. Measured
 * (docs/PROVENANCE.md): among 19 photos, their hosts and 2,000 smooth
 * distractors, every found source of a texture-poor query ranked within the
 * first 8 by signature.
 */
export const TEXTURE_TIER_VERIFY = 8;

/**
 * A textured query (same-frame comparison, region with the same region) only
 * verifies registered images at most this signature distance away. Measured at
 * 20,000 images (docs/PROVENANCE.md, "recall"): the smooth sources of textured
 * queries (the smooth half of a splice, the smooth host of an overlay) were at
 * 0-0.3, 0.3-1.7 re-encoded at JPEG q50 and up to 3.3 at q25 (Storm's overlay);
 * the nearest of the 2,000 smooth distractors at 5.3-10, so the 8 verifications
 * were spent on them.
 */
export const SAME_FRAME_MAX_DISTANCE = 6;

export interface TextureQuery {
  features: Features;
  thumb: ThumbFeatures;
  /** ORB keypoints of the query (0 without `orb`). */
  keypoints: number;
  mirrored: OrbFeatures | null;
}

export interface TextureFound {
  imageId: string;
  verdict: Verification['result']['verdict'];
  inliers: number;
  reasons: string[];
}

export interface TextureTierDeps {
  registry: TextureRegistry;
  peekMany(ids: string[]): Promise<Array<FeatureRecord | null>>;
}

/** The registered images the query may come from, nearest by signature first (the tier verifies the first few). */
export function rankRegistered(q: Pick<TextureQuery, 'thumb' | 'keypoints'>, registered: readonly RegisteredImage[], skip: ReadonlySet<string>): Array<{ imageId: string; distance: number }> {
  const poor = q.keypoints < MIN_TEXTURE_KEYPOINTS;
  const mine = textureSignature(q.thumb, q.keypoints, poor);
  return registered
    .filter((r) => !skip.has(r.imageId) && (poor || (r.signature.poor && sameAspect(mine, r.signature, APPEARANCE_SHAPE_TOLERANCE))))
    .map((r) => ({ imageId: r.imageId, distance: signatureDistance(mine, r.signature, poor) }))
    .sort((a, b) => a.distance - b.distance || (a.imageId < b.imageId ? -1 : 1));
}

/** Yields to the event loop between verifications (a template search holds it for ~2-30 ms). */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The related images of the registry, verified by appearance; `skip`: IDs left
 * out (the query itself, candidates already verified); `sameFrameMaxDistance`:
 * for a textured query, the farthest signature verified (null: the nearest
 * `verify` whatever their distance, the A/B baseline).
 */
export async function searchTexturePoor(
  deps: TextureTierDeps,
  q: TextureQuery,
  skip: ReadonlySet<string>,
  verify = TEXTURE_TIER_VERIFY,
  sameFrameMaxDistance: number | null = SAME_FRAME_MAX_DISTANCE,
): Promise<TextureFound[]> {
  if (verify <= 0) return [];
  const sameFrame = q.keypoints >= MIN_TEXTURE_KEYPOINTS;
  const near = (p: { distance: number }) => !sameFrame || sameFrameMaxDistance === null || p.distance <= sameFrameMaxDistance;
  const proposed = rankRegistered(q, await deps.registry.readAll(), skip).filter(near).slice(0, verify);
  if (proposed.length === 0) return [];
  const records = await deps.peekMany(proposed.map((p) => p.imageId));
  const out: TextureFound[] = [];
  for (const [k, p] of proposed.entries()) {
    const r = records[k];
    if (!r) continue; // removed since the read
    let v: Verification;
    try {
      v = verifyDetailed(r.features, q.features, q.mirrored ? { mirroredB: q.mirrored } : {});
    } catch (err) {
      if (err instanceof FeatureCacheError && err.code === ErrorCodes.INVALID_FEATURES) continue;
      throw err;
    }
    if (v.result.verdict !== 'unrelated') out.push({ imageId: p.imageId, verdict: v.result.verdict, inliers: v.result.inliers, reasons: v.result.reasons });
    await breathe();
  }
  return out;
}
