/** Batch get and batch set: one library call (pipelined) per request. */
import { nullProtoObject, recordOut, send, wantsMsgpack } from '../negotiate.js';
import { defineRoute, errorDoc, type AnyRoute, type RouteDeps } from '../route.js';
import { responses } from '../schemas.js';
import { getManyFrom } from '../../sources.js';
import type { SetManyItem } from '../../types.js';
import { sourcesOf } from '../read-sources.js';

export function batchRoutes(deps: RouteDeps): AnyRoute[] {
  const { cache, metrics, schemas } = deps;
  const batchGet = defineRoute({
    method: 'post',
    path: '/analysis/cache/batch-get',
    access: 'read',
    tag: 'batch',
    summary: 'Get many images in one request',
    description:
      'Duplicate IDs are looked up once. `found` maps image ID to record (with its `source`); `missing` lists the misses in request order. ' +
      '`source`: `stored`, `extracted` or `any` (default: stored first, then extracted for the IDs stored did not have).',
    body: schemas.batchGetBody,
    responses: {
      200: { description: 'Found and missing images', schema: responses.batchGet },
      413: errorDoc('Body or batch too large'),
    },
    async handle(c, { body }) {
      const ids = body.image_ids.length > 1 ? [...new Set(body.image_ids)] : body.image_ids;
      const records = await getManyFrom(sourcesOf(deps, body.source), ids, body.source, body.types ? { types: body.types } : undefined);
      const mp = wantsMsgpack(c);
      // A Map (an image ID may be "__proto__", and 100 string keys would turn an
      // object into a slow dictionary); JSON needs a plain object, built from it.
      const found = new Map<string, ReturnType<typeof recordOut>>();
      const missing: string[] = [];
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i] as string;
        const r = records[i];
        if (r) found.set(id, recordOut(r, mp));
        else missing.push(id);
      }
      metrics.cacheReads(ids.length - missing.length, missing.length, 'stored');
      return send(c, mp, { success: true, found: mp ? found : nullProtoObject(found), missing });
    },
  });

  const batchSet = defineRoute({
    method: 'post',
    path: '/analysis/cache/batch-set',
    access: 'write',
    tag: 'batch',
    summary: 'Store many images in one request',
    body: schemas.batchSetBody,
    responses: {
      200: { description: 'Counts', schema: responses.batchSet },
      413: errorDoc('Body or batch too large'),
    },
    async handle(c, { body }) {
      const items: SetManyItem[] = body.items.map((it) => {
        const item: SetManyItem = { imageId: it.image_id, features: it.features };
        if (it.ttl_seconds !== undefined) item.ttlSeconds = it.ttl_seconds;
        if (it.groups !== undefined) item.groups = it.groups;
        return item;
      });
      const { written } = await cache.setMany(items);
      return send(c, wantsMsgpack(c), { success: true, written, requested: items.length });
    },
  });

  return [batchGet, batchSet];
}
