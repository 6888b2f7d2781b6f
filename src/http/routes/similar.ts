/**
 * Near-duplicate search over cached perceptual hashes:
 * - POST /analysis/similar — by image_id, by hash, or by an uploaded image
 *   (extracted first; stored under image_id when one is given);
 * - POST /analysis/compare — every pair within a radius inside a set of images.
 * Both look at the extracted records by default (`source: "stored"` for
 * user-stored ones). They use only cache.searchSimilar / cache.compareSet.
 */
import type { Context } from 'hono';
import { ApiError, HttpErrorCodes } from '../errors.js';
import type { ImageService, Source } from '../images.js';
import { imageResponses, type ImageSchemas } from '../image-schemas.js';
import { featuresOut, send, wantsMsgpack } from '../negotiate.js';
import { defineRoute, errorDoc, type AnyRoute, type RouteDeps } from '../route.js';
import type { Features, SimilarQuery, SimilarResult } from '../../types.js';

interface SimilarRequest {
  query: SimilarQuery;
  source: Source;
  maxDistance: number;
  limit: number;
  withFeatures: boolean;
  includeSelf: boolean;
  orientations: 'identity' | 'all';
}

interface UploadInfo {
  image_id: string | null;
  stored: boolean;
  cached: boolean;
}

async function runSimilar(c: Context, images: ImageService, r: SimilarRequest, uploaded?: UploadInfo): Promise<Response> {
  const cache = images.searchable(r.source);
  const result: SimilarResult = await cache.searchSimilar(r.query, {
    maxDistance: r.maxDistance,
    limit: r.limit,
    withFeatures: r.withFeatures,
    includeSelf: r.includeSelf,
    orientations: r.orientations,
  });
  const mp = wantsMsgpack(c);
  const body: Record<string, unknown> = {
    success: true,
    source: r.source,
    field: result.field,
    hash: result.hash,
    max_distance: result.maxDistance,
    neighbors: result.neighbors.map((n) => {
      const out: Record<string, unknown> = { image_id: n.imageId, distance: n.distance, hash: n.hash };
      if (n.orientation !== undefined) out.orientation = n.orientation;
      if (n.features !== undefined) out.features = featuresOut(n.features, mp);
      return out;
    }),
    has_more: result.has_more,
    truncated: result.truncated,
    capped_buckets: result.capped_buckets,
    probes: result.probes,
    candidates: result.candidates,
  };
  if (result.orientations !== undefined) body.orientations = result.orientations;
  if (uploaded) body.uploaded = uploaded;
  return send(c, mp, body);
}

/** The hash of `field` in freshly extracted features (the default extractors write phash and dhash). */
function hashOf(features: Features, field: string): string {
  const h = features[field];
  if (typeof h !== 'string') throw new ApiError(400, HttpErrorCodes.INVALID_REQUEST, `the extracted features have no ${field} hash`);
  return h;
}

/** The query of freshly extracted features: their `field` hash, or with orientations 'all' their dihedral pHashes. */
function queryOf(features: Features, field: string, orientations: 'identity' | 'all'): SimilarQuery {
  if (orientations === 'identity') return { hash: hashOf(features, field), field };
  const d = features.phash_dihedral;
  if (!Array.isArray(d)) throw new ApiError(400, HttpErrorCodes.INVALID_REQUEST, "orientations 'all' needs phash_dihedral, which the extracted features do not have");
  return { phash_dihedral: d as string[] };
}

