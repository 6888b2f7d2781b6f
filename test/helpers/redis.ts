/** A private redis-server per test file, on a free port, in a temp dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedisProcess, type RedisProcess } from '../../src/redis/redis-process.js';

export interface TestRedis {
  proc: RedisProcess;
  url: string;
  port: number;
  /** A plain client for assertions straight against Redis. */
  raw: Redis;
  /** Restarts redis-server on the same port (after kill/stop). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestRedis(config: Record<string, string | number> = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'featcache-test-'));
  let proc = await startRedisProcess({ dir, config });
  const raw = new Redis(proc.port, '127.0.0.1', { maxRetriesPerRequest: 1, lazyConnect: false });
  raw.on('error', () => {});
  const t: TestRedis = {
    proc,
    url: proc.url,
    port: proc.port,
    raw,
    async restart() {
      proc = await startRedisProcess({ dir, port: t.port, config });
      t.proc = proc;
    },
    async stop() {
      raw.disconnect();
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}

/** Counts calls of one command from INFO commandstats (e.g. 'mget'). */
export async function commandCalls(raw: Redis, command: string): Promise<number> {
  const info = await raw.info('commandstats');
  const m = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info);
  return m ? Number(m[1]) : 0;
}

/** Polls `check` until it returns true or the timeout passes; returns the last result. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, stepMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
