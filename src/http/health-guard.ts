/**
 * cache.health() with a deadline of its own: even if Redis hangs (or the
 * library's command timeout is long), the caller gets an "unhealthy" report
 * after `healthTimeoutMs`. Concurrent callers share one in-flight check.
 */
import type { ServiceConfig } from '../config.js';
import type { FeatureCache, HealthReport } from '../types.js';
import type { HttpMetrics } from './metrics.js';
import { unhealthyReport } from '../cache/health.js';

const MODE: Record<ServiceConfig['redis']['kind'], HealthReport['topology']['mode']> = {
  embedded: 'embedded',
  url: 'standalone',
  sentinel: 'sentinel',
  cluster: 'cluster',
};

function unhealthy(config: ServiceConfig, reason: string): HealthReport {
  return unhealthyReport(MODE[config.redis.kind], reason);
}

const inflight = new WeakMap<FeatureCache, Promise<HealthReport>>();

/** Never rejects; resolves within config.healthTimeoutMs. */
export function guardHealth(cache: FeatureCache, config: ServiceConfig, metrics: HttpMetrics): Promise<HealthReport> {
  const running = inflight.get(cache);
  if (running) return running;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<HealthReport>((resolve) => {
    timer = setTimeout(() => resolve(unhealthy(config, `health check timed out after ${config.healthTimeoutMs} ms`)), config.healthTimeoutMs);
    timer.unref();
  });
  const check = cache.health().catch((err: unknown) => {
    const code = (err as { code?: unknown }).code;
    return unhealthy(config, typeof code === 'string' ? `health check failed: ${code}` : 'health check failed');
  });
  const p = Promise.race([check, deadline]).then((report) => {
    clearTimeout(timer);
    inflight.delete(cache);
    metrics.redisHealth(report);
    return report;
  });
  inflight.set(cache, p);
  return p;
}
