/**
 * The embedded redis-server's life (issue 11, item 3), with real processes:
 *
 * - kill -9 of the service leaves its redis-server running; a restart on the
 *   same data directory recovers by itself, and no acknowledged write is lost;
 * - the embedded redis-server dies while the service runs: it is logged and
 *   started again, /readyz answers 503 meanwhile, requests succeed again;
 * - `npm start` then SIGTERM to the npm process stops node and its redis-server.
 *
 * Printed: acknowledged writes and how many were lost; the time until requests
 * succeed again after the embedded redis-server was killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { parentPid, processAlive } from '../../src/redis/embedded-leftover.js';
import { freePort } from '../../src/redis/redis-process.js';
import { startServer } from '../../src/server.js';
import { eventually } from '../helpers/redis.js';
import { call } from '../http/stack.js';

const root = join(import.meta.dirname, '../..');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A temp data directory; afterwards any redis-server its pidfile names is killed and the dir removed. */
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'featcache-life-'));
  cleanups.push(() => {
    const pid = redisPid(dir);
    if (pid !== null && processAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function redisPid(dir: string): number | null {
  const file = join(dir, 'redis.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : null;
}

/** The environment of a service on the embedded default (no Redis configured). */
function serviceEnv(dir: string, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, FEATCACHE_DATA_DIR: dir, PORT: String(port), LOG_LEVEL: 'info' };
  for (const k of ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES', 'FEATCACHE_WORKERS', 'FEATCACHE_API_KEYS']) delete env[k];
  return env;
}

interface Service {
  child: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/** Spawns a command and resolves once the service logs that it listens (rejects if it exits first). */
async function spawnService(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; port: number }): Promise<Service> {
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start within 30 s:\n${out}`)), 30_000);
    const onData = () => {
      if (out.includes('featcache listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    void exited.then(([code]) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before listening:\n${out}`));
    });
  });
  return { child, url: `http://127.0.0.1:${opts.port}`, output: () => out, exited };
}

function runService(dir: string, port: number): Promise<Service> {
  return spawnService(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: root, env: serviceEnv(dir, port), port });
}

describe('kill -9 of the service (its embedded redis-server lives on)', () => {
  it('a restart on the same data directory recovers by itself; 0 acknowledged writes lost', async () => {
    const dir = dataDir();
    const port = await freePort();
    const first = await runService(dir, port);
    const leftover = redisPid(dir)!;
    expect(processAlive(leftover)).toBe(true);

    // writers keep going while the service is killed: every 200 is an acknowledged write
    const acked: string[] = [];
    let stop = false;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let b = 0; !stop; b++) {
        const items = Array.from({ length: 50 }, (_, k) => ({ image_id: `w${w}-b${b}-${k}`, features: { w, b, k } }));
        try {
          const r = await call(first.url, '/analysis/cache/batch-set', { json: { items } });
          if (r.status === 200) acked.push(...items.map((i) => i.image_id));
        } catch {
          return; // the service is gone
        }
      }
    });
    await eventually(() => Promise.resolve(acked.length >= 2000), 20_000, 10);
    first.child.kill('SIGKILL');
    await first.exited;
    stop = true;
    await Promise.all(writers);
    // the reproduction: the service is gone, its redis-server is not
    expect(processAlive(leftover)).toBe(true);

    const second = await runService(dir, port); // today: exits 1 with EMBEDDED_REDIS_FAILED
    expect(second.output()).toMatch(/left its redis-server running/);
    expect(processAlive(leftover)).toBe(false);
    expect(redisPid(dir)).not.toBe(leftover);

    const lost: string[] = [];
    for (let i = 0; i < acked.length; i += 500) {
      const ids = acked.slice(i, i + 500);
      const r = await call(second.url, '/analysis/cache/batch-get', { json: { image_ids: ids } });
      expect(r.status).toBe(200);
      lost.push(...(r.body.missing as string[]));
    }
    console.log(`kill -9 of the service: ${acked.length} acknowledged writes, ${lost.length} lost after the restart`);
    expect(lost).toEqual([]);

    // and a clean stop still stops its own redis-server
    const own = redisPid(dir)!;
    second.child.kill('SIGTERM');
    const [code] = await second.exited;
    expect(code).toBe(0);
    expect(await eventually(() => Promise.resolve(!processAlive(own)), 5000)).toBe(true);
  }, 90_000);

  it('never touches a stranger: a live pidfile without proof that it is our leftover refuses to start', async () => {
    const dir = dataDir();
    // a live redis-server process that is not this directory's (no state file names its port)
    const other = spawn('redis-server', ['--port', String(await freePort()), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    cleanups.push(() => void other.kill('SIGKILL'));
    await eventually(() => Promise.resolve(existsSync(`/proc/${other.pid}/cmdline`)), 2000);
    writeFileSync(join(dir, 'redis.pid'), `${other.pid}\n`);
    await expect(startServer(loadConfig({ FEATCACHE_DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'silent' }))).rejects.toMatchObject({
      code: 'EMBEDDED_REDIS_FAILED',
      message: expect.stringMatching(/not provably/),
    });
    expect(other.exitCode).toBeNull();
    expect(processAlive(other.pid!)).toBe(true);
  });
});

