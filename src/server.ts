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
import { openBackend, type Backend } from './backend.js';
import { ConfigError, loadConfig, toSimilarityOptions, type ServiceConfig } from './config.js';
import type { Env } from './env.js';
import { createApp, type App } from './http/app.js';
import { createImageService } from './http/images.js';
import { joinClusterMetrics } from './http/cluster-metrics.js';
import { createMetrics } from './http/metrics.js';
import { resolveSimilarityOptions } from './search/options.js';
import { runPrimary, SHUTDOWN_MESSAGE } from './server-cluster.js';
import { isEntryPoint } from './entry-point.js';
import { orbBackendInfo } from './features/orb-backend-choice.js';

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

/** A pino logger for the service at the configured level, with secrets redacted. */
function serviceLogger(config: ServiceConfig): pino.Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'featcache' },
    redact: { paths: ['authorization', 'headers.authorization', 'req.headers.authorization', 'apiKeys'], censor: '[redacted]' },
  });
}

/** The Hono app over an open backend (routes, metrics, the image service). */
export interface ServiceApp {
  readonly app: App;
  readonly backend: Backend;
  /** Turns readiness off and closes the backend (the caller stops its listener first). */
  close(): Promise<void>;
}

/**
 * Builds the service without listening: the backend (cache, extraction view,
 * pool) and the Hono app, for embedding in an existing Hono or Node server
 * (`app.fetch`, or `getRequestListener(app.fetch)` from @hono/node-server).
 * @param config default: loadConfig(process.env)
 */
export async function createServiceApp(config: ServiceConfig = loadConfig(), opts: StartOptions = {}): Promise<ServiceApp> {
  const logger = opts.logger ?? serviceLogger(config);
  const metrics = createMetrics();
  // with FEATCACHE_WORKERS > 1 a scrape answers for every worker (src/http/cluster-metrics.ts)
  if (cluster.isWorker) joinClusterMetrics(metrics);
  const backend = await openBackend(config, { logger, onRedisCommand: (name, seconds, failed) => metrics.redisCommand(name, seconds, failed) });
  const { cache, extracted, pool } = backend;
  metrics.watchPool(() => pool.stats());
  try {
    const images = createImageService({
      stored: cache,
      extracted,
      pool,
      extractOptions: backend.extractOptions,
      indexed: { extracted: config.images.similarity, stored: config.images.similarityStored },
      metrics,
    });
    const maxRadius = resolveSimilarityOptions(toSimilarityOptions(config.images)).maxRadius;
    const app = createApp({ cache, config, logger, metrics, images, maxRadius });
    return {
      app,
      backend,
      async close() {
        app.beginShutdown();
        await backend.close();
      },
    };
  } catch (err) {
    await backend.close();
    throw err;
  }
}

/**
 * Starts the service.
 * @param config default: loadConfig(process.env)
 */
export async function startServer(config: ServiceConfig = loadConfig(), opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? serviceLogger(config);
  const service = await createServiceApp(config, { logger });
  const { app, backend } = service;
  const { extracted, pool } = backend;

  const listener = getRequestListener(app.fetch, {
    errorHandler: (err) => {
      logger.error({ err }, 'unhandled error in request listener');
      return new Response(JSON.stringify({ success: false, error: { code: 'INTERNAL_ERROR', message: 'Internal server error' } }), {
        status: 500,
        headers: { 'content-type': 'application/json' },
      });
    },
  });
  const server: Server = createServer((req, res) => void listener(req, res));
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
    { url, redis: config.redis.kind, auth: config.apiKeys.length > 0, extractWorkers: pool.size, extractedVersion: extracted.featureVersion, orbBackend: orbBackendInfo() },
    'featcache listening',
  );

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      app.beginShutdown();
      await stopListening(server, config.shutdownTimeoutMs);
      await service.close();
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
 * The service's entry point, shared by `node dist/server.js` and `featcache
 * serve`: env config, start, graceful shutdown on SIGINT/SIGTERM (then the
 * process exits). With FEATCACHE_WORKERS > 1 this process becomes the cluster
 * primary; each worker re-runs the same command and so this same function
 * (src/server-cluster.ts).
 * @param env the environment (`featcache serve` lays its options over it)
 */
export async function runService(env: Env = process.env): Promise<void> {
  let config: ServiceConfig;
  try {
    config = loadConfig(env);
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

if (invokedDirectly) void runService();
