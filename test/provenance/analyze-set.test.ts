import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, FeatureCacheError, type FeatureCache } from '../../src/index.js';
import { extractFeatures } from '../../src/features/index.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { buildSet, EXPECTED_GROUPS, SET_ORDER } from './set-fixture.js';

let redis: TestRedis;
let cache: FeatureCache;

beforeAll(async () => {
  redis = await startTestRedis();
  cache = await createFeatureCache({ redis: redis.url, prefix: 'as' });
  const set = await buildSet();
  const items = [];
  for (const img of set) items.push({ imageId: img.id, features: await extractFeatures(img.data) });
  await cache.setMany(items);
}, 120_000);
afterAll(async () => {
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
  });
});