describe('two services on one data directory', () => {
  it('the second refuses to start and leaves the running one and its redis-server alone', async () => {
    const dir = dataDir();
    const first = await startServer(loadConfig({ FEATCACHE_DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'silent' }));
    cleanups.push(() => first.close());
    const pid = redisPid(dir)!;
    await expect(startServer(loadConfig({ FEATCACHE_DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'silent' }))).rejects.toMatchObject({
      code: 'EMBEDDED_REDIS_FAILED',
      message: expect.stringMatching(/still running/),
    });
    expect(processAlive(pid)).toBe(true);
    expect((await call(first.url, '/analysis/cache/image/still', { method: 'PUT', json: { features: { a: 1 } } })).status).toBe(200);
  });
});

describe('the embedded redis-server dies while the service runs', () => {
  async function startEmbeddedService(dir: string): Promise<{ url: string; logs: () => string }> {
    let logs = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs += chunk.toString();
        done();
      },
    });
    const config = loadConfig({ FEATCACHE_DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'info', FEATCACHE_HEALTH_TIMEOUT_MS: '300' });
    const server = await startServer(config, { logger: pino({ level: 'info' }, sink) });
    cleanups.push(() => server.close());
    return { url: server.url, logs: () => logs };
  }

  /** Polls until a write and a read of a record written before both succeed; returns when (ms since epoch). */
  async function recovered(url: string, timeoutMs: number): Promise<number> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const put = await call(url, '/analysis/cache/image/after', { method: 'PUT', json: { features: { a: 2 } } });
      if (put.status === 200 && (await call(url, '/analysis/cache/image/before')).status === 200) return Date.now();
      await new Promise((r) => setTimeout(r, 20));
    }
    return 0;
  }

  it('is logged and started again from the same data directory; requests succeed again (time measured)', async () => {
    const dir = dataDir();
    const { url, logs } = await startEmbeddedService(dir);
    expect((await call(url, '/analysis/cache/image/before', { method: 'PUT', json: { features: { a: 1 } } })).status).toBe(200);
    const pid = redisPid(dir)!;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const okAt = await recovered(url, 10_000); // today: 503 for ever
    console.log(`embedded redis-server killed: requests succeed again after ${okAt - killedAt} ms`);
    expect(okAt).toBeGreaterThan(0);
    expect(okAt - killedAt).toBeLessThan(5000);
    expect(logs()).toMatch(/embedded redis-server exited unexpectedly/);
    expect(logs()).toMatch(/embedded redis-server is running again/);
    expect(redisPid(dir)).not.toBe(pid);
    expect(await eventually(async () => (await call(url, '/readyz')).status === 200, 3000)).toBe(true);
  }, 30_000);

  it('while it cannot start again (its port taken), it retries with backoff and /readyz answers 503', async () => {
    const dir = dataDir();
    const { url, logs } = await startEmbeddedService(dir);
    expect((await call(url, '/analysis/cache/image/before', { method: 'PUT', json: { features: { a: 1 } } })).status).toBe(200);
    const { port } = JSON.parse(readFileSync(join(dir, 'embedded-redis.json'), 'utf8')) as { port: number };
    process.kill(redisPid(dir)!, 'SIGKILL');
    // take the port before the restart does: a listener that never answers
    const squatter = createServer((socket) => socket.on('error', () => {}));
    for (let bound = false; !bound; ) {
      bound = await new Promise<boolean>((resolve) => {
        squatter.once('error', () => resolve(false));
        squatter.listen(port, '127.0.0.1', () => resolve(true));
      });
    }
    const sockets = new Set<import('node:net').Socket>();
    squatter.on('connection', (s) => sockets.add(s));
    try {
      expect(await eventually(() => Promise.resolve(/did not start again; retrying/.test(logs())), 5000)).toBe(true);
      const ready = await call(url, '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.status).toBe('not_ready');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => squatter.close(() => r()));
    }
    const releasedAt = Date.now();
    const okAt = await recovered(url, 10_000);
    console.log(`embedded redis-server restarted ${okAt - releasedAt} ms after its port was free again (backoff capped at 5 s)`);
    expect(okAt, logs()).toBeGreaterThan(0);
    expect(logs()).toMatch(/embedded redis-server is running again/);
  }, 30_000);
});

describe('npm start', () => {
  it('SIGTERM to the npm process stops node and its embedded redis-server', async () => {
    // npm runs package.json's own start script, here against the TypeScript entry point (no build needed)
    const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
    const pkg = mkdtempSync(join(tmpdir(), 'featcache-npm-'));
    cleanups.push(() => rmSync(pkg, { recursive: true, force: true }));
    mkdirSync(join(pkg, 'dist'));
    symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
    symlinkSync(join(root, 'src/server.ts'), join(pkg, 'dist/server.js'));
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'npm-start-check', private: true, scripts: { start: scripts.start } }));
    const dir = dataDir();
    const port = await freePort();
    const env = { ...serviceEnv(dir, port), NODE_OPTIONS: '--import tsx' };
    const npm = await spawnService('npm', ['start', '--silent'], { cwd: pkg, env, port });
    const redis = redisPid(dir)!;
    expect(processAlive(redis)).toBe(true);
    const node = parentPid(redis)!; // the service process (npm's child, or its shell's)
    expect(processAlive(node)).toBe(true);
    cleanups.push(() => void (processAlive(node) && process.kill(node, 'SIGKILL')));

    npm.child.kill('SIGTERM');
    await npm.exited;
    // today: node and redis-server keep running after npm exits
    expect(await eventually(() => Promise.resolve(!processAlive(node) && !processAlive(redis)), 10_000)).toBe(true);
  }, 60_000);
});
