import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache } from '../../src/index.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let cache: FeatureCache;

beforeAll(async () => {
  redis = await startTestRedis();
  cache = await createFeatureCache({ redis: redis.url, prefix: 'rt' });
});
afterAll(async () => {
  await cache.close();
  await redis.stop();
});

/** The "extractor": counts its runs in Redis (visible to every process) and takes a while. */
const slowExtractor = (runs: string) => async (imageId: string) => {
  await redis.raw.incr(runs);
  await new Promise((r) => setTimeout(r, 150));
  return { phash: `hash-of-${imageId}`, at: 1 };
};

describe('getOrCompute', () => {
  it('returns the cached record without computing, or computes, stores and returns it', async () => {
    const first = await cache.getOrCompute('cold', slowExtractor('runs:a'));
    expect(first.features.phash).toBe('hash-of-cold');
    const second = await cache.getOrCompute('cold', slowExtractor('runs:a'));
    expect(second.features).toEqual(first.features);
    expect(await redis.raw.get('runs:a')).toBe('1');
  });

  it('computes once for 100 concurrent requests across 2 processes', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'helpers', 'read-through-worker.ts'), redis.url, 'stampede', '50'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      // wait until the child is connected and about to fire
      await new Promise<void>((resolve) => {
        const onData = () => out.includes('ready') && (child.stdout.off('data', onData), resolve());
        child.stdout.on('data', onData);
      });
      const mine = await Promise.all(Array.from({ length: 50 }, () => cache.getOrCompute('stampede', slowExtractor('runs:stampede'))));
      const code = await exited;
      expect(code).toBe(0);
      const theirs = JSON.parse(out.slice(out.indexOf('{'))) as { results: string[] };
      expect(theirs.results).toHaveLength(50);
      expect(await redis.raw.get('runs:stampede')).toBe('1');
      for (const r of mine) expect(r.features.phash).toBe('hash-of-stampede');
      for (const r of theirs.results) expect(r).toBe('hash-of-stampede');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a failing computation gives COMPUTE_FAILED to every waiter and leaves no lock behind', async () => {
    const boom = async () => {
      await new Promise((r) => setTimeout(r, 50));
      throw new Error('decoder exploded');
    };
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => cache.getOrCompute('broken', boom)));
    for (const r of results) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'COMPUTE_FAILED' } });
    expect(await redis.raw.exists('rt:@l:1.0:broken')).toBe(0);
    const ok = await cache.getOrCompute('broken', () => Promise.resolve({ fixed: true }));
    expect(ok.features.fixed).toBe(true);
  });

  it('falls back to computing itself when the lock holder is stuck past waitTimeoutMs', async () => {
    await redis.raw.set('rt:@l:1.0:stuck', 'someone-else', 'PX', 60_000);
    const start = Date.now();
    const rec = await cache.getOrCompute('stuck', () => Promise.resolve({ v: 1 }), { waitTimeoutMs: 300 });
    expect(rec.features.v).toBe(1);
    expect(Date.now() - start).toBeGreaterThanOrEqual(290);
    expect(await redis.raw.get('rt:@l:1.0:stuck')).toBe('someone-else'); // not ours to release
  });

  it('getOrComputeMany does one batch lookup and computes only the misses', async () => {
    await cache.setMany([
      { imageId: 'm1', features: { v: 'cached' } },
      { imageId: 'm3', features: { v: 'cached' } },
    ]);
    const computed: string[] = [];
    const recs = await cache.getOrComputeMany(['m1', 'm2', 'm3', 'm4', 'm2'], (id) => {
      computed.push(id);
      return Promise.resolve({ v: `computed-${id}` });
    });
    const before = await cache.stats();
    expect(recs.map((r) => r.features.v)).toEqual(['cached', 'computed-m2', 'cached', 'computed-m4', 'computed-m2']);
    expect(computed.sort()).toEqual(['m2', 'm4']);
    // one lookup per requested image: the misses are not counted again by the computation
    const again = await cache.getOrComputeMany(['m1', 'm5'], () => Promise.resolve({ v: 'x' }));
    expect(again).toHaveLength(2);
    const after = await cache.stats();
    expect(after.cache_hits - before.cache_hits).toBe(1);
    expect(after.cache_misses - before.cache_misses).toBe(1);
  });
});
