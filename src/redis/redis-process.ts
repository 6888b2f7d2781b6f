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

/** How a redis-server process ended. */
export interface RedisExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RedisProcess {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves when the process has exited, however it ended. */
  readonly exited: Promise<RedisExit>;
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

/** Resolves true when a raw PING on host:port answers +PONG. */
export async function pingRaw(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return (await pingState(host, port, timeoutMs)) === 'up';
}

/** 'up' (+PONG), 'loading' (-LOADING: the server is reading its AOF/RDB) or 'down'. */
export async function pingState(host: string, port: number, timeoutMs = 500): Promise<'up' | 'loading' | 'down'> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (state: 'up' | 'loading' | 'down') => {
      sock.destroy();
      resolve(state);
    };
    sock.setTimeout(timeoutMs, () => done('down'));
    sock.on('error', () => done('down'));
    // a peer that closes without answering (a server shutting down, a stranger on the port)
    sock.on('close', () => done('down'));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      const text = d.toString();
      done(text.startsWith('+PONG') ? 'up' : text.startsWith('-LOADING') ? 'loading' : 'down');
    });
  });
}

/** redis-server children still running; killed when this process exits, however it exits. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

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
  const exitedPromise = new Promise<RedisExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    });
  });
  child.once('error', () => {
    exited = true;
  });

  // a child must not outlive this process (a crash would leave it holding the data dir)
  live.add(child);
  child.once('exit', () => live.delete(child));

  let deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  for (;;) {
    const state = await pingState(host, port, 300);
    if (state === 'up') break;
    // loading a large AOF takes as long as it takes: wait while the process lives
    if (state === 'loading') deadline = Math.max(deadline, Date.now() + 1000);
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
    exited: exitedPromise,
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
