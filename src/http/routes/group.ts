/** Group index: list and invalidate under /analysis/cache/group/{group}. */
import { defineRoute, type AnyRoute, type RouteDeps } from '../route.js';
import { responses } from '../schemas.js';
import { send, wantsMsgpack } from '../negotiate.js';

const PATH = '/analysis/cache/group/{group}';

export function groupRoutes({ cache, schemas }: RouteDeps): AnyRoute[] {
  const list = defineRoute({
    method: 'get',
    path: PATH,
    access: 'read',
    tag: 'groups',
    summary: 'List the image IDs of a group',
    params: schemas.groupParams,
    responses: { 200: { description: 'Members (an unknown group is empty)', schema: responses.group } },
    async handle(c, { params }) {
      const ids = await cache.listGroup(params.group);
      return send(c, wantsMsgpack(c), { success: true, group: params.group, image_ids: ids, count: ids.length });
    },
  });

  const invalidate = defineRoute({
    method: 'delete',
    path: PATH,
    access: 'write',
    tag: 'groups',
    summary: 'Invalidate every image of a group and the group itself',
    params: schemas.groupParams,
    responses: { 200: { description: 'Invalidated', schema: responses.groupDelete } },
    async handle(c, { params }) {
      const n = await cache.invalidateGroup(params.group);
      return c.json({ success: true, group: params.group, invalidated: n, message: `Invalidated ${n} images of group ${params.group}` });
    },
  });

  return [list, invalidate];
}
