/** One image: GET, PUT, DELETE /analysis/cache/image/{image_id}. */
import { ApiError, HttpErrorCodes } from '../errors.js';
import { recordOut, send, wantsMsgpack } from '../negotiate.js';
import { defineRoute, errorDoc, type AnyRoute, type RouteDeps } from '../route.js';
import { responses } from '../schemas.js';
import { getFrom, sourcesOf as sourceList } from '../../sources.js';
import type { SetOptions } from '../../types.js';
import { sourcesOf } from '../read-sources.js';

const PATH = '/analysis/cache/image/{image_id}';
const NOT_CACHED = 'No cached features for this image ID';

export function imageRoutes(deps: RouteDeps): AnyRoute[] {
  const { cache, metrics, schemas } = deps;
  const get = defineRoute({
    method: 'get',
    path: PATH,
    access: 'read',
    tag: 'images',
    summary: "Get one image's cached features",
    description:
      '`source` picks the records read: `stored` (PUT, batch-set), `extracted` (POST /analysis/features, `featcache ingest`) ' +
      'or `any` (default): stored first, then extracted. The answer names the `source` it came from.',
    params: schemas.imageParams,
    query: schemas.getImageQuery,
    responses: {
      200: { description: 'The record', schema: responses.record },
      400: errorDoc('INVALID_ARGUMENT: source=extracted on a service without extraction'),
      404: errorDoc('Not cached (code NOT_FOUND)'),
    },
    async handle(c, { params, query }) {
      const record = await getFrom(sourcesOf(deps, query.source), params.image_id, query.source, query.types ? { types: query.types } : undefined);
      if (record === null) {
        metrics.cacheReads(0, 1, 'stored');
        throw new ApiError(404, HttpErrorCodes.NOT_FOUND, NOT_CACHED);
      }
      metrics.cacheReads(1, 0, 'stored');
      const mp = wantsMsgpack(c);
      const out = recordOut(record, mp);
      return send(c, mp, { success: true, ...out });
    },
  });

  const meta = defineRoute({
    method: 'get',
    path: `${PATH}/meta`,
    access: 'read',
    tag: 'images',
    summary: "What Redis holds for one image: TTL left, size, groups",
    description:
      'FeatureCache.inspect() on the first `source` that has the record (as GET image). Groups have no reverse index: ' +
      'they are found by SCAN of the group keys on every master, bounded to ~100,000 keys examined (`groups_complete` says ' +
      'whether the walk finished). For dashboards and audits, not hot paths.',
    params: schemas.imageParams,
    query: schemas.imageMetaQuery,
    responses: {
      200: { description: 'The record\'s metadata', schema: responses.imageMeta },
      400: errorDoc('INVALID_ARGUMENT: source=extracted on a service without extraction'),
      404: errorDoc('Not cached (code NOT_FOUND)'),
    },
    async handle(c, { params, query }) {
      for (const [source, from] of sourceList(query.source, sourcesOf(deps, query.source))) {
        const m = await from.inspect(params.image_id);
        if (m === null) continue;
        return c.json({
          success: true,
          image_id: m.imageId,
          source,
          version: m.version,
          ttl_seconds: m.ttlSeconds,
          stored_bytes: m.storedBytes,
          memory_bytes: m.memoryBytes,
          groups: m.groups,
          groups_complete: m.groupsComplete,
        });
      }
      throw new ApiError(404, HttpErrorCodes.NOT_FOUND, NOT_CACHED);
    },
  });

  const put = defineRoute({
    method: 'put',
    path: PATH,
    access: 'write',
    tag: 'images',
    summary: "Store (replace) one image's features",
    params: schemas.imageParams,
    body: schemas.putImageBody,
    responses: { 200: { description: 'Stored', schema: responses.put } },
    async handle(c, { params, body }) {
      const opts: SetOptions = {};
      if (body.ttl_seconds !== undefined) opts.ttlSeconds = body.ttl_seconds;
      if (body.groups !== undefined) opts.groups = body.groups;
      // concurrent PUTs share one round trip (the library's coalescing)
      await cache.set(params.image_id, body.features, opts);
      return send(c, wantsMsgpack(c), { success: true, image_id: params.image_id, version: cache.featureVersion });
    },
  });

  const del = defineRoute({
    method: 'delete',
    path: PATH,
    access: 'write',
    tag: 'images',
    summary: "Invalidate one image's cached features",
    params: schemas.imageParams,
    responses: {
      200: { description: 'Invalidated', schema: responses.message },
      404: { description: 'Was not cached: { success: false, message, error }', schema: responses.message },
    },
    async handle(c, { params }) {
      const removed = await cache.invalidate(params.image_id);
      if (removed) return c.json({ success: true, message: `Invalidated cache for image ${params.image_id}` });
      const message = `No cache entry for image ${params.image_id}`;
      return c.json({ success: false, message, error: { code: HttpErrorCodes.NOT_FOUND, message } }, 404);
    },
  });

  return [get, meta, put, del];
}
