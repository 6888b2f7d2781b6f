import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFeatureCache } from '../../src/index.js';
import { pingRaw } from '../../src/redis/redis-process.js';
import { redisCommand } from '../helpers/resp-command.js';

describe('embedded default', () => {
  it('starts a private redis-server with data under its dir, and stops it on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'featcache-embedded-'));
    try {
      const cache = await createFeatureCache({ embedded: { dir } });
      const health = await cache.health();
      expect(health.status).toBe('healthy');
      expect(health.topology.mode).toBe('embedded');
      await cache.set('e1', { v: 1 });
      expect((await cache.get('e1'))!.features.v).toBe(1);
      const [host, port] = health.topology.master!.split(':');
      // the eviction settings the efficiency study measured best (redis/redis.conf)
      expect(await redisCommand(host!, Number(port), ['CONFIG', 'GET', 'maxmemory-policy'])).toEqual(['maxmemory-policy', 'volatile-lfu']);
      expect(await redisCommand(host!, Number(port), ['CONFIG', 'GET', 'lfu-log-factor'])).toEqual(['lfu-log-factor', '0']);
      expect(existsSync(join(dir, 'redis.pid'))).toBe(true);
      await cache.close();
      expect(await pingRaw(host!, Number(port), 300)).toBe(false);

      // persistence: a restart on the same dir finds the record (AOF)
      const again = await createFeatureCache({ embedded: { dir } });
      expect((await again.get('e1'))!.features.v).toBe(1);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the fix when redis-server is missing', async () => {
    await expect(createFeatureCache({ embedded: { binary: 'redis-server-that-does-not-exist' } })).rejects.toMatchObject({
      code: 'EMBEDDED_REDIS_FAILED',
      message: expect.stringMatching(/apt-get install redis-server.*REDIS_URL/s),
    });
  });
});
