/** Redis goes away while the service runs, then comes back on the same port. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisProcess } from '../../src/redis/redis-process.js';
import { call, startStack, type Stack } from './stack.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack({ FEATCACHE_COMMAND_TIMEOUT_MS: '500', FEATCACHE_HEALTH_TIMEOUT_MS: '1500' });
});
afterAll(async () => {
  await s?.stop();
});

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0 };
}

describe('Redis outage', () => {
  it('answers 503 quickly while Redis is down, survives, and recovers when it returns', async () => {
    const port = s.redis.port;
    expect((await call(s.url, '/analysis/cache/image/before', { method: 'PUT', json: { features: { a: 1 } } })).status).toBe(200);

    await s.redis.kill();

    const health = await timed(() => call(s.url, '/analysis/cache/health'));
    expect(health.value.status).toBe(503);
    expect(health.value.body).toMatchObject({ status: 'unhealthy', redis_connected: false, reason: expect.any(String) });
    expect(health.ms).toBeLessThan(2500); // the "within a second or two"

    const attempts = [
      () => call(s.url, '/analysis/cache/image/before'),
      () => call(s.url, '/analysis/cache/image/during', { method: 'PUT', json: { features: { a: 2 } } }),
      () => call(s.url, '/analysis/cache/batch-get', { json: { image_ids: ['before', 'x'] } }),
      () => call(s.url, '/analysis/cache/batch-set', { json: { items: [{ image_id: 'y', features: { a: 1 } }] } }),
      () => call(s.url, '/analysis/cache/image/before', { method: 'DELETE' }),
      () => call(s.url, '/analysis/cache/stats'),
    ];
    for (const attempt of attempts) {
      const r = await timed(attempt);
      expect(r.value.status).toBe(503);
      expect(r.value.body).toEqual({ success: false, error: { code: 'REDIS_UNAVAILABLE', message: expect.any(String) } });
      expect(r.value.body.error.message).not.toContain(String(port)); // no Redis address leaks
      expect(r.ms).toBeLessThan(5000);
    }
    expect((await call(s.url, '/readyz')).status).toBe(503);
    expect((await call(s.url, '/livez')).status).toBe(200); // the process survives
    const metrics = (await call(s.url, '/metrics')).body as string;
    expect(metrics).toContain('featcache_redis_up 0');
    expect(metrics).toMatch(/featcache_cache_errors_total\{code="REDIS_UNAVAILABLE"\} [1-9]/);

    // Redis returns on the same port
    s.redis = await startRedisProcess({ dir: s.dir, port });
    const deadline = Date.now() + 20_000;
    let status = 503;
    while (status !== 200 && Date.now() < deadline) {
      status = (await call(s.url, '/analysis/cache/health')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect((await call(s.url, '/analysis/cache/image/after', { method: 'PUT', json: { features: { a: 3 } } })).status).toBe(200);
    const get = await call(s.url, '/analysis/cache/image/after');
    expect(get.status).toBe(200);
    expect(get.body.features).toEqual({ a: 3 });
    expect((await call(s.url, '/readyz')).status).toBe(200);
  }, 60_000);
});

describe('Redis hangs', () => {
  it('health answers 503 within the guard even when Redis accepts connections but never replies', async () => {
    const hung = await startStack({ FEATCACHE_COMMAND_TIMEOUT_MS: '10000', FEATCACHE_HEALTH_TIMEOUT_MS: '1000' });
    try {
      process.kill(hung.redis.pid, 'SIGSTOP');
      const r = await timed(() => call(hung.url, '/analysis/cache/health'));
      expect(r.value.status).toBe(503);
      expect(r.value.body.reason).toContain('timed out');
      expect(r.ms).toBeLessThan(2000);
      expect(r.ms).toBeGreaterThanOrEqual(900); // the guard answered, not the library
    } finally {
      process.kill(hung.redis.pid, 'SIGCONT');
      await hung.stop();
    }
  }, 30_000);
});
