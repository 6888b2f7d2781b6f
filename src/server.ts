/**
 * The featcache HTTP service: config -> FeatureCache -> Hono app -> node:http.
 * Run directly (`tsx src/server.ts` or `node dist/server.js`) it reads the
 * environment, listens, and shuts down gracefully on SIGINT/SIGTERM.
 */
import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { pino } from 'pino';
import { ConfigError, loadConfig, toFeatureCacheOptions, toSimilarityOptions, type ServiceConfig } from './config.js';
import { extractionFeatureVersion } from './features/extractors.js';
import { createExtractionPool, type ExtractionPool } from './features/pool.js';
import { createApp } from './http/app.js';
import { createImageService } from './http/images.js';
import { joinClusterMetrics } from './http/cluster-metrics.js';
import { createMetrics, type HttpMetrics } from './http/metrics.js';
import { ErrorCodes, FeatureCacheError, isFeatureCacheError } from './errors.js';
import { createFeatureCache } from './index.js';
import { resolveSimilarityOptions } from './search/options.js';
import type { FeatureCache, FeatureCacheOptions } from './types.js';
import { runPrimary, SHUTDOWN_MESSAGE } from './server-cluster.js';
import { isEntryPoint } from './entry-point.js';

export interface RunningServer {
  /** http://host:port */
  readonly url: string;
  readonly port: number;
  /**
   * Graceful stop: readiness turns 503, the listener stops accepting, in-flight
   * requests finish (up to shutdownTimeoutMs), then the cache closes (flushing
   * stats, closing Redis, stopping an embedded redis-server). Idempotent.
   */
  close(): Promise<void>;
}

export interface StartOptions {
  /** A pino logger; default: JSON to stdout at config.logLevel. */
  logger?: pino.Logger;
}

/** The caches and the extraction pool behind the app. */
interface Backend {
  /** User-stored features under FEATCACHE_FEATURE_VERSION. */
  cache: FeatureCache;
  /** Extracted features under extractionFeatureVersion(FEATCACHE_FEATURE_VERSION), a view on the same connection. */
  extracted: FeatureCache;
  pool: ExtractionPool;
  /** Closes the caches (the view with its parent), then the pool. */
  close(): Promise<void>;
}

/** One radius-0 query: fails with INVALID_OPTIONS, naming the variable, when the index in Redis has another layout. */
async function checkIndexLayout(cache: FeatureCache, config: ServiceConfig): Promise<void> {
  try {
    await cache.searchSimilar({ phash: '0123456789abcdef' }, { maxDistance: 0, limit: 1 });
  } catch (err) {
    if (!isFeatureCacheError(err, ErrorCodes.INVALID_OPTIONS)) throw err;
    throw new FeatureCacheError(
      ErrorCodes.INVALID_OPTIONS,
      `FEATCACHE_EXPECTED_IMAGES=${config.images.expectedImages} does not match the similarity index of version ${cache.featureVersion} in Redis ` +
        `(${err.message}); start with the value it was built with, or change FEATCACHE_FEATURE_VERSION to build a new index`,
      { cause: err, details: err.details },
    );
  }
}

/**
 * Opens the stored-features cache, its extraction view (the version the
 * `featcache ingest` CLI writes) and the extraction pool, and checks that the
 * similarity index in Redis has the configured layout (fails fast otherwise).
 */
async function openBackend(config: ServiceConfig, logger: pino.Logger, metrics: HttpMetrics): Promise<Backend> {
  const similarity = toSimilarityOptions(config.images);
  const options: FeatureCacheOptions = { ...toFeatureCacheOptions(config, logger), onRedisCommand: (name, seconds, failed) => metrics.redisCommand(name, seconds, failed) };
  if (config.images.similarityStored) options.similarity = similarity;
  const cache = await createFeatureCache(options);
  let pool: ExtractionPool | undefined;
  try {
    const extracted = await cache.withVersion(extractionFeatureVersion(cache.featureVersion), {
      similarity: config.images.similarity ? similarity : false,
    });
    // a layout mismatch (another FEATCACHE_EXPECTED_IMAGES on the same Redis) would otherwise surface on the first query
    if (config.images.similarity) await checkIndexLayout(extracted, config);
    if (config.images.similarityStored) await checkIndexLayout(cache, config);
    pool = createExtractionPool({ size: config.images.extractWorkers });
    const p = pool;
    return {
      cache,
      extracted,
      pool,
      async close() {
        await cache.close(); // closes the view too
        await p.close();
      },
    };
  } catch (err) {
    await cache.close();
    await pool?.close();
    throw err;
  }
}

