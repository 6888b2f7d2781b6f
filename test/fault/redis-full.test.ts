/**
 * A full Redis: `maxmemory` under `noeviction`, filled by batch-set (issue 11,
 * item 2). Writes must fail with REDIS_FULL (HTTP 507) and a message that says
 * what to do; stats, health, readiness, reads and cleanup keep answering 200;
 * cleanup frees memory; a new service process starts on the full Redis.
 * Printed: the status codes and the memory cleanup freed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createFeatureCache } from '../../src/index.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { call } from '../http/stack.js';

let redis: TestRedis;
let dir: string;
/** batch-set's answer when Redis filled up. */
let refused: Awaited<ReturnType<typeof call>> | undefined;
const servers: RunningServer[] = [];
/** The service of version 1.0, started while Redis still had room. */
let url: string;

function env(extra: Record<string, string> = {}) {
  return loadConfig({ REDIS_URL: redis.url, PORT: '0', LOG_LEVEL: 'silent', FEATCACHE_DATA_DIR: dir, FEATCACHE_PREFIX: 'full', ...extra });
}

async function usedMemory(): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.raw.info('memory'))![1]);
}

async function oom(): Promise<boolean> {
  return redis.raw.set('full:probe', 'x').then(
    () => false,
    (err: Error) => err.message.includes('OOM'),
  );
}

const FULL_CODE = { success: false, error: { code: 'REDIS_FULL', message: expect.stringMatching(/maxmemory.*eviction policy.*cleanup/s) } };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'featcache-full-'));
  redis = await startTestRedis({ maxmemory: '2mb', 'maxmemory-policy': 'noeviction' });
  // one record of the version the service will serve, written while there is room
  const cache = await createFeatureCache({ redis: redis.url, prefix: 'full', featureVersion: '1.0', trackExpiry: false });
  await cache.set('kept', { a: 1 });
  await cache.close();
  const live = await startServer(env());
  servers.push(live);
  url = live.url;
  // an older deployment (feature version 0.9) fills Redis through the HTTP API
  const old = await startServer(env({ FEATCACHE_FEATURE_VERSION: '0.9' }));
  try {
    for (let i = 0; i < 400 && !refused; i++) {
      const items = Array.from({ length: 50 }, (_, k) => ({ image_id: `old-${i}-${k}`, features: { v: Array.from({ length: 64 }, (_, j) => j + k) } }));
      const r = await call(old.url, '/analysis/cache/batch-set', { json: { items } });
      if (r.status !== 200) refused = r;
    }
  } finally {
    await old.close();
  }
  // stay full whatever small frees happen meanwhile (client buffers, lazy frees)
  await redis.raw.config('SET', 'maxmemory', String((await usedMemory()) - 64 * 1024));
  expect(await oom()).toBe(true);
}, 60_000);