export function similarRoutes({ images }: RouteDeps, schemas: ImageSchemas): AnyRoute[] {
  if (!images) return [];

  const similar = defineRoute({
    method: 'post',
    path: '/analysis/similar',
    access: 'read',
    tag: 'similarity',
    summary: 'Cached images within a Hamming distance of a hash, a cached image, or an uploaded image',
    description:
      'Exact multi-index-hashing search (docs/SEARCH.md), nearest first. JSON/msgpack body: exactly one of image_id, phash, dhash, ' +
      '{hash, field}. Or upload an image (multipart or raw image/*; parameters as form fields or in the query string): it is ' +
      'extracted first and searched by its phash (or `field`); with image_id it is also cached (then the write scope is needed), without it nothing is stored. ' +
      "orientations 'all' also finds 90/180/270° rotations and mirror images (image_id or upload queries; each neighbour then has `orientation`).",
    body: schemas.similarBody,
    async handle(c, { body }) {
      let query: SimilarQuery;
      if (body.image_id !== undefined) query = body.field ? { imageId: body.image_id, field: body.field } : { imageId: body.image_id };
      else if (body.hash !== undefined) query = { hash: body.hash, field: body.field ?? 'phash' };
      else if (body.phash !== undefined) query = { phash: body.phash };
      else query = { dhash: body.dhash! };
      return runSimilar(c, images, {
        query,
        source: body.source,
        maxDistance: body.max_distance,
        limit: body.limit,
        withFeatures: body.with_features,
        includeSelf: body.include_self,
        orientations: body.orientations,
      });
    },
    upload: {
      description:
        'An image to search by: multipart/form-data (file field `image`, the other parameters as text fields) or the raw image with Content-Type image/* (parameters in the query string).',
      fields: schemas.similarUpload,
      access: (f) => (f.image_id !== undefined ? 'write' : 'read'),
      async handle(c, { fields: f, image }) {
        const field = f.field ?? 'phash';
        const source = f.source ?? 'extracted';
        images.searchable(source); // refuse before extracting when there is no index
        const common = {
          source,
          maxDistance: f.max_distance ?? schemas.defaultDistance,
          limit: f.limit ?? schemas.defaultLimit,
          withFeatures: f.with_features ?? false,
          includeSelf: f.include_self ?? false,
          orientations: f.orientations ?? 'identity',
        };
        if (f.image_id === undefined) {
          const features = await images.extractOnly(image);
          return runSimilar(c, images, { ...common, query: queryOf(features, field, common.orientations) }, { image_id: null, stored: false, cached: false });
        }
        const { record, computed } = await images.extractAndCache(f.image_id, image);
        const uploaded = { image_id: f.image_id, stored: true, cached: !computed };
        // over the extracted records the stored image is in the index: query by ID, so it excludes itself
        const query: SimilarQuery = source === 'extracted' ? { imageId: f.image_id, field } : queryOf(record.features, field, common.orientations);
        return runSimilar(c, images, { ...common, query }, uploaded);
      },
    },
    responses: {
      200: { description: 'Neighbours, nearest first', schema: imageResponses.similar },
      400: errorDoc('Invalid query (malformed hash, max_distance above the index maximum, unindexed field), or SIMILARITY_NOT_ENABLED'),
      404: errorDoc('NOT_FOUND: image_id has no cached record under this source'),
      413: errorDoc('IMAGE_TOO_LARGE'),
      415: errorDoc('UNSUPPORTED_MEDIA_TYPE or UNSUPPORTED_IMAGE_FORMAT'),
    },
  });

  const compare = defineRoute({
    method: 'post',
    path: '/analysis/compare',
    access: 'read',
    tag: 'similarity',
    summary: 'Every pair within a Hamming distance inside a set of cached images',
    description: 'One batch lookup and popcount in process; needs no index. Duplicate IDs are compared once.',
    body: schemas.compareBody,
    async handle(c, { body }) {
      const cache = images.cacheOf(body.source);
      const r = await cache.compareSet(body.image_ids, { maxDistance: body.max_distance, field: body.field, maxIds: Math.max(2, body.image_ids.length) });
      return send(c, wantsMsgpack(c), {
        success: true,
        source: body.source,
        field: r.field,
        max_distance: r.maxDistance,
        pairs: r.pairs.map((p) => ({ a: p.a, b: p.b, distance: p.distance })),
        missing: r.missing,
        without_hash: r.without_hash,
        compared: r.compared,
      });
    },
    responses: {
      200: { description: 'Pairs within max_distance', schema: imageResponses.compare },
      413: errorDoc('BATCH_TOO_LARGE: more image_ids than FEATCACHE_MAX_BATCH'),
    },
  });

  return [similar, compare];
}
