/**
 * FEATCACHE_WORKERS: the service as a node:cluster primary with worker
 * processes on one port, on the embedded redis-server started once by the
 * primary. Real processes, real HTTP.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { freePort, pingRaw } from '../../src/redis/redis-process.js';
import { loadConfig } from '../../src/config.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

describe('FEATCACHE_WORKERS', () => {
  it('parses 1..64 and names the variable otherwise', () => {
    const workers = (env: Record<string, string>) => loadConfig(env).workers;
    expect(workers({})).toBe(1);
    expect(workers({ FEATCACHE_WORKERS: ' 4 ' })).toBe(4);
    for (const bad of ['0', '65', '1.5', 'two', '-1']) expect(() => workers({ FEATCACHE_WORKERS: bad })).toThrow(/^FEATCACHE_WORKERS: /);
  });

  // `featcache serve` used to ignore FEATCACHE_WORKERS: it is now the same entry point as `npm start`
  it.each([
    ['npm start (src/server.ts)', ['src/server.ts']],
    ['featcache serve', ['src/cli/main.ts', 'serve']],
  ])('%s: two workers serve one port on one embedded Redis, and SIGTERM stops workers and Redis', async (_name, args) => {
    const dir = mkdtempSync(join(tmpdir(), 'featcache-workers-'));
    const port = await freePort();
    const redisPort = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', ...args.map((a, i) => (i === 0 ? join(ROOT, a) : a))], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: '', PORT: String(port), FEATCACHE_WORKERS: '2', FEATCACHE_DATA_DIR: dir, FEATCACHE_EMBEDDED_PORT: String(redisPort), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: a failed test kills the workers and redis-server too
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    try {
      const url = `http://127.0.0.1:${port}`;
      const readyBy = Date.now() + 40_000;
      for (;;) {
        // bounded: a worker stuck in start-up would hold the connection forever
        if ((await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false)) === true) break;
        if (Date.now() > readyBy) throw new Error(`service did not become ready; stderr: ${stderr.slice(-2000)}`);
        await delay(100);
      }
      const put = await fetch(`${url}/analysis/cache/image/w-1`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ features: { n: 7 } }) });
      expect(put.status).toBe(200);
      // several fresh connections, so both workers answer some; every one sees the write
      for (let i = 0; i < 6; i++) {
        const got = await fetch(`${url}/analysis/cache/image/w-1`, { headers: { connection: 'close' } });
        expect(got.status).toBe(200);
        expect(((await got.json()) as { features: unknown }).features).toEqual({ n: 7 });
      }
      expect(await pingRaw('127.0.0.1', redisPort)).toBe(true);
      // the primary's log: two worker processes, each listening
      expect(stdout).toMatch(/"workers":2,.*featcache primary started its workers/);
      const listening = () => stdout.match(/"msg":"featcache listening"/g)?.length ?? 0;
      for (const by = Date.now() + 40_000; listening() < 2 && Date.now() < by; ) await delay(100);
      expect(listening()).toBe(2);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(await pingRaw('127.0.0.1', redisPort)).toBe(false);
    } finally {
      if (child.exitCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