afterAll(async () => {
  for (const s of servers) await s.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a full Redis (maxmemory, noeviction)', () => {
  it('a new service process starts on it (start-up needs no write) and serves reads', async () => {
    const s = await startServer(env());
    servers.push(s);
    expect((await call(s.url, '/analysis/cache/image/kept')).status).toBe(200);
  });

  it('reads, stats (with counter deltas pending), health and readiness answer 200', async () => {
    const read = await call(url, '/analysis/cache/image/kept');
    expect(read.status).toBe(200);
    expect(read.body.features).toEqual({ a: 1 });
    expect((await call(url, '/analysis/cache/image/missing')).status).toBe(404); // a pending miss to flush
    const batch = await call(url, '/analysis/cache/batch-get', { json: { image_ids: ['kept', 'missing'] } });
    expect(batch.status).toBe(200);

    const stats = await call(url, '/analysis/cache/stats');
    expect(stats.status, JSON.stringify(stats.body)).toBe(200);
    // the refused flush is kept and still counted in the answer
    expect(stats.body.stats.cache_hits).toBeGreaterThanOrEqual(2);
    expect(stats.body.stats.cache_misses).toBeGreaterThanOrEqual(2);
    expect((await call(url, '/analysis/cache/health')).status).toBe(200);
    expect((await call(url, '/readyz')).status).toBe(200);
    expect(await oom()).toBe(true);
  });

  it('writes of every kind are refused with REDIS_FULL (507) and a message that says what to do', async () => {
    expect(refused?.status).toBe(507);
    expect(refused?.body).toMatchObject(FULL_CODE);
    const attempts = [
      () => call(url, '/analysis/cache/image/new', { method: 'PUT', json: { features: { a: 2 } } }),
      () => call(url, '/analysis/cache/batch-set', { json: { items: [{ image_id: 'new2', features: { a: 1 } }] } }),
    ];
    for (const attempt of attempts) {
      const r = await attempt();
      expect(r.status).toBe(507);
      expect(r.body).toMatchObject(FULL_CODE);
    }
    const cache = await createFeatureCache({ redis: redis.url, prefix: 'full', featureVersion: '1.0', trackExpiry: false });
    try {
      await expect(cache.set('lib', { a: 1 })).rejects.toMatchObject({ code: 'REDIS_FULL', message: expect.stringMatching(/maxmemory/) });
      await expect(cache.merge('kept', { b: 2 })).rejects.toMatchObject({ code: 'REDIS_FULL' });
      expect((await cache.get('kept'))?.features).toEqual({ a: 1 });
    } finally {
      await cache.close();
    }
    // removing frees memory, so Redis allows it
    expect((await call(url, '/analysis/cache/image/kept', { method: 'DELETE' })).status).toBe(200);
    expect((await call(url, '/analysis/cache/image/kept')).status).toBe(404);
    expect(await oom()).toBe(true);
  });

  it('cleanup with nothing to free still answers (its similarity-index check needs no write)', async () => {
    // both versions in use: nothing is stale, so nothing is freed before the index repair runs
    const fresh = await createFeatureCache({ redis: redis.url, prefix: 'full', featureVersion: '1.0', similarity: {}, trackExpiry: false });
    try {
      await fresh.withVersion('0.9');
      const result = await fresh.cleanup();
      expect(result.stale_version_records).toBe(0);
      expect(await oom()).toBe(true);
    } finally {
      await fresh.close();
    }
  });

  it('cleanup (from a process started after Redis filled up) frees memory; the HTTP cleanup answers 200; writes work again', async () => {
    // a fresh process has not checked the similarity index yet: cleanup must not need to write it
    const fresh = await createFeatureCache({ redis: redis.url, prefix: 'full', featureVersion: '1.0', similarity: {}, trackExpiry: false });
    try {
      const before = await usedMemory();
      const result = await fresh.cleanup();
      expect(result.stale_version_records).toBeGreaterThan(1000);
      const after = await usedMemory();
      console.log(`full Redis: cleanup removed ${result.cleaned_keys} keys, used_memory ${before} -> ${after} B`);
      expect(after).toBeLessThan(before * 0.8);
    } finally {
      await fresh.close();
    }
    const r = await call(url, '/analysis/cache/cleanup', { method: 'POST' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await call(url, '/analysis/cache/image/new', { method: 'PUT', json: { features: { a: 2 } } })).status).toBe(200);
  });
});

describe('cleanup of a similarity index on a full Redis', () => {
  it('answers; the index repair is done or reported as deferred, never an error', async () => {
    const r = await startTestRedis();
    const cache = await createFeatureCache({ redis: r.url, prefix: 'fullx', similarity: {}, trackExpiry: false });
    try {
      await cache.setMany(Array.from({ length: 20 }, (_, i) => ({ imageId: `x${i}`, features: { phash: (0x1234567890abcdefn + BigInt(i)).toString(16).padStart(16, '0') } })));
      // records gone behind the cache's back: their index entries are stale
      await r.raw.del(...Array.from({ length: 10 }, (_, i) => `fullx:1.0:x${i}`));
      await r.raw.config('SET', 'maxmemory-policy', 'noeviction');
      await r.raw.config('SET', 'maxmemory', '1');
      const result = await cache.cleanup();
      console.log(`similarity repair on a full Redis: ${result.deferred ? `deferred (${result.deferred.join(', ')})` : `${result.extension_entries} entries fixed`}`);
      expect(result.extension_entries === 10 || (result.deferred ?? []).includes('similarity@1.0')).toBe(true);
      await r.raw.config('SET', 'maxmemory', '0');
      const again = await cache.cleanup();
      expect(again.deferred).toBeUndefined();
    } finally {
      await cache.close();
      await r.stop();
    }
  });
});
