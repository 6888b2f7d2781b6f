/** Liveness, readiness and Prometheus metrics. */
import { defineRoute, type AnyRoute, type RouteDeps } from '../route.js';
import { responses } from '../schemas.js';
import type { HealthReport } from '../../types.js';

/** Readiness re-checks Redis at most this often, so probe storms cost nothing. */
const READY_CACHE_MS = 1000;

export function probeRoutes({ metrics, guardedHealth, isShuttingDown }: RouteDeps): AnyRoute[] {
  metrics.beforeCollect(guardedHealth); // refreshes the Redis gauges before each collection
  let last: { at: number; report: Promise<HealthReport> } | undefined;

  const livez = defineRoute({
    method: 'get',
    path: '/livez',
    access: 'public',
    tag: 'probes',
    summary: 'Liveness: the process answers',
    responses: { 200: { description: 'Alive', schema: responses.probe } },
    handle: (c) => c.json({ status: 'ok' }),
  });

  const readyz = defineRoute({
    method: 'get',
    path: '/readyz',
    access: 'public',
    tag: 'probes',
    summary: 'Readiness: not shutting down and Redis reachable (checked at most once a second)',
    responses: {
      200: { description: 'Ready', schema: responses.probe },
      503: { description: 'Not ready, with the reason', schema: responses.probe },
    },
    async handle(c) {
      if (isShuttingDown()) return c.json({ status: 'not_ready', reason: 'shutting down' }, 503);
      const now = Date.now();
      if (last === undefined || now - last.at > READY_CACHE_MS) last = { at: now, report: guardedHealth() };
      const report = await last.report;
      return report.status === 'healthy'
        ? c.json({ status: 'ready' })
        : c.json({ status: 'not_ready', reason: 'redis unreachable' }, 503);
    },
  });

  const metricsRoute = defineRoute({
    method: 'get',
    path: '/metrics',
    access: 'metrics',
    tag: 'probes',
    summary: 'Prometheus metrics (read scope unless FEATCACHE_PUBLIC_METRICS=true)',
    responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } },
    async handle(c) {
      const text = await metrics.scrape();
      return c.body(text, 200, { 'content-type': metrics.registry.contentType });
    },
  });

  return [livez, readyz, metricsRoute];
}
