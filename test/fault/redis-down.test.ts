import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache } from '../../src/index.js';
import { eventually, startTestRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let cache: FeatureCache;

beforeAll(async () => {
  redis = await startTestRedis();
  cache = await createFeatureCache({ redis: redis.url, prefix: 'down', commandTimeoutMs: 500 });
});
afterAll(async () => {
  await cache.close();
  await redis.stop();
});

async function timed<T>(p: Promise<T>): Promise<{ ms: number; error: unknown }> {
  const start = Date.now();
  try {
    await p;
    return { ms: Date.now() - start, error: null };
  } catch (error) {
    return { ms: Date.now() - start, error };
  }
}

describe('Redis killed mid-run', () => {
  it('fails fast with REDIS_UNAVAILABLE, never hangs, and recovers when Redis returns', async () => {
    await cache.setMany(Array.from({ length: 50 }, (_, i) => ({ imageId: `k${i}`, features: { i } })));
    // a load is running when Redis dies
    let stop = false;
    const outcomes: string[] = [];
    const load = (async () => {
      while (!stop) {
        const r = await timed(cache.getMany(['k1', 'k2', 'k3']));
        outcomes.push(r.error ? (r.error as { code?: string }).code ?? 'other' : 'ok');
        if (r.error) await new Promise((res) => setTimeout(res, 20));
      }
    })();
    let recovered = false;
    try {
      await new Promise((r) => setTimeout(r, 100));
      await redis.proc.kill();

      const ops: Array<() => Promise<unknown>> = [
        () => cache.get('k1'),
        () => cache.set('k1', { i: 1 }),
        () => cache.getMany(['k1', 'k2']),
        () => cache.invalidate('k1'),
        () => cache.stats(),
      ];
      for (const op of ops) {
        const r = await timed(op());
        expect(r.error).toMatchObject({ code: 'REDIS_UNAVAILABLE' });
        expect(r.ms).toBeLessThan(1500);
      }
      const health = await timed(cache.health());
      expect(health.ms).toBeLessThan(1500);
      expect((await cache.health()).status).toBe('unhealthy');

      await redis.restart();
      recovered = await eventually(async () => {
        try {
          await cache.set('after', { ok: true });
          return (await cache.get('after'))?.features.ok === true;
        } catch {
          return false;
        }
      }, 10_000, 100);
    } finally {
      stop = true; // the load loop ends even when an assertion above failed
      await load;
    }
    expect(recovered).toBe(true);
    expect((await cache.health()).status).toBe('healthy');
    expect(outcomes).toContain('ok');
    expect(outcomes.filter((o) => o !== 'ok' && o !== 'REDIS_UNAVAILABLE')).toEqual([]);
  });

  it('createFeatureCache gives REDIS_UNAVAILABLE quickly when nothing listens', async () => {
    const start = Date.now();
    await expect(
      createFeatureCache({ redis: 'redis://127.0.0.1:1', connectTimeoutMs: 800 }),
    ).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    expect(Date.now() - start).toBeLessThan(3000);
  });
});
