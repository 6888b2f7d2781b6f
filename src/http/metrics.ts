/**
 * Prometheus metrics of one service process (prom-client, own registry).
 * Labelled children are cached per (method, route, status), so a request costs
 * two Map lookups and no label hashing. Routes are patterns, never raw paths.
 *
 * Node's default process metrics keep their standard names (process_*, nodejs_*)
 * so stock dashboards work. With FEATCACHE_WORKERS > 1 a scrape answers for the
 * whole service: see src/http/cluster-metrics.ts.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HealthReport } from '../types.js';
import type { ExtractionPoolStats } from '../features/pool.js';

/** Where a record was read from: user-stored features or extracted ones. */
export type ReadSource = 'stored' | 'extracted';

export interface HttpMetrics {
  readonly registry: Registry;
  /** Records one finished request. `route` is the route pattern ('unmatched' for 404s). */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** Hits and misses seen by this process's read routes, by the cache they read. */
  cacheReads(hits: number, misses: number, source: ReadSource): void;
  /** A failed cache operation, by library error code. */
  cacheError(code: string): void;
  /** One image extraction in the worker pool, by outcome, with its time from submission (queue wait included). */
  imageExtraction(outcome: 'ok' | 'failed', seconds: number): void;
  /** One Redis command, timed by the client (FeatureCacheOptions.onRedisCommand). */
  redisCommand(name: string, seconds: number, failed: boolean): void;
  /** Feeds the Redis gauges from a health check (or its timeout). */
  redisHealth(report: Pick<HealthReport, 'redis_connected' | 'latency_ms'>): void;
  /** The extraction pool whose queue depth and busy workers are reported at each scrape. */
  watchPool(stats: () => Pick<ExtractionPoolStats, 'queued' | 'busy'>): void;
  /** Runs before each collection (e.g. a health check that refreshes the Redis gauges). */
  beforeCollect(hook: () => Promise<unknown>): void;
  /** Runs the beforeCollect hooks. */
  refresh(): Promise<void>;
  /** The text a /metrics scrape answers: this process's metrics, or the whole cluster's when set so. */
  scrape(): Promise<string>;
  /** Replaces scrape() (a cluster worker asks its primary; src/http/cluster-metrics.ts). */
  scrapeWith(fn: () => Promise<string>): void;
}

/** Histogram buckets of Redis commands: 50 µs to 1 s (the default commandTimeoutMs). */
const REDIS_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
/** Histogram buckets of extractions: ~5 ms (a thumbnail) to 60 s (the pool's task timeout). */
const EXTRACTION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Creates the registry and metrics. Call once per app. */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}): HttpMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

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
  const hits = new Counter({
    name: 'featcache_cache_hits_total',
    help: 'Images found by read routes, by source (stored: user-written features; extracted: uploads already extracted)',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  const misses = new Counter({
    name: 'featcache_cache_misses_total',
    help: 'Images not found by read routes, by source (an extracted miss is an extraction)',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  const hitsBySource = { stored: hits.labels('stored'), extracted: hits.labels('extracted') };
  const missesBySource = { stored: misses.labels('stored'), extracted: misses.labels('extracted') };
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
  const extractionSeconds = new Histogram({
    name: 'featcache_image_extraction_duration_seconds',
    help: 'Time from handing an image to the extraction pool to its features (queue wait included)',
    buckets: EXTRACTION_BUCKETS,
    registers: [registry],
  });
  let poolStats: (() => Pick<ExtractionPoolStats, 'queued' | 'busy'>) | undefined;
  new Gauge({
    name: 'featcache_extraction_queue_depth',
    help: 'Images waiting for an extraction worker',
    registers: [registry],
    collect() {
      if (poolStats) this.set(poolStats().queued);
    },
  });
  new Gauge({
    name: 'featcache_extraction_busy_workers',
    help: 'Extraction worker threads running a task',
    registers: [registry],
    collect() {
      if (poolStats) this.set(poolStats().busy);
    },
  });
  const redisCommands = new Histogram({
    name: 'featcache_redis_command_duration_seconds',
    help: 'Redis command latency as the client sees it (send to reply), by command',
    labelNames: ['command'] as const,
    buckets: REDIS_BUCKETS,
    registers: [registry],
  });
  const redisCommandErrors = new Counter({
    name: 'featcache_redis_command_errors_total',
    help: 'Redis commands that failed (error reply, timeout, lost connection), by command',
    labelNames: ['command'] as const,
    registers: [registry],
  });
  // Across workers the gauges of the latest check matter: up if any worker reached Redis, the worst latency.
  const redisUp = new Gauge({ name: 'featcache_redis_up', help: '1 when the last health check reached Redis', registers: [registry], aggregator: 'max' });
  const redisLatency = new Gauge({
    name: 'featcache_redis_latency_seconds',
    help: 'Round-trip time of the last health-check PING',
    registers: [registry],
    aggregator: 'max',
  });

  const requestChildren = new Map<string, Counter.Internal>();
  const durationChildren = new Map<string, Histogram.Internal<'method' | 'route'>>();
  const commandChildren = new Map<string, Histogram.Internal<'command'>>();
  const hooks: Array<() => Promise<unknown>> = [];
  const refresh = async () => {
    await Promise.all(hooks.map((h) => h()));
  };
  let scrape = async () => {
    await refresh();
    return registry.metrics();
  };

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
    cacheReads(h, m, source) {
      if (h > 0) hitsBySource[source].inc(h);
      if (m > 0) missesBySource[source].inc(m);
    },
    cacheError(code) {
      errors.labels(code).inc();
    },
    imageExtraction(outcome, seconds) {
      (outcome === 'ok' ? extractionOk : extractionFailed).inc();
      extractionSeconds.observe(seconds);
    },
    redisCommand(name, seconds, failed) {
      let h = commandChildren.get(name);
      if (h === undefined) {
        h = redisCommands.labels(name);
        commandChildren.set(name, h);
      }
      h.observe(seconds);
      if (failed) redisCommandErrors.labels(name).inc();
    },
    redisHealth(report) {
      redisUp.set(report.redis_connected ? 1 : 0);
      if (report.latency_ms !== null) redisLatency.set(report.latency_ms / 1000);
    },
    watchPool(stats) {
      poolStats = stats;
    },
    beforeCollect(hook) {
      hooks.push(hook);
    },
    refresh,
    scrape: () => scrape(),
    scrapeWith(fn) {
      scrape = fn;
    },
  };
}
