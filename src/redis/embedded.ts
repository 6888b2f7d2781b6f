/**
 * The embedded default: with no Redis configured, featcache runs a private
 * redis-server child process (from PATH) with its data under ./.featcache
 * and stops it on close.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import type { EmbeddedRedisOptions } from '../types.js';
import { startRedisProcess, type RedisProcess } from './redis-process.js';

/** Where the embedded redis-server keeps its data unless told otherwise (FEATCACHE_DATA_DIR). */
export const DEFAULT_EMBEDDED_DIR = './.featcache';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startEmbeddedRedis(opts: EmbeddedRedisOptions = {}): Promise<RedisProcess> {
  const dir = resolve(opts.dir ?? DEFAULT_EMBEDDED_DIR);
  const pidfile = resolve(dir, 'redis.pid');
  if (existsSync(pidfile)) {
    const pid = Number(readFileSync(pidfile, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
      throw new FeatureCacheError(
        ErrorCodes.EMBEDDED_REDIS_FAILED,
        `another embedded redis-server (pid ${pid}) already uses ${dir}; stop it, or give this instance ` +
          `another data directory (FEATCACHE_DATA_DIR / embedded.dir), or point it at that Redis with REDIS_URL`,
      );
    }
  }
  const appendonly = opts.appendonly ?? true;
  return startRedisProcess({
    dir,
    port: opts.port ?? 0,
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
}
