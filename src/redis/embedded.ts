/**
 * The embedded default: with no Redis configured, featcache runs a private
 * redis-server child process (from PATH) with its data under ./.featcache
 * and stops it on close.
 *
 * Its life (docs/OPERATIONS.md "The embedded Redis"):
 * - start: a redis-server an earlier featcache process left running on the same
 *   data directory (that process was killed with SIGKILL) is proven to be that
 *   server and shut down cleanly first (embedded-leftover.ts);
 * - while running: if redis-server dies, it is logged and started again from
 *   the same data directory, on the same port, with backoff; the clients
 *   reconnect by themselves and /readyz answers 503 meanwhile;
 * - close: SIGTERM (Redis writes its AOF and exits).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { EmbeddedRedisOptions, Logger } from '../types.js';
import { reclaimDataDir, writeState } from './embedded-leftover.js';
import { freePort, startRedisProcess, type RedisExit, type RedisProcess } from './redis-process.js';

/** Where the embedded redis-server keeps its data unless told otherwise (FEATCACHE_DATA_DIR). */
export const DEFAULT_EMBEDDED_DIR = './.featcache';

/** Restart backoff after the embedded redis-server died: first try at once, then doubling up to the cap. */
const RESTART_BACKOFF_MS = { first: 100, max: 5000 } as const;

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export async function startEmbeddedRedis(opts: EmbeddedRedisOptions = {}, logger: Logger = silent): Promise<RedisProcess> {
  const dir = resolve(opts.dir ?? DEFAULT_EMBEDDED_DIR);
  const pidfile = resolve(dir, 'redis.pid');
  const statefile = resolve(dir, 'embedded-redis.json');
  await reclaimDataDir(dir, pidfile, statefile, logger);
  const appendonly = opts.appendonly ?? true;
  const port = opts.port && opts.port > 0 ? opts.port : await freePort();
  const start = () =>
    startRedisProcess({
      dir,
      port,
      binary: opts.binary ?? 'redis-server',
      config: {
        pidfile,
        appendonly: appendonly ? 'yes' : 'no',
        appendfsync: 'everysec',
        maxmemory: opts.maxmemory ?? '512mb',
        // The measured best for Zipf-like reads; redis/redis.conf says why.
        'maxmemory-policy': 'volatile-lfu',
        'lfu-log-factor': '0',
        'lazyfree-lazy-eviction': 'yes',
        'lazyfree-lazy-expire': 'yes',
        'lazyfree-lazy-server-del': 'yes',
      },
    });
  // written before the server starts, so a leftover of this process can always be proven ours
  mkdirSync(dir, { recursive: true });
  writeState(statefile, { host: '127.0.0.1', port, owner: process.pid });
  return supervise(await start(), start, logger);
}

/**
 * A handle on the embedded server that outlives its process: when the process
 * exits without stop(), a new one is started (same directory, same port).
 */
function supervise(first: RedisProcess, start: () => Promise<RedisProcess>, logger: Logger): RedisProcess {
  let current = first;
  let stopping = false;
  let restarting: Promise<void> | null = null;

  const restart = async (exit: RedisExit, pid: number) => {
    const down = Date.now();
    logger.error({ pid, code: exit.code, signal: exit.signal }, 'embedded redis-server exited unexpectedly; starting it again from the same data directory');
    for (let attempt = 0; !stopping; attempt++) {
      try {
        current = await start();
      } catch (err) {
        const waitMs = Math.min(RESTART_BACKOFF_MS.first * 2 ** attempt, RESTART_BACKOFF_MS.max);
        logger.error({ attempt: attempt + 1, retryInMs: waitMs, err: (err as Error).message }, 'embedded redis-server did not start again; retrying');
        await delay(waitMs);
        continue;
      }
      if (stopping) return void (await current.stop());
      logger.warn({ pid: current.pid, downMs: Date.now() - down }, 'embedded redis-server is running again');
      watch(current);
      return;
    }
  };

  const watch = (proc: RedisProcess) => {
    void proc.exited.then((exit) => {
      if (stopping || proc !== current) return;
      restarting = restart(exit, proc.pid).finally(() => {
        restarting = null;
      });
    });
  };
  watch(first);

  return {
    host: first.host,
    port: first.port,
    url: first.url,
    get pid() {
      return current.pid;
    },
    get child() {
      return current.child;
    },
    get exited() {
      return current.exited;
    },
    async stop() {
      stopping = true;
      await restarting;
      await current.stop();
    },
    /** SIGKILL of the current process (a crash): it is started again. */
    kill: () => current.kill(),
  };
}
