/**
 * POST /analysis/groups on a set large enough that its verification takes
 * seconds: the service keeps answering other requests meanwhile, and the
 * request itself answers 200, never 503. The failing CI case (reverted in
 * fe41fae): verdict reads/writes to Redis were pending while RANSAC held the
 * event loop past the 1 s command timeout. Verification now runs in the worker
 * pool with no Redis command of the request in flight.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache } from '../../src/index.js';
import { extractFeatures } from '../../src/features/index.js';
import { extractionFeatureVersion } from '../../src/features/extractors.js';
import { buildSet } from '../provenance/set-fixture.js';
import { call, startStack, type Stack } from './stack.js';

/** Copies of each fixture image under distinct IDs (content hash dropped, so each pair is verified by RANSAC): 45 images, ~200 pairs. */
const COPIES = 3;
let s: Stack;
let extracted: FeatureCache;
const ids: string[] = [];

beforeAll(async () => {
  s = await startStack();
  // the service's extraction view (default prefix and version), written directly: no upload per copy
  extracted = await createFeatureCache({ redis: s.redis.url, featureVersion: extractionFeatureVersion(), trackExpiry: false });
  const items = [];
  for (const img of await buildSet()) {
    const { content_hash: _same, ...features } = await extractFeatures(img.data);
    for (let k = 0; k < COPIES; k++) {
      ids.push(`${img.id}#${k}`);
      items.push({ imageId: `${img.id}#${k}`, features });
    }
  }
  await extracted.setMany(items);
}, 120_000);
afterAll(async () => {
  await extracted?.close();
  await s?.stop();
});

describe('POST /analysis/groups under load', () => {
  it('answers 200 while GET /analysis/cache/health keeps answering during the verification', async () => {
    let done = false;
    const groups = call(s.url, '/analysis/groups', { json: { image_ids: ids } }).finally(() => {
      done = true;
    });
    const during: number[] = [];
    while (!done) {
      const h = await call(s.url, '/analysis/cache/health');
      if (!done) during.push(h.status);
      await new Promise((r) => setTimeout(r, 25));
    }
    const r = await groups;
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200);
    expect(r.body.stats.candidates).toBeGreaterThan(100);
    expect(r.body.stats.cached).toBe(0);
    const groupOf = (id: string) => (r.body.groups as string[][]).findIndex((g) => g.includes(id));
    expect(groupOf('a-source#0')).toBeGreaterThanOrEqual(0);
    expect(groupOf('a-crop70#2')).toBe(groupOf('a-source#0'));
    expect(groupOf('g-source#0')).not.toBe(groupOf('a-source#0'));
    // the service answered other requests while the set was verified, every one of them
    expect(during.length).toBeGreaterThan(0);
    expect(during.filter((status) => status !== 200), JSON.stringify(during)).toEqual([]);

    // the same set again: every verdict from Redis
    const again = await call(s.url, '/analysis/groups', { json: { image_ids: ids } });
    expect(again.status).toBe(200);
    expect(again.body.stats).toMatchObject({ cached: r.body.stats.candidates, verified: r.body.stats.candidates });
    expect(again.body.groups).toEqual(r.body.groups);
  });
});