/**
 * Starts the service.
 * @param config default: loadConfig(process.env)
 */
export async function startServer(config: ServiceConfig = loadConfig(), opts: StartOptions = {}): Promise<RunningServer> {
  const logger =
    opts.logger ??
    pino({
      level: config.logLevel,
      base: { service: 'featcache' },
      redact: { paths: ['authorization', 'headers.authorization', 'req.headers.authorization', 'apiKeys'], censor: '[redacted]' },
    });
  const metrics = createMetrics();
  // with FEATCACHE_WORKERS > 1 a scrape answers for every worker (src/http/cluster-metrics.ts)
  if (cluster.isWorker) joinClusterMetrics(metrics);
  const backend = await openBackend(config, logger, metrics);
  const { cache, extracted, pool } = backend;
  metrics.watchPool(() => pool.stats());
  let app: ReturnType<typeof createApp>;
  try {
    const images = createImageService({
      stored: cache,
      extracted,
      pool,
      extractOptions: { maxBytes: config.images.maxImageBytes, maxPixels: config.images.maxImagePixels, allowedFormats: config.images.formats },
      indexed: { extracted: config.images.similarity, stored: config.images.similarityStored },
      metrics,
    });
    const maxRadius = resolveSimilarityOptions(toSimilarityOptions(config.images)).maxRadius;
    app = createApp({ cache, config, logger, metrics, images, maxRadius });
  } catch (err) {
    await backend.close();
    throw err;
  }

  const server: Server = createServer(
    getRequestListener(app.fetch, {
      errorHandler: (err) => {
        logger.error({ err }, 'unhandled error in request listener');
        return new Response(JSON.stringify({ success: false, error: { code: 'INTERNAL_ERROR', message: 'Internal server error' } }), {
          status: 500,
          headers: { 'content-type': 'application/json' },
        });
      },
    }),
  );
  server.keepAliveTimeout = 65_000; // longer than common load-balancer idle timeouts

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await backend.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  if (config.apiKeys.length === 0) {
    logger.warn({ host: config.host }, 'FEATCACHE_API_KEYS is not set: authentication is disabled, so the service listens on loopback only');
  }
  logger.info(
    { url, redis: config.redis.kind, auth: config.apiKeys.length > 0, extractWorkers: pool.size, extractedVersion: extracted.featureVersion },
    'featcache listening',
  );

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      app.beginShutdown();
      await stopListening(server, config.shutdownTimeoutMs);
      await backend.close();
      logger.info('featcache stopped');
    })();
    return closing;
  };
  return { url, port, close };
}

/** Stops accepting, lets in-flight requests finish, closes idle keep-alive sockets; forces after `timeoutMs`. */
async function stopListening(server: Server, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * Entry point: env config, start, graceful shutdown on SIGINT/SIGTERM.
 * With FEATCACHE_WORKERS > 1 this process becomes the cluster primary and each
 * worker runs this same function (src/server-cluster.ts).
 */
async function main(): Promise<void> {
  let config: ServiceConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`featcache: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const workers = config.workers;
  if (workers > 1 && cluster.isPrimary) {
    const logger = pino({ level: config.logLevel, base: { service: 'featcache', role: 'primary' } });
    try {
      await runPrimary(config, workers, logger);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      process.stderr.write(`featcache: could not start: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`);
      process.exit(1);
    }
    return;
  }
  let running: RunningServer;
  try {
    running = await startServer(config);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    process.stderr.write(`featcache: could not start: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`featcache: error during shutdown: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      process.stderr.write(`featcache: second ${signal}, exiting now\n`);
      process.exit(1);
    }
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (cluster.isWorker) {
    // The primary asks for the same graceful stop over IPC. A terminal's Ctrl-C
    // reaches the workers directly as well; the two do not count as two signals.
    process.on('message', (msg) => {
      if (msg === SHUTDOWN_MESSAGE) stop();
    });
  }
}

const invokedDirectly = isEntryPoint(import.meta.url);

if (invokedDirectly) void main();
