/**
 * POST /analysis/verify and POST /analysis/groups on the real service (real
 * redis-server, worker pool and HTTP), with generated textured images and their
 * edits stored through POST /analysis/features (the extracted records).
 */
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSet, EXPECTED_GROUPS, SET_ORDER, type SetImage } from '../provenance/set-fixture.js';
import { call, poolExtractions, startStack, type Stack } from './stack.js';

const MAX_BATCH = 16;
let s: Stack;
let set: SetImage[];
const bytesOf = (id: string) => set.find((i) => i.id === id)!.data;

function form(files: Record<string, Buffer>, fields: Record<string, string> = {}): FormData {
  const f = new FormData();
  for (const [name, data] of Object.entries(files)) f.set(name, new Blob([new Uint8Array(data)], { type: 'image/png' }), `${name}.png`);
  for (const [name, value] of Object.entries(fields)) f.set(name, value);
  return f;
}

beforeAll(async () => {
  s = await startStack({ FEATCACHE_MAX_BATCH: String(MAX_BATCH) });
  set = await buildSet();
  for (const img of set) {
    const r = await call(s.url, '/analysis/features', { raw: form({ image: img.data }, { image_id: img.id }) });
    expect(r.status).toBe(200);
  }
}, 180_000);
afterAll(async () => {
  await s?.stop();
});

describe('POST /analysis/groups', () => {
  it('groups edited copies with their source, in JSON and in msgpack', async () => {
    for (const accept of ['json', 'msgpack'] as const) {
      const r = await call(s.url, '/analysis/groups', { json: { image_ids: [...SET_ORDER, 'unknown'] }, accept });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toContain(accept);
      expect(r.body.groups).toEqual(EXPECTED_GROUPS);
      expect(r.body.missing).toEqual(['unknown']);
      const copy = r.body.edges.find((e: { a: string; b: string }) => e.a === 'f-source' && e.b === 'f-copy');
      expect(copy).toEqual({ a: 'f-source', b: 'f-copy', verdict: 'identical', reasons: ['identical file'], inliers: 0 });
      expect(r.body.stats.candidates).toBeLessThan(r.body.stats.images * (r.body.stats.images - 1) / 2);
    }
  });

  it('takes a msgpack body', async () => {
    const r = await call(s.url, '/analysis/groups', { msgpack: { image_ids: ['a-source', 'a-rotate90', 'g-source'] } });
    expect(r.status).toBe(200);
    expect(r.body.groups).toEqual([['a-source', 'a-rotate90']]);
  });

  it('refuses bad requests with a named 4xx', async () => {
    const tooMany = Array.from({ length: MAX_BATCH + 1 }, (_, i) => `id-${i}`);
    const cases: Array<[unknown, number, string]> = [
      [{ image_ids: tooMany }, 413, 'BATCH_TOO_LARGE'],
      [{ image_ids: [] }, 400, 'INVALID_REQUEST'],
      [{}, 400, 'INVALID_REQUEST'],
      [{ image_ids: ['ok', ''] }, 400, 'INVALID_IMAGE_ID'],
      [{ image_ids: ['a'], extra: 1 }, 400, 'INVALID_REQUEST'],
    ];
    for (const [json, status, code] of cases) {
      const r = await call(s.url, '/analysis/groups', { json });
      expect(r.status, JSON.stringify(json).slice(0, 60)).toBe(status);
      expect(r.body).toMatchObject({ success: false, error: { code } });
      expect(r.body.error.message).toMatch(/image_ids|extra|Unrecognized/);
    }
  });
});

