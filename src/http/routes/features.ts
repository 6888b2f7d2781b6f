/**
 * POST /analysis/features: extract an uploaded image's features in the worker
 * pool, through the extraction view's getOrCompute (a second call for the same
 * image_id is a cache hit, and concurrent calls extract once).
 *
 * Body: `multipart/form-data` with a file field `image` and a field `image_id`,
 * or the raw bytes with `Content-Type: image/*` and `?image_id=`.
 * Limits: FEATCACHE_MAX_IMAGE_BYTES from Content-Length before reading and again
 * while reading (413 IMAGE_TOO_LARGE); formats (415 UNSUPPORTED_IMAGE_FORMAT)
 * and pixels (413 IMAGE_TOO_LARGE) by the extractor; undecodable bytes are
 * 400 INVALID_IMAGE; a full extraction queue is 503 COMPUTE_FAILED with Retry-After.
 */
import type { ImageSchemas } from '../image-schemas.js';
import { imageResponses } from '../image-schemas.js';
import { recordOut, send, wantsMsgpack } from '../negotiate.js';
import { defineRoute, errorDoc, type AnyRoute, type RouteDeps } from '../route.js';

export const FEATURES_PATH = '/analysis/features';

export function featuresRoutes({ images }: RouteDeps, schemas: ImageSchemas): AnyRoute[] {
  if (!images) return [];
  const features = defineRoute({
    method: 'post',
    path: FEATURES_PATH,
    access: 'write',
    tag: 'images',
    summary: "Extract and cache an uploaded image's features",
    description:
      'Every extractor of docs/FEATURES.md (colour, aHash/dHash/pHash/wHash/colorhash, dihedral pHash, histogram, metadata, ORB keypoints, content hash), cached under the extraction version ' +
      '(`<FEATCACHE_FEATURE_VERSION>+avg_color.1+...`). A second upload under the same image_id is answered from the cache (`cached: true`).',
    upload: {
      description: 'The image: multipart/form-data (file field `image`, text field `image_id`) or the raw bytes with Content-Type image/* and `?image_id=`.',
      fields: schemas.featuresUpload,
      async handle(c, { fields, image }) {
        const { record, computed } = await images.extractAndCache(fields.image_id, image);
        const mp = wantsMsgpack(c);
        const out = recordOut(record, mp);
        return send(c, mp, { success: true, image_id: out.image_id, version: out.version, cached: !computed, features: out.features });
      },
    },
    responses: {
      200: { description: 'The features (cached: false when extracted now)', schema: imageResponses.features },
      413: errorDoc('IMAGE_TOO_LARGE: over FEATCACHE_MAX_IMAGE_BYTES or FEATCACHE_MAX_IMAGE_PIXELS'),
      415: errorDoc('UNSUPPORTED_MEDIA_TYPE (not multipart or image/*) or UNSUPPORTED_IMAGE_FORMAT'),
      503: errorDoc('COMPUTE_FAILED: the extraction queue is full (Retry-After), or Redis unavailable'),
    },
  });
  return [features];
}
