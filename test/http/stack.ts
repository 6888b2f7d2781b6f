/**
 * Test stack for the HTTP tests: a real redis-server on a free port and the
 * real service (startServer) on another free port, spoken to over real HTTP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startRedisProcess, type RedisProcess } from '../../src/redis/redis-process.js';
import { startServer, type RunningServer, type StartOptions } from '../../src/server.js';
import { decodeMsgpack, encodeMsgpack } from '../../src/http/msgpack.js';

export interface Stack {
  redis: RedisProcess;
  server: RunningServer;
  dir: string;
  url: string;
  stop(): Promise<void>;
}

/** Starts Redis + the service. `env` adds/overrides configuration variables. */
export async function startStack(env: Record<string, string> = {}, opts: StartOptions = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'featcache-http-'));
  const redis = await startRedisProcess({ dir });
  let server: RunningServer;
  try {
    server = await startServer(
      loadConfig({ REDIS_URL: redis.url, PORT: '0', LOG_LEVEL: 'silent', FEATCACHE_DATA_DIR: dir, ...env }),
      opts,
    );
  } catch (err) {
    await redis.stop();
    throw err;
  }
  const stack: Stack = {
    redis,
    server,
    dir,
    url: server.url,
    async stop() {
      await server.close();
      await stack.redis.stop(); // a test may have replaced it (restart on the same port)
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return stack;
}

export interface CallResult {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface CallOptions {
  method?: string;
  json?: unknown;
  msgpack?: unknown;
  raw?: RequestInit['body'];
  headers?: Record<string, string>;
  key?: string;
  accept?: 'json' | 'msgpack';
}

/** One HTTP request; decodes JSON or msgpack answers by their content type. */
export async function call(base: string, path: string, opts: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: RequestInit['body'] = opts.raw;
  if (opts.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(opts.json);
  }
  if (opts.msgpack !== undefined) {
    headers['content-type'] ??= 'application/msgpack';
    body = encodeMsgpack(opts.msgpack) as Uint8Array<ArrayBuffer>;
  }
  if (opts.key) headers['authorization'] = `Bearer ${opts.key}`;
  if (opts.accept === 'msgpack') headers['accept'] = 'application/msgpack';
  const res = await fetch(base + path, { method: opts.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const type = res.headers.get('content-type') ?? '';
  let parsed: unknown;
  if (type.includes('msgpack')) parsed = decodeMsgpack(new Uint8Array(await res.arrayBuffer()));
  else if (type.includes('json')) parsed = await res.json();
  else parsed = await res.text();
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Extractions the service ran in its worker pool so far (ok and failed), from /metrics (no auth configured). */
export async function poolExtractions(url: string): Promise<number> {
  const text = (await call(url, '/metrics')).body as string;
  return [...text.matchAll(/^featcache_image_extractions_total\{outcome="\w+"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
}
