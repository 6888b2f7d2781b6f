/**
 * POST /analysis/provenance on the real service (real redis-server, worker
 * pool and HTTP), with generated textured images stored through
 * POST /analysis/features (the extracted records, indexed with
 * FEATCACHE_PROVENANCE_INDEX=true).
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { texturedImage } from '../../bench/provenance/textures.js';
import { edit } from '../provenance/edits.js';
import { smoothPng } from '../provenance/smooth.js';
import { call, poolExtractions, startStack, type Stack } from './stack.js';

let s: Stack;
let images: Buffer[];

function form(image: Buffer, fields: Record<string, string> = {}): FormData {
  const f = new FormData();
  f.set('image', new Blob([new Uint8Array(image)], { type: 'image/png' }), 'image.png');
  for (const [name, value] of Object.entries(fields)) f.set(name, value);
  return f;
}

beforeAll(async () => {
  s = await startStack({ FEATCACHE_PROVENANCE_INDEX: 'true', FEATCACHE_EXPECTED_IMAGES: '1000' });
  images = await Promise.all([0, 1, 2].map((i) => texturedImage(900 + i)));
  const crop = await sharp(images[0]).extract({ left: 60, top: 40, width: 400, height: 300 }).png().toBuffer();
  for (const [id, data] of [['h-0', images[0]!], ['h-1', images[1]!], ['h-2', images[2]!], ['h-crop', crop]] as const) {
    const r = await call(s.url, '/analysis/features', { raw: form(data, { image_id: id }) });
    expect(r.status).toBe(200);
  }
}, 120_000);
afterAll(async () => {
  await s?.stop();
});

describe('POST /analysis/provenance', () => {
  it('by image_id: the source of a cached crop, verified, itself left out (JSON and msgpack)', async () => {
    for (const accept of ['json', 'msgpack'] as const) {
      const r = await call(s.url, '/analysis/provenance', { json: { image_id: 'h-crop', limit: 3 }, accept });
      expect(r.status).toBe(200);
      expect(r.body.image_id).toBe('h-crop');
      expect(r.body.candidates[0]).toMatchObject({ image_id: 'h-0', tier: 'host', verdict: 'derived' });
      expect(r.body.candidates.map((c: { image_id: string }) => c.image_id)).not.toContain('h-crop');
      expect(r.body.timings_ms.total).toBeGreaterThan(0);
    }
  });

  it('an upload (multipart) of a mirror image: found by the mirrored vote, nothing stored, every extraction in the worker pool', async () => {
    const mirrored = await sharp(images[1]).flop().png().toBuffer();
    const before = await poolExtractions(s.url);
    const r = await call(s.url, '/analysis/provenance', { raw: form(mirrored, { limit: '2', donors: 'false' }) });
    expect(r.status).toBe(200);
    // the features, the mirror image's ORB and the full thumbnail (texture-poor tier), none on the event loop
    expect(await poolExtractions(s.url)).toBe(before + 3);
    expect(r.body.image_id).toBeNull();
    expect(r.body.candidates[0]).toMatchObject({ image_id: 'h-1', verdict: 'near_duplicate' });
    expect(r.body.candidates[0].reasons).toContain('mirrored');
    expect(r.body.timings_ms.extract).toBeGreaterThan(0);
  });

  it('an upload of a smooth image\'s splice with a textured one: both halves found, the smooth one by the texture-poor tier', async () => {
    const smooth = await smoothPng(41, 640, 480);
    expect((await call(s.url, '/analysis/features', { raw: form(smooth, { image_id: 'h-smooth' }) })).status).toBe(200);
    const splice = await edit('splice', images[2]!, smooth);
    const r = await call(s.url, '/analysis/provenance', { raw: form(splice, { limit: '3' }) });
    expect(r.status).toBe(200);
    const related = r.body.candidates.filter((c: { verdict?: string }) => c.verdict !== undefined && c.verdict !== 'unrelated');
    expect(related.map((c: { image_id: string; tier: string }) => [c.image_id, c.tier]).sort()).toEqual([['h-2', 'host'], ['h-smooth', 'appearance']]);
  });

  it('a raw image body with the parameters in the query string', async () => {
    const rotated = await sharp(images[2]).rotate(90).png().toBuffer();
    const r = await call(s.url, '/analysis/provenance?limit=1&verify=false', { raw: new Uint8Array(rotated), headers: { 'content-type': 'image/png' } });
    expect(r.status).toBe(200);
    expect(r.body.candidates).toHaveLength(1);
    expect(r.body.candidates[0].image_id).toBe('h-2');
    expect(r.body.candidates[0].verdict).toBeUndefined();
  });

  it('refuses bad requests with a named 4xx', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{}, 400, 'INVALID_IMAGE_ID'],
      [{ image_id: 'nobody' }, 404, 'NOT_FOUND'],
      [{ image_id: 'h-0', limit: 0 }, 400, 'INVALID_REQUEST'],
      [{ image_id: 'h-0', verify: 'yes' }, 400, 'INVALID_REQUEST'],
      [{ image_id: 'h-0', extra: 1 }, 400, 'INVALID_REQUEST'],
      [{ image_id: '' }, 400, 'INVALID_IMAGE_ID'],
    ];
    for (const [json, status, code] of cases) {
      const r = await call(s.url, '/analysis/provenance', { json });
      expect(r.status, JSON.stringify(json)).toBe(status);
      expect(r.body).toMatchObject({ success: false, error: { code } });
    }
    const junk = await call(s.url, '/analysis/provenance', { raw: new Uint8Array(Buffer.from('not an image')), headers: { 'content-type': 'image/png' } });
    expect(junk.status).toBeGreaterThanOrEqual(400);
    expect(junk.status).toBeLessThan(500);
    expect(junk.body.success).toBe(false);
    const smooth = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#336699' } }).png().toBuffer();
    // an image without keypoints is searched by the texture-poor tier alone (its thumbnail): nothing related here
    const flat = await call(s.url, '/analysis/provenance', { raw: form(smooth) });
    expect(flat.status).toBe(200);
    expect(flat.body.candidates.filter((c: { verdict?: string }) => c.verdict !== undefined && c.verdict !== 'unrelated')).toEqual([]);
    expect(flat.body.timings_ms.appearance).toBeGreaterThanOrEqual(0);
    const bad = await call(s.url, '/analysis/provenance', { json: { image_id: 'x', texture_poor: 'yes' } });
    expect(bad.status).toBe(400);
  });
});

describe('POST /analysis/provenance without the index', () => {
  it('answers 400 PROVENANCE_NOT_ENABLED', async () => {
    const plain = await startStack({});
    try {
      const r = await call(plain.url, '/analysis/provenance', { json: { image_id: 'x' } });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('PROVENANCE_NOT_ENABLED');
    } finally {
      await plain.stop();
    }
  });
});
