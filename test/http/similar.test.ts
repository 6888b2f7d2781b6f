/**
 * POST /analysis/similar and /analysis/compare on the real service over real
 * HTTP, against a real redis-server, with real images made by sharp: a scene,
 * its resized/brightened/re-compressed variant, and unrelated scenes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractFeatures } from '../../src/features/index.js';
import { hammingDistance } from '../../src/features/hamming.js';
import { form, nearDuplicate, scene } from './images.js';
import { call, startStack, type Stack } from './stack.js';

const R = 'reader-key-1';
const W = 'writer-key-1';
const MAX_BATCH = 6;

let s: Stack;
let original: Buffer;
let variant: Buffer;
let unrelated: Buffer[];
let phash: string;
let dhash: string;

/** Successful and failed extractions so far, from the service's /metrics. */
async function extractions(): Promise<number> {
  const text = (await call(s.url, '/metrics', { key: R })).body as string;
  let n = 0;
  for (const m of text.matchAll(/^featcache_image_extractions_total\{outcome="\w+"\} (\d+)$/gm)) n += Number(m[1]);
  return n;
}

const ids = (body: { neighbors: Array<{ image_id: string }> }) => body.neighbors.map((n) => n.image_id);

beforeAll(async () => {
  s = await startStack({
    FEATCACHE_API_KEYS: `${R}:read,${W}:write`,
    FEATCACHE_EXPECTED_IMAGES: '10000',
    FEATCACHE_EXTRACT_WORKERS: '2',
    FEATCACHE_SEARCH_MAX_LIMIT: '100',
    FEATCACHE_MAX_BATCH: String(MAX_BATCH),
  });
  original = await scene(1);
  variant = await nearDuplicate(original);
  unrelated = [await scene(2), await scene(3)];
  ({ phash, dhash } = await extractFeatures(original));
  // the variant really is a near duplicate, the others really are not
  const v = await extractFeatures(variant);
  expect(hammingDistance(phash, v.phash)).toBeLessThanOrEqual(6);
  for (const u of unrelated) expect(hammingDistance(phash, (await extractFeatures(u)).phash)).toBeGreaterThan(16);

  const upload = async (id: string, image: Buffer) => {
    const r = await call(s.url, `/analysis/features?image_id=${id}`, { raw: new Uint8Array(image), headers: { 'content-type': 'image/png' }, key: W });
    expect(r.status).toBe(200);
  };
  await upload('orig', original);
  await upload('other-1', unrelated[0]!);
  await upload('other-2', unrelated[1]!);
});

afterAll(async () => {
  await s?.stop();
});

