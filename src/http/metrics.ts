/**
 * Prometheus metrics of one service instance (prom-client, own registry).
 * Labelled children are cached per (method, route, status), so a request costs
 * two Map lookups and no label hashing. Routes are patterns, never raw paths.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HealthReport } from '../types.js';

export interface HttpMetrics {
  readonly registry: Registry;
  /** Records one finished request. `route` is the route pattern ('unmatched' for 404s). */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** Hits and misses seen by this instance's read routes. */
  cacheReads(hits: number, misses: number): void;
  /** A failed cache operation, by library error code. */
  cacheError(code: string): void;
  /** One image extraction in the worker pool, by outcome. */
  imageExtraction(outcome: 'ok' | 'failed'): void;
  /** Feeds the Redis gauges from a health check (or its timeout). */
  redisHealth(report: Pick<HealthReport, 'redis_connected' | 'latency_ms'>): void;
}

/** Creates the registry and metrics. Call once per app. */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}): HttpMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'featcache_' });

  const requests = new Counter({
    name: 'featcache_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'featcache_http_request_duration_seconds',
    help: 'HTTP request latency by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const hits = new Counter({ name: 'featcache_cache_hits_total', help: 'Images found by read routes', registers: [registry] });
  const misses = new Counter({ name: 'featcache_cache_misses_total', help: 'Images not found by read routes', registers: [registry] });
  const errors = new Counter({
    name: 'featcache_cache_errors_total',
    help: 'Failed cache operations by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const extractions = new Counter({
    name: 'featcache_image_extractions_total',
    help: 'Uploaded images extracted in the worker pool, by outcome (cache hits extract nothing)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const extractionOk = extractions.labels('ok');
  const extractionFailed = extractions.labels('failed');
  const redisUp = new Gauge({ name: 'featcache_redis_up', help: '1 when the last health check reached Redis', registers: [registry] });
  const redisLatency = new Gauge({
    name: 'featcache_redis_latency_seconds',
    help: 'Round-trip time of the last health-check PING',
    registers: [registry],
  });

  const requestChildren = new Map<string, Counter.Internal>();
  const durationChildren = new Map<string, Histogram.Internal<'method' | 'route'>>();

  return {
    registry,
    observeRequest(method, route, status, seconds) {
      const rk = `${method} ${route}`;
      let d = durationChildren.get(rk);
      if (d === undefined) {
        d = duration.labels(method, route);
        durationChildren.set(rk, d);
      }
      d.observe(seconds);
      const ck = `${rk} ${status}`;
      let r = requestChildren.get(ck);
      if (r === undefined) {
        r = requests.labels(method, route, String(status));
        requestChildren.set(ck, r);
      }
      r.inc();
    },
    cacheReads(h, m) {
      if (h > 0) hits.inc(h);
      if (m > 0) misses.inc(m);
    },
    cacheError(code) {
      errors.labels(code).inc();
    },
    imageExtraction(outcome) {
      (outcome === 'ok' ? extractionOk : extractionFailed).inc();
    },
    redisHealth(report) {
      redisUp.set(report.redis_connected ? 1 : 0);
      if (report.latency_ms !== null) redisLatency.set(report.latency_ms / 1000);
    },
  };
}
