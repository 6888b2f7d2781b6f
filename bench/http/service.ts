/**
 * The system under test for the HTTP benchmark: a private redis-server (free
 * port, temp dir, no persistence) and the featcache service started through its
 * real entry point (`src/server.ts`, the code `npm start` runs) as a child
 * process, so the load generator and the service never share an event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort, startRedisProcess, type RedisProcess } from '../../src/redis/redis-process.js';

export interface ServiceUnderTest {
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly redisUrl: string;
  readonly redis: RedisProcess;
  readonly workers: number;
  /** pid of the service process (the primary when there are workers). */
  readonly pid: number;
  /** Stops the service (SIGTERM, graceful) and then Redis; removes the temp dir. */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /** Service processes (FEATCACHE_WORKERS). @default 1 */
  workers?: number;
  /** Redis maxmemory. @default '2gb' */
  maxmemory?: string;
  /** Extra service environment variables. */
  env?: Record<string, string>;
  /** Extra node flags for the service process, e.g. ['--cpu-prof']. */
  execArgv?: string[];
}

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Starts Redis and the service; resolves once `/livez` answers 200 on every worker's port. */
export async function startService(opts: ServiceOptions = {}): Promise<ServiceUnderTest> {
  const workers = opts.workers ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'featcache-httpbench-'));
  const redis = await startRedisProcess({
    dir,
    config: { maxmemory: opts.maxmemory ?? '2gb', 'maxmemory-policy': 'volatile-lru' },
  });
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [...(opts.execArgv ?? []), '--import', 'tsx', join(ROOT, 'src', 'server.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      REDIS_URL: redis.url,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      FEATCACHE_WORKERS: String(workers),
      ...opts.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4000) stderr += d.toString();
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`featcache service exited during start (${child.exitCode}): ${stderr.trim()}`);
    }
    const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await redis.stop();
      throw new Error(`featcache service did not become ready: ${stderr.trim()}`);
    }
    await delay(100);
  }
  return {
    url,
    redisUrl: redis.url,
    redis,
    workers,
    pid: child.pid ?? -1,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(t);
      }
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