describe('POST /analysis/similar', () => {
  it('finds the near duplicate of an uploaded image without storing it', async () => {
    const before = await extractions();
    const r = await call(s.url, '/analysis/similar', { raw: form(variant, { max_distance: '8' }), key: R });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ success: true, source: 'extracted', field: 'phash', max_distance: 8, has_more: false, truncated: false });
    expect(ids(r.body)).toEqual(['orig']);
    expect(r.body.neighbors[0]).toEqual({ image_id: 'orig', distance: expect.any(Number), hash: phash });
    expect(r.body.uploaded).toEqual({ image_id: null, stored: false, cached: false });
    expect(typeof r.body.probes).toBe('number');
    expect(typeof r.body.candidates).toBe('number');
    expect((await extractions()) - before).toBe(1);
    // nothing was stored: the same hash finds only the original
    const again = await call(s.url, '/analysis/similar', { json: { hash: r.body.hash, field: 'phash' }, key: R });
    expect(ids(again.body)).toEqual(['orig']);
  });

  it('stores an upload under image_id (write scope), searches excluding itself, and answers a re-upload from the cache', async () => {
    const raw = { raw: new Uint8Array(variant), headers: { 'content-type': 'image/jpeg' } };
    const first = await call(s.url, '/analysis/similar?image_id=variant&max_distance=8', { ...raw, key: W });
    expect(first.status).toBe(200);
    expect(ids(first.body)).toEqual(['orig']);
    expect(first.body.uploaded).toEqual({ image_id: 'variant', stored: true, cached: false });
    const second = await call(s.url, '/analysis/similar?image_id=variant&include_self=true', { ...raw, key: W });
    expect(second.body.uploaded).toEqual({ image_id: 'variant', stored: true, cached: true });
    expect(ids(second.body).sort()).toEqual(['orig', 'variant']);
  });

  it('searches by a cached image_id: near duplicates only, itself only with include_self', async () => {
    const r = await call(s.url, '/analysis/similar', { json: { image_id: 'orig' }, key: R });
    expect(r.status).toBe(200);
    expect(r.body.max_distance).toBe(8);
    expect(ids(r.body)).toEqual(['variant']);
    const self = await call(s.url, '/analysis/similar', { json: { image_id: 'orig', include_self: true }, key: R });
    expect(self.body.neighbors[0]).toEqual({ image_id: 'orig', distance: 0, hash: phash });
    expect(ids(self.body)).toEqual(['orig', 'variant']);
    const byDhash = await call(s.url, '/analysis/similar', { json: { image_id: 'orig', field: 'dhash', max_distance: 10 }, key: R });
    expect(byDhash.body.field).toBe('dhash');
    expect(ids(byDhash.body)).toContain('variant');
    expect(ids(byDhash.body)).not.toContain('other-1');
  });

  it('searches by phash, dhash and { hash, field }, with features on request, in JSON and msgpack', async () => {
    const byP = await call(s.url, '/analysis/similar', { json: { phash, max_distance: 0 }, key: R });
    expect(byP.body).toMatchObject({ field: 'phash', hash: phash, max_distance: 0 });
    expect(ids(byP.body)).toContain('orig');
    const byD = await call(s.url, '/analysis/similar', { json: { dhash }, key: R });
    expect(byD.body.field).toBe('dhash');
    expect(ids(byD.body)).toContain('orig');
    const byHash = await call(s.url, '/analysis/similar', { json: { hash: dhash.toUpperCase(), field: 'dhash', with_features: true, limit: 1 }, key: R });
    expect(byHash.body.neighbors).toHaveLength(1);
    expect(byHash.body.neighbors[0].features).toMatchObject({ dhash: expect.any(String), width: expect.any(Number) });
    const mp = await call(s.url, '/analysis/similar', { msgpack: { phash, with_features: true }, accept: 'msgpack', key: R });
    expect(mp.headers.get('content-type')).toContain('msgpack');
    expect(mp.body.neighbors.find((n: { image_id: string }) => n.image_id === 'orig').features.phash).toBe(phash);
  });

  it('reports has_more when the limit cuts the answer', async () => {
    const r = await call(s.url, '/analysis/similar', { json: { phash, limit: 1 }, key: R });
    expect(r.body.neighbors).toHaveLength(1);
    expect(r.body.has_more).toBe(true);
  });
});

describe('POST /analysis/compare', () => {
  it('returns the pairs within the radius, the missing IDs and the count compared', async () => {
    const r = await call(s.url, '/analysis/compare', { json: { image_ids: ['orig', 'variant', 'other-1', 'other-2', 'nope', 'orig'], max_distance: 8 }, key: R });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      success: true,
      source: 'extracted',
      field: 'phash',
      max_distance: 8,
      pairs: [{ a: 'orig', b: 'variant', distance: expect.any(Number) }],
      missing: ['nope'],
      without_hash: [],
      compared: 4,
    });
    expect(r.body.pairs[0].distance).toBeLessThanOrEqual(6);
    const wide = await call(s.url, '/analysis/compare', { json: { image_ids: ['orig', 'other-1'], max_distance: 64, field: 'dhash' }, key: R });
    expect(wide.body.pairs).toEqual([{ a: 'orig', b: 'other-1', distance: expect.any(Number) }]);
  });

  it('compares stored records with source "stored" (no index needed)', async () => {
    await call(s.url, '/analysis/cache/image/u1', { method: 'PUT', json: { features: { phash } }, key: W });
    await call(s.url, '/analysis/cache/image/u2', { method: 'PUT', json: { features: { phash: phash.slice(0, 15) + (phash.endsWith('0') ? '1' : '0') } }, key: W });
    await call(s.url, '/analysis/cache/image/u3', { method: 'PUT', json: { features: { note: 'no hash' } }, key: W });
    const r = await call(s.url, '/analysis/compare', { json: { image_ids: ['u1', 'u2', 'u3', 'orig'], source: 'stored', max_distance: 4 }, key: R });
    expect(r.body.pairs).toEqual([{ a: 'u1', b: 'u2', distance: expect.any(Number) }]);
    expect(r.body.without_hash).toEqual(['u3']);
    expect(r.body.missing).toEqual(['orig']); // extracted records are not stored ones
  });
});

