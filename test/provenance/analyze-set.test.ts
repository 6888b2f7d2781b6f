import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, FeatureCacheError, type FeatureCache } from '../../src/index.js';
import { extractFeatures } from '../../src/features/index.js';
import { createExtractionPool, type ExtractionPool } from '../../src/features/pool.js';
import type { Features } from '../../src/types.js';
import { commandCalls, startTestRedis, type TestRedis } from '../helpers/redis.js';
import { buildSet, EXPECTED_GROUPS, SET_ORDER } from './set-fixture.js';

let redis: TestRedis;
let cache: FeatureCache;
let pool: ExtractionPool;
const features = new Map<string, Features>();

/** Removes every cached verdict, so the next analyzeSet verifies from scratch. */
async function forgetVerdicts(): Promise<void> {
  const keys = await redis.raw.keys('as:@p:*');
  if (keys.length > 0) await redis.raw.unlink(...keys);
}

beforeAll(async () => {
  redis = await startTestRedis();
  cache = await createFeatureCache({ redis: redis.url, prefix: 'as' });
  pool = createExtractionPool({ size: 2 });
  const set = await buildSet();
  const items = [];
  for (const img of set) {
    features.set(img.id, await extractFeatures(img.data));
    items.push({ imageId: img.id, features: features.get(img.id)! });
  }
  await cache.setMany(items);
}, 120_000);
afterAll(async () => {
  await pool.close();
  await cache.close();
  await redis.stop();
});

