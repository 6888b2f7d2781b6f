/**
 * Several service processes on one port (node:cluster), for machines where one
 * Node event loop is the bottleneck. FEATCACHE_WORKERS=N (default 1: no cluster).
 *
 * The primary serves no requests. It starts the embedded redis-server once when
 * no Redis is configured and hands its URL to the workers as REDIS_URL, so every
 * worker has its own FeatureCache on the same Redis (stats, counters and the
 * expiry-tracking lease are already shared through Redis). On SIGTERM/SIGINT it
 * asks every worker to shut down gracefully (the same path as a single process),
 * waits for them, then stops the embedded redis-server. A worker that dies
 * unexpectedly is replaced, unless they keep dying (then the primary stops).
 *
 * A /metrics scrape reaches one worker, which asks the primary: the primary
 * sums every worker's registry (src/http/cluster-metrics.ts).
 *
 * Each worker has its own extraction pool; unless FEATCACHE_EXTRACT_WORKERS is
 * set, its size is the cores divided by FEATCACHE_WORKERS (at least 1), so N
 * processes do not start N x cores hashing threads (src/config.ts).
 */
import cluster, { type Worker } from 'node:cluster';
import type { pino } from 'pino';
import type { ServiceConfig } from './config.js';
import { aggregateClusterMetrics } from './http/cluster-metrics.js';
import { startEmbeddedRedis } from './redis/embedded.js';
import type { RedisProcess } from './redis/redis-process.js';

/** IPC message from the primary asking a worker to shut down gracefully. */
export const SHUTDOWN_MESSAGE = 'featcache:shutdown';

const RESTART_WINDOW_MS = 10_000;
const MAX_RESTARTS_IN_WINDOW = 5;
/** Beyond FEATCACHE_SHUTDOWN_TIMEOUT_MS, how long the primary waits for a worker before SIGKILL. */
const STRAGGLER_GRACE_MS = 5000;

/** Runs the primary: forks `workers` service processes and supervises them until a signal. */
export async function runPrimary(config: ServiceConfig, workers: number, logger: pino.Logger): Promise<void> {
  let embedded: RedisProcess | undefined;
  const env: Record<string, string> = {};
  if (config.redis.kind === 'embedded') {
    embedded = await startEmbeddedRedis({ dir: config.redis.dir, port: config.redis.port }, logger);
    env.REDIS_URL = embedded.url;
    logger.info({ redis: 'embedded', pid: embedded.pid }, 'embedded redis-server started for the workers');
  }
  let stopping = false;
  const restarts: number[] = [];
  const live = new Set<Worker>();

  const fork = () => {
    const w = cluster.fork(env);
    live.add(w);
    w.on('exit', (code, signal) => {
      live.delete(w);
      if (stopping) return;
      const now = Date.now();
      restarts.push(now);
      while (restarts.length > 0 && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
      if (restarts.length > MAX_RESTARTS_IN_WINDOW) {
        logger.error({ code, signal }, 'workers keep exiting; stopping the service');
        void shutdown(1);
        return;
      }
      logger.error({ code, signal, pid: w.process.pid }, 'worker exited unexpectedly; starting a replacement');
      fork();
    });
  };

  const shutdown = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    // a worker still starting up has no SHUTDOWN_MESSAGE handler yet: bound the wait
    const graceMs = config.shutdownTimeoutMs + STRAGGLER_GRACE_MS;
    await Promise.all(
      [...live].map(
        (w) =>
          new Promise<void>((resolve) => {
            const kill = setTimeout(() => {
              logger.error({ pid: w.process.pid, graceMs }, 'worker did not stop in time; killing it');
              w.process.kill('SIGKILL');
            }, graceMs);
            w.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            if (w.isConnected()) w.send(SHUTDOWN_MESSAGE);
            else w.process.kill('SIGTERM');
          }),
      ),
    );
    await embedded?.stop();
    logger.info('featcache stopped');
    process.exit(exitCode);
  };

  let signals = 0;
  const onSignal = () => {
    signals += 1;
    if (signals > 1) {
      for (const w of live) w.process.kill('SIGKILL');
      process.exit(1);
    }
    void shutdown(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  aggregateClusterMetrics(); // one /metrics scrape answers for every worker
  for (let i = 0; i < workers; i++) fork();
  logger.info({ workers, port: config.port }, 'featcache primary started its workers');
}