describe('validation', () => {
  const expectError = async (path: string, json: unknown, status: number, code: string) => {
    const r = await call(s.url, path, { json, key: R });
    expect({ json, status: r.status, code: r.body.error?.code }).toEqual({ json, status, code });
    expect(r.body.success).toBe(false);
    expect(r.body.error.message).toEqual(expect.any(String));
    return r.body.error.message as string;
  };

  it('refuses malformed queries with 400 and names the problem', async () => {
    expect(await expectError('/analysis/similar', { phash: 'xyz' }, 400, 'INVALID_REQUEST')).toContain('phash');
    expect(await expectError('/analysis/similar', { hash: '0123456789abcdeg', field: 'phash' }, 400, 'INVALID_REQUEST')).toContain('hash');
    expect(await expectError('/analysis/similar', { phash, max_distance: 13 }, 400, 'INVALID_REQUEST')).toContain('max_distance');
    await expectError('/analysis/similar', { phash, max_distance: -1 }, 400, 'INVALID_REQUEST');
    expect(await expectError('/analysis/similar', { phash, limit: 101 }, 400, 'INVALID_REQUEST')).toContain('FEATCACHE_SEARCH_MAX_LIMIT');
    expect(await expectError('/analysis/similar', { phash, dhash }, 400, 'INVALID_REQUEST')).toContain('exactly one');
    await expectError('/analysis/similar', {}, 400, 'INVALID_REQUEST');
    await expectError('/analysis/similar', { hash: phash, field: 'ahash' }, 400, 'INVALID_REQUEST');
    await expectError('/analysis/similar', { phash, unknown_field: 1 }, 400, 'INVALID_REQUEST');
    await expectError('/analysis/similar', { image_id: 'bad\u0001id' }, 400, 'INVALID_IMAGE_ID');
    await expectError('/analysis/compare', { image_ids: ['orig', 'variant'], max_distance: 65 }, 400, 'INVALID_REQUEST');
    await expectError('/analysis/compare', { image_ids: [] }, 400, 'INVALID_REQUEST');
  });

  it('an unknown image_id is 404 NOT_FOUND; too many image_ids is 413', async () => {
    await expectError('/analysis/similar', { image_id: 'never-cached' }, 404, 'NOT_FOUND');
    const many = Array.from({ length: MAX_BATCH + 1 }, (_, i) => `id-${i}`);
    await expectError('/analysis/compare', { image_ids: many }, 413, 'BATCH_TOO_LARGE');
  });

  it('stored-source search without its index is 400 SIMILARITY_NOT_ENABLED, for JSON and upload queries', async () => {
    expect(await expectError('/analysis/similar', { phash, source: 'stored' }, 400, 'SIMILARITY_NOT_ENABLED')).toContain('FEATCACHE_SIMILARITY_STORED');
    const before = await extractions();
    const up = await call(s.url, '/analysis/similar', { raw: form(variant, { source: 'stored' }), key: R });
    expect([up.status, up.body.error?.code]).toEqual([400, 'SIMILARITY_NOT_ENABLED']);
    expect(await extractions()).toBe(before); // refused before extracting
  });

  it('validates upload fields from the query string and the form', async () => {
    const q = await call(s.url, '/analysis/similar?max_distance=many', { raw: new Uint8Array(variant), headers: { 'content-type': 'image/jpeg' }, key: R });
    expect([q.status, q.body.error?.code]).toEqual([400, 'INVALID_REQUEST']);
    expect(q.body.error.message).toContain('max_distance');
    const f = await call(s.url, '/analysis/similar', { raw: form(variant, { with_features: 'perhaps' }), key: R });
    expect([f.status, f.body.error?.code]).toEqual([400, 'INVALID_REQUEST']);
    const text = await call(s.url, '/analysis/similar', { raw: 'hello', headers: { 'content-type': 'text/plain' }, key: R });
    expect([text.status, text.body.error?.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const notImage = await call(s.url, '/analysis/similar', { raw: form(Buffer.from('not an image')), key: R });
    expect([notImage.status, notImage.body.error?.code]).toEqual([400, 'INVALID_IMAGE']);
  });
});

describe('access', () => {
  it('similar and compare need a key; the read scope may search and upload without storing', async () => {
    expect((await call(s.url, '/analysis/similar', { json: { phash } })).status).toBe(401);
    expect((await call(s.url, '/analysis/compare', { json: { image_ids: ['orig'] } })).status).toBe(401);
    expect((await call(s.url, '/analysis/similar', { json: { phash }, key: 'wrong-key' })).status).toBe(401);
    expect((await call(s.url, '/analysis/compare', { json: { image_ids: ['orig'] }, key: R })).status).toBe(200);
    expect((await call(s.url, '/analysis/similar', { raw: form(variant), key: R })).status).toBe(200);
  });

  it('an upload stored under image_id needs the write scope: refused before extracting, nothing stored', async () => {
    const before = await extractions();
    const raw = await call(s.url, '/analysis/similar?image_id=sneaky', { raw: new Uint8Array(variant), headers: { 'content-type': 'image/jpeg' }, key: R });
    expect([raw.status, raw.body.error?.code]).toEqual([403, 'FORBIDDEN']);
    const multipart = await call(s.url, '/analysis/similar', { raw: form(variant, { image_id: 'sneaky' }), key: R });
    expect([multipart.status, multipart.body.error?.code]).toEqual([403, 'FORBIDDEN']);
    const features = await call(s.url, '/analysis/features?image_id=sneaky', { raw: new Uint8Array(variant), headers: { 'content-type': 'image/jpeg' }, key: R });
    expect([features.status, features.body.error?.code]).toEqual([403, 'FORBIDDEN']);
    expect(await extractions()).toBe(before);
    const lookup = await call(s.url, '/analysis/similar', { json: { image_id: 'sneaky' }, key: R });
    expect(lookup.status).toBe(404);
  });
});

describe('OpenAPI', () => {
  it('lists the three routes with their request bodies and scopes', async () => {
    const doc = (await call(s.url, '/openapi.json')).body;
    const features = doc.paths['/analysis/features'].post;
    expect(Object.keys(features.requestBody.content).sort()).toEqual(['image/*', 'multipart/form-data']);
    // text fields are declared once, as query parameters (test/http/openapi.test.ts)
    expect(features.requestBody.content['multipart/form-data'].schema).toEqual({
      type: 'object',
      required: ['image'],
      properties: { image: { type: 'string', format: 'binary', description: 'the image file' } },
    });
    expect(features.parameters).toEqual([expect.objectContaining({ name: 'image_id', in: 'query', required: true })]);
    expect(features['x-scope']).toBe('write');
    const similar = doc.paths['/analysis/similar'].post;
    expect(Object.keys(similar.requestBody.content).sort()).toEqual(['application/json', 'application/msgpack', 'image/*', 'multipart/form-data']);
    expect(Object.keys(similar.requestBody.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['image_id', 'phash', 'dhash', 'hash', 'field', 'max_distance', 'limit', 'with_features', 'include_self', 'source']),
    );
    expect(Object.keys(similar.requestBody.content['multipart/form-data'].schema.properties)).toEqual(['image']);
    expect(similar.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toContain('query:max_distance');
    expect(similar['x-scope']).toBe('read');
    expect(Object.keys(similar.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404']));
    const compare = doc.paths['/analysis/compare'].post;
    expect(compare.requestBody.content['application/json'].schema.required).toEqual(['image_ids']);
    expect(compare.responses['200'].content['application/json'].schema.properties).toHaveProperty('pairs');
  });
});