describe('POST /analysis/verify', () => {
  it('verifies two cached images by ID', async () => {
    // /analysis/groups above verified this pair through the same verdict cache: start without it
    const raw = new Redis(s.redis.url);
    const cachedVerdicts = await raw.keys('*:@p:*');
    if (cachedVerdicts.length > 0) await raw.unlink(...cachedVerdicts);
    raw.disconnect();
    const r = await call(s.url, '/analysis/verify', { json: { image_id_a: 'a-source', image_id_b: 'a-crop70' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ success: true, image_id_a: 'a-source', image_id_b: 'a-crop70', verdict: 'derived' });
    expect(r.body.inliers).toBeGreaterThan(20);
    expect(r.body.reasons.some((x: string) => x.startsWith('cropped: B is'))).toBe(true);
    expect(r.body.cached).toBe(false);
    const again = await call(s.url, '/analysis/verify', { json: { image_id_a: 'a-source', image_id_b: 'a-crop70' } });
    expect(again.body).toMatchObject({ verdict: 'derived', cached: true });
    const unrelated = await call(s.url, '/analysis/verify', { msgpack: { image_id_a: 'g-source', image_id_b: 'h-source' }, accept: 'msgpack' });
    expect(unrelated.status).toBe(200);
    expect(unrelated.body.verdict).toBe('unrelated');
  });

  it('verifies two uploads (nothing stored)', async () => {
    const r = await call(s.url, '/analysis/verify', { raw: form({ image_a: bytesOf('a-source'), image_b: bytesOf('a-rotate90') }) });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ success: true, image_id_a: null, image_id_b: null, verdict: 'near_duplicate' });
    expect(r.body.reasons).toContain('rotated 90°');
  });

  it('runs the mirror pass on uploads: a mirrored crop is found (no hash sees it)', async () => {
    const src = bytesOf('b-source');
    const m = await sharp(src).metadata();
    const mirroredCrop = await sharp(src)
      .extract({ left: 0, top: 0, width: Math.round(m.width * 0.7), height: Math.round(m.height * 0.7) })
      .flop()
      .png()
      .toBuffer();
    const r = await call(s.url, '/analysis/verify', { raw: form({ image_a: src, image_b: mirroredCrop }) });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ verdict: 'derived', transform: { mirrored: true } });
    expect(r.body.reasons).toContain('mirrored');
    expect(r.body.inliers).toBeGreaterThan(20);
  }, 90_000);

  it('answers an upload with render=png with a picture of the matches, every ORB extraction in the worker pool', async () => {
    const before = await poolExtractions(s.url);
    const res = await fetch(`${s.url}/analysis/verify?render=png`, { method: 'POST', body: form({ image_a: bytesOf('d-source'), image_b: bytesOf('d-overlay') }) });
    expect(res.status).toBe(200);
    expect(await poolExtractions(s.url)).toBe(before + 3); // A, B and B's mirror image: none on the event loop
    expect(res.headers.get('content-type')).toBe('image/png');
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(meta.height);
    const byId = await call(s.url, '/analysis/verify?render=png', { json: { image_id_a: 'a-source', image_id_b: 'a-crop70' } });
    expect(byId.status).toBe(400);
    expect(byId.body.error.message).toContain('upload');
    const bad = await call(s.url, '/analysis/verify?render=svg', { json: { image_id_a: 'a-source', image_id_b: 'a-crop70' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('render');
  });

  it('refuses bad requests with a named 4xx', async () => {
    const unknown = await call(s.url, '/analysis/verify', { json: { image_id_a: 'a-source', image_id_b: 'nope' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'NOT_FOUND' });
    expect(unknown.body.error.message).toContain('"nope"');
    const missing = await call(s.url, '/analysis/verify', { json: { image_id_a: 'a-source' } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('image_id_b');
    const oneFile = await call(s.url, '/analysis/verify', { raw: form({ image_a: bytesOf('a-source') }) });
    expect(oneFile.status).toBe(400);
    expect(oneFile.body.error.message).toContain('image_b');
    const raw = await call(s.url, '/analysis/verify', { raw: bytesOf('a-source'), headers: { 'content-type': 'image/png' } });
    expect(raw.status).toBe(415);
    expect(raw.body.error.message).toContain('image_a');
    const notImage = await call(s.url, '/analysis/verify', { raw: form({ image_a: bytesOf('a-source'), image_b: Buffer.from('not an image') }) });
    expect(notImage.status).toBeGreaterThanOrEqual(400);
    expect(notImage.status).toBeLessThan(500);
  });
});

it('documents both routes in the OpenAPI document', async () => {
  const doc = (await call(s.url, '/openapi.json')).body;
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/analysis/verify', '/analysis/groups']));
  const multipart = doc.paths['/analysis/verify'].post.requestBody.content['multipart/form-data'].schema;
  expect(multipart.required).toEqual(expect.arrayContaining(['image_a', 'image_b']));
  expect(doc.paths['/analysis/verify'].post.requestBody.content['image/*']).toBeUndefined();
});
