/** The seed's operator endpoints: stats, health, cleanup. */
import { defineRoute, errorDoc, type AnyRoute, type RouteDeps } from '../route.js';
import { responses } from '../schemas.js';

export function adminRoutes({ cache, guardedHealth, images }: RouteDeps): AnyRoute[] {
  const stats = defineRoute({
    method: 'get',
    path: '/analysis/cache/stats',
    access: 'read',
    tag: 'operations',
    summary: 'Cache statistics shared by every instance',
    responses: { 200: { description: 'Stats', schema: responses.stats }, 503: errorDoc('Redis unavailable') },
    async handle(c) {
      if (!images) return c.json({ success: true, stats: await cache.stats() });
      // records written by extraction live under their own version: count them too
      const [stored, extracted] = await Promise.all([cache.stats(), images.extracted.stats()]);
      return c.json({
        success: true,
        stats: { ...stored, extracted_images: extracted.cached_images, extracted_feature_version: extracted.feature_version },
      });
    },
  });

  const health = defineRoute({
    method: 'get',
    path: '/analysis/cache/health',
    access: 'read',
    tag: 'operations',
    summary: 'Redis health (answers within FEATCACHE_HEALTH_TIMEOUT_MS even if Redis hangs)',
    responses: {
      200: { description: 'Healthy', schema: responses.health },
      503: { description: 'Unhealthy, with the reason', schema: responses.health },
    },
    async handle(c) {
      const report = await guardedHealth();
      return c.json(report, report.status === 'healthy' ? 200 : 503);
    },
  });

  const cleanup = defineRoute({
    method: 'post',
    path: '/analysis/cache/cleanup',
    access: 'write',
    tag: 'operations',
    summary: 'Remove records of other feature versions and orphan group entries',
    responses: { 200: { description: 'Cleaned', schema: responses.cleanup }, 503: errorDoc('Redis unavailable') },
    async handle(c) {
      const r = await cache.cleanup();
      return c.json({
        success: true,
        cleaned_keys: r.cleaned_keys,
        message:
          `Cleaned ${r.cleaned_keys} keys (${r.stale_version_records} stale-version records, ${r.orphan_group_entries} orphan group entries)` +
          (r.deferred ? `; Redis is full, so the repair of ${r.deferred.join(', ')} is deferred: run cleanup again once it has room` : ''),
        stale_version_records: r.stale_version_records,
        orphan_group_entries: r.orphan_group_entries,
        scanned_keys: r.scanned_keys,
        duration_ms: r.duration_ms,
        ...(r.deferred ? { deferred: r.deferred } : {}),
      });
    },
  });

  return [stats, health, cleanup];
}
