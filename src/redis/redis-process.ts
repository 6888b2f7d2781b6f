/**
 * Start and stop real redis-server processes. Used by the embedded default
 * (createFeatureCache without `redis`), by the tests and by the benchmarks.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { FeatureCacheError, ErrorCodes } from '../errors.js';

export interface RedisProcessOptions {
  /** Port; 0 picks a free one. @default 0 */
  port?: number;
  /** Working directory (RDB/AOF files). Created when missing. */
  dir: string;
  /** redis-server binary. @default 'redis-server' */
  binary?: string;
  /** Extra `--name value` arguments, e.g. { maxmemory: '64mb' }. */
  config?: Record<string, string | number>;
  /** How long to wait for the server to answer PING. @default 10000 */
  startTimeoutMs?: number;
}

export interface RedisProcess {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** SHUTDOWN NOSAVE-like stop: SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
  /** SIGKILL: a crash, for fault tests. */
  kill(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (the OS picks it; a race with other processes is possible but rare). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when `binary --version` runs. */
export function redisServerAvailable(binary = 'redis-server'): boolean {
  const r = spawnSync(binary, ['--version'], { stdio: 'ignore' });
  return r.status === 0;
}

/** Resolves when a raw PING on host:port answers +PONG (or a LOADING error means it is up but loading). */
export async function pingRaw(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

export async function startRedisProcess(opts: RedisProcessOptions): Promise<RedisProcess> {
  const binary = opts.binary ?? 'redis-server';
  if (!redisServerAvailable(binary)) {
    throw new FeatureCacheError(
      ErrorCodes.EMBEDDED_REDIS_FAILED,
      `redis-server not found ('${binary}' is not on PATH). Install it (Debian/Ubuntu: ` +
        `apt-get install redis-server) or set REDIS_URL / the 'redis' option to an existing Redis.`,
    );
  }
  mkdirSync(opts.dir, { recursive: true });
  const port = opts.port && opts.port > 0 ? opts.port : await freePort();
  const host = '127.0.0.1';
  const config: Record<string, string | number> = {
    port,
    bind: host,
    'protected-mode': 'yes',
    dir: opts.dir,
    daemonize: 'no',
    save: '',
    appendonly: 'no',
    'notify-keyspace-events': 'Exe',
    loglevel: 'warning',
    logfile: '',
    ...opts.config,
  };
  const args: string[] = [];
  for (const [k, v] of Object.entries(config)) args.push(`--${k}`, String(v));
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4000) stderr += d.toString();
  });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  child.once('error', () => {
    exited = true;
  });

  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  while (!(await pingRaw(host, port, 300))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new FeatureCacheError(
        ErrorCodes.EMBEDDED_REDIS_FAILED,
        `redis-server did not start on ${host}:${port}: ${stderr.trim() || 'no answer to PING'}`,
      );
    }
    await delay(25);
  }

  const waitExit = async (graceMs: number) => {
    if (exited) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exitedPromise;
    clearTimeout(timer);
  };

  return {
    host,
    port,
    url: `redis://${host}:${port}`,
    pid: child.pid ?? -1,
    child,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      await waitExit(5000);
    },
    async kill() {
      if (exited) return;
      child.kill('SIGKILL');
      await waitExit(5000);
    },
  };
}