describe('analyzeSet', () => {
  it('groups edited copies with their source and leaves unrelated images out', async () => {
    const r = await cache.analyzeSet([...SET_ORDER]);
    expect(r.missing).toEqual([]);
    expect(r.without_orb).toEqual([]);
    expect(r.groups).toEqual(EXPECTED_GROUPS);
    const grouped = new Set(r.groups.flat());
    expect(grouped.has('g-source') || grouped.has('h-source')).toBe(false);
    // far fewer verifications than pairs
    expect(r.stats.verified).toBeLessThan((SET_ORDER.length * (SET_ORDER.length - 1)) / 2 / 2);
  });

  it('says why, in plain words', async () => {
    const r = await cache.analyzeSet([...SET_ORDER]);
    const edge = (a: string, b: string) => r.edges.find((e) => e.a === a && e.b === b);
    expect(edge('f-source', 'f-copy')).toMatchObject({ verdict: 'identical', reasons: ['identical file'] });
    expect(edge('a-source', 'a-crop70')?.verdict).toBe('derived');
    expect(edge('a-source', 'a-crop70')?.reasons.some((x) => /^cropped: B is \d+% of A$/.test(x))).toBe(true);
    expect(edge('a-source', 'a-rotate90')?.reasons).toContain('rotated 90°');
    expect(edge('a-source', 'a-mirror')?.reasons).toContain('mirrored');
    expect(edge('a-source', 'a-rotate10')?.reasons.some((x) => /rotated/.test(x))).toBe(true);
    for (const [a, b] of [['b-source', 'b-c-splice'], ['c-source', 'b-c-splice']] as const) {
      expect(edge(a, b)?.verdict).toBe('derived');
      expect(edge(a, b)?.inliers).toBeGreaterThan(0);
    }
    expect(edge('d-source', 'd-overlay')).toBeDefined();
    expect(edge('e-source', 'd-overlay')?.reasons).toContain('shares a region (overlay or splice)');
    // every edge joins two images of one expected group
    const groupOf = new Map(EXPECTED_GROUPS.flatMap((g, i) => g.map((id) => [id, i] as const)));
    for (const e of r.edges) expect(groupOf.get(e.a)).toBe(groupOf.get(e.b));
  });

  it('reports IDs without a record, analyses duplicates once, and keeps input order', async () => {
    const r = await cache.analyzeSet(['nope', 'a-crop70', 'a-source', 'a-crop70', 'g-source']);
    expect(r.missing).toEqual(['nope']);
    expect(r.groups).toEqual([['a-crop70', 'a-source']]);
    expect(r.edges.map((e) => [e.a, e.b])).toEqual([['a-crop70', 'a-source']]);
    expect(r.stats.images).toBe(4);
  });

  it('keeps the event loop turning while it verifies', async () => {
    await forgetVerdicts();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const r = await cache.analyzeSet([...SET_ORDER], { verifyBatch: 1 });
    clearInterval(timer);
    expect(ticks).toBeGreaterThanOrEqual(r.stats.candidates / 2);
  });

  it('refuses bad input with a stable code', async () => {
    await expect(cache.analyzeSet('a' as unknown as string[])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(cache.analyzeSet([''])).rejects.toBeInstanceOf(FeatureCacheError);
    await expect(cache.analyzeSet(['a', 'b', 'c'], { maxIds: 2 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await cache.analyzeSet([])).toMatchObject({ groups: [], edges: [], missing: [] });
    await expect(cache.analyzeSet(['a'], { verifyBatch: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { option: 'verifyBatch' } });
    await expect(cache.analyzeSet(['a'], { verify: { cacheTtlSeconds: 0 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('verifies in the worker pool with the same result, and answers the set again from the verdict cache without RANSAC', async () => {
    await forgetVerdicts();
    const inProcess = await cache.analyzeSet([...SET_ORDER]);
    await forgetVerdicts();
    const before = pool.stats().completed;
    const first = await cache.analyzeSet([...SET_ORDER], { pool, verifyBatch: 4 });
    expect({ groups: first.groups, edges: first.edges }).toEqual({ groups: inProcess.groups, edges: inProcess.edges });
    expect(first.stats).toMatchObject({ verified: first.stats.candidates, cached: 0 });
    expect(pool.stats().completed - before).toBe(Math.ceil(first.stats.candidates / 4)); // every pair went to a worker, 4 per task
    expect((await redis.raw.keys('as:@p:*')).length).toBe(first.stats.candidates); // one verdict per pair, written in one batch

    const sets = await commandCalls(redis.raw, 'set');
    const tasks = pool.stats().completed;
    const again = await cache.analyzeSet([...SET_ORDER], { pool });
    expect(pool.stats().completed).toBe(tasks); // no verification ran
    expect(await commandCalls(redis.raw, 'set')).toBe(sets); // nothing written
    expect(again.stats).toMatchObject({ verified: first.stats.candidates, cached: first.stats.candidates });
    expect({ groups: again.groups, edges: again.edges }).toEqual({ groups: first.groups, edges: first.edges });
  });

  it('recomputes only the pairs of a record overwritten or invalidated since', async () => {
    await forgetVerdicts();
    const first = await cache.analyzeSet([...SET_ORDER]);
    const pairsOf = (r: typeof first, id: string) => r.edges.filter((e) => e.a === id || e.b === id).length;
    expect(pairsOf(first, 'f-copy')).toBe(1);

    // f-copy now holds g-source's features: only the candidate pairs naming f-copy are verified again
    await cache.setMany([{ imageId: 'f-copy', features: features.get('g-source')! }]);
    const changed = await cache.analyzeSet([...SET_ORDER]);
    const fresh = changed.stats.verified - changed.stats.cached;
    expect(fresh).toBeGreaterThan(0);
    expect(fresh).toBeLessThanOrEqual(SET_ORDER.length - 1); // at most f-copy's pairs
    expect(changed.stats.cached).toBe(changed.stats.candidates - fresh);
    expect(changed.stats.cached).toBeGreaterThan(0);
    expect(changed.groups).toEqual([...EXPECTED_GROUPS.slice(0, 3), ['g-source', 'f-copy']]);
    expect(changed.edges.find((e) => e.a === 'f-source' && e.b === 'f-copy')).toBeUndefined();

    // invalidated and written back with its own features: its pairs are verified again, the rest served from Redis
    await cache.invalidate('f-copy');
    await cache.setMany([{ imageId: 'f-copy', features: features.get('f-copy')! }]);
    const restored = await cache.analyzeSet([...SET_ORDER]);
    expect(restored.groups).toEqual(EXPECTED_GROUPS);
    const recomputed = restored.stats.verified - restored.stats.cached;
    expect(recomputed).toBe(first.stats.candidates - restored.stats.cached);
    expect(recomputed).toBeLessThanOrEqual(SET_ORDER.length - 1); // at most f-copy's pairs
    expect(recomputed).toBeGreaterThan(0);
  });
});
