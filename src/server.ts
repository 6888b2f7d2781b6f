/**
 * The featcache HTTP service: config -> FeatureCache -> Hono app -> node:http.
 * Run directly (`tsx src/server.ts` or `node dist/server.js`) it reads the
 * environment, listens, and shuts down gracefully on SIGINT/SIGTERM.
 */
import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import { pino } from 'pino';
import { ConfigError, loadConfig, toFeatureCacheOptions, type ServiceConfig } from './config.js';
import { createApp } from './http/app.js';
import { createMetrics } from './http/metrics.js';
import { createFeatureCache } from './index.js';
import type { FeatureCache } from './types.js';
import { runPrimary, SHUTDOWN_MESSAGE, workerCount } from './server-cluster.js';

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
  const cache: FeatureCache = await createFeatureCache(toFeatureCacheOptions(config, logger));
  const metrics = createMetrics();
  const app = createApp({ cache, config, logger, metrics });

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
    await cache.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  if (config.apiKeys.length === 0) {
    logger.warn({ host: config.host }, 'FEATCACHE_API_KEYS is not set: authentication is disabled, so the service listens on loopback only');
  }
  logger.info({ url, redis: config.redis.kind, auth: config.apiKeys.length > 0 }, 'featcache listening');

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      app.beginShutdown();
      await stopListening(server, config.shutdownTimeoutMs);
      await cache.close();
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
  let workers: number;
  try {
    config = loadConfig();
    workers = workerCount();
  } catch (err) {
    if (err instanceof ConfigError || (err instanceof Error && err.message.startsWith('FEATCACHE_WORKERS'))) {
      process.stderr.write(`featcache: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
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

const invokedDirectly = (() => {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();

if (invokedDirectly) void main();
