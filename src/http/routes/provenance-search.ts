/**
 * POST /analysis/provenance — where does this image come from? A cached image
 * (`{ image_id }`, JSON/msgpack) or an upload (multipart file field `image`, or
 * the raw image): candidates from the provenance index, verified, then the
 * donors of a composite (cache.searchProvenance on the extracted records;
 * FEATCACHE_PROVENANCE_INDEX). docs/PROVENANCE.md, "Provenance II".
 */
import { performance } from 'node:perf_hooks';
import type { Context } from 'hono';
import type { ProvenanceSearchOptions, ProvenanceSearchResult } from '../../types.js';
import { ApiError, HttpErrorCodes } from '../errors.js';
import { send, wantsMsgpack } from '../negotiate.js';
import { buildProvenanceSearchSchemas, provenanceSearchResponse } from '../provenance-search-schemas.js';
import { defineRoute, errorDoc, type AnyRoute, type RouteDeps } from '../route.js';

function answer(c: Context, r: ProvenanceSearchResult, imageId: string | null): Response {
  return send(c, wantsMsgpack(c), {
    success: true,
    image_id: imageId,
    candidates: r.candidates.map((x) => ({
      image_id: x.imageId,
      votes: x.votes,
      tier: x.tier,
      ...(x.verdict === undefined ? {} : { verdict: x.verdict, inliers: x.inliers, reasons: x.reasons }),
    })),
    timings_ms: r.timings_ms,
  });
}

function optionsOf(f: { limit?: number | undefined; verify?: number | false | undefined; donors?: boolean | undefined; texture_poor?: boolean | undefined }): ProvenanceSearchOptions {
  return {
    ...(f.limit === undefined ? {} : { limit: f.limit }),
    ...(f.verify === undefined ? {} : { verify: f.verify }),
    ...(f.donors === undefined ? {} : { donors: f.donors }),
    ...(f.texture_poor === undefined ? {} : { texturePoor: f.texture_poor }),
  };
}

export function provenanceSearchRoutes({ images, schemas: base, config }: RouteDeps): AnyRoute[] {
  if (!images) return [];
  const schemas = buildProvenanceSearchSchemas(base, { maxLimit: config.images.searchMaxLimit });
  const enabled = () => {
    if (!config.images.provenanceIndex) {
      throw new ApiError(400, HttpErrorCodes.PROVENANCE_NOT_ENABLED, 'The provenance index is off (FEATCACHE_PROVENANCE_INDEX=false)');
    }
  };

  const search = defineRoute({
    method: 'post',
    path: '/analysis/provenance',
    access: 'read',
    tag: 'provenance',
    summary: 'Where does this image come from? Its sources among the cached images (provenance index, verification, donors of composites)',
    description:
      'JSON/msgpack body {image_id}: a cached image (extracted record). Or upload the image (multipart file field image, or the raw image with ' +
      'Content-Type image/* and the parameters in the query string); nothing is stored. Needs FEATCACHE_PROVENANCE_INDEX. docs/PROVENANCE.md.',
    body: schemas.body,
    async handle(c, { body }) {
      enabled();
      const r = await images.extracted.searchProvenance({ imageId: body.image_id }, optionsOf(body));
      return answer(c, r, body.image_id);
    },
    upload: {
      description: 'An image to trace: multipart/form-data (file field `image`, parameters as text fields) or the raw image with Content-Type image/* (parameters in the query string).',
      fields: schemas.upload,
      async handle(c, { fields, image }) {
        enabled();
        // features and the mirror image's ORB (for the mirrored vote) in the worker pool: ORB never runs on the event loop
        const start = performance.now();
        const [features, mirrored, thumb] = await Promise.all([images.extractOnly(image), images.mirroredOrb(image), images.queryThumb(image)]);
        const extract = Math.round((performance.now() - start) * 100) / 100;
        const r = await images.extracted.searchProvenance({ features: thumb ? { ...features, thumb } : features, mirrored: mirrored ?? null }, optionsOf(fields));
        return answer(c, { ...r, timings_ms: { ...r.timings_ms, extract, total: Math.round((r.timings_ms.total + extract) * 100) / 100 } }, null);
      },
    },
    responses: {
      200: { description: 'The candidates, best first, with votes, tier and (when verified) verdict, inliers and reasons', schema: provenanceSearchResponse },
      400: errorDoc('PROVENANCE_NOT_ENABLED, or the image has neither ORB keypoints nor a thumbnail (INVALID_ARGUMENT), or a bad parameter'),
      404: errorDoc('NOT_FOUND: image_id has no extracted record'),
      413: errorDoc('IMAGE_TOO_LARGE'),
      415: errorDoc('UNSUPPORTED_IMAGE_FORMAT'),
    },
  });

  return [search];
}
