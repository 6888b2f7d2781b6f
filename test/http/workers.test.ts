/**
 * FEATCACHE_WORKERS: the service as a node:cluster primary with worker
 * processes on one port, on the embedded redis-server started once by the
 * primary. Real processes, real HTTP.
 */
import { describe, expect, it } from 'vitest';
import { pingRaw } from '../../src/redis/redis-process.js';
import { workerCount } from '../../src/server-cluster.js';
import { spawnService } from './service-process.js';

describe('FEATCACHE_WORKERS', () => {
  it('parses 1..64 and names the variable otherwise', () => {
    expect(workerCount({})).toBe(1);
    expect(workerCount({ FEATCACHE_WORKERS: ' 4 ' })).toBe(4);
    for (const bad of ['0', '65', '1.5', 'two', '-1']) expect(() => workerCount({ FEATCACHE_WORKERS: bad })).toThrow(/FEATCACHE_WORKERS/);
  });

  it('two workers serve one port on one embedded Redis, and SIGTERM stops workers and Redis', async () => {
    const svc = await spawnService({ FEATCACHE_WORKERS: '2' });
    const { url, redisPort } = svc;
    try {
      await svc.waitReady();
      const put = await fetch(`${url}/analysis/cache/image/w-1`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ features: { n: 7 } }) });
      expect(put.status).toBe(200);
      // several fresh connections, so both workers answer some; every one sees the write
      for (let i = 0; i < 6; i++) {
        const got = await fetch(`${url}/analysis/cache/image/w-1`, { headers: { connection: 'close' } });
        expect(got.status).toBe(200);
        expect(((await got.json()) as { features: unknown }).features).toEqual({ n: 7 });
      }
      expect(await pingRaw('127.0.0.1', redisPort)).toBe(true);
      svc.child.kill('SIGTERM');
      expect(await svc.exited).toBe(0);
      expect(await pingRaw('127.0.0.1', redisPort)).toBe(false);
    } finally {
      svc.stop();
    }
  }, 60_000);
});
