/**
 * POST /analysis/similar with `orientations: 'all'` on the real service: a 90°-rotated
 * and a mirrored copy of a generated textured image are found (and say how), and are
 * not without the option.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { texturedPng } from '../features/fixtures.js';
import { form } from './images.js';
import { call, startStack, type Stack } from './stack.js';

let s: Stack;
let source: Buffer;

const found = (body: { neighbors: Array<{ image_id: string; orientation?: string }> }) =>
  Object.fromEntries(body.neighbors.map((n) => [n.image_id, n.orientation ?? null]));

beforeAll(async () => {
  s = await startStack({ FEATCACHE_EXPECTED_IMAGES: '10000', FEATCACHE_EXTRACT_WORKERS: '1' });
  source = await texturedPng(51, 360, 240);
  const upload = async (id: string, image: Buffer) => {
    const r = await call(s.url, `/analysis/features?image_id=${id}`, { raw: new Uint8Array(image), headers: { 'content-type': 'image/png' } });
    expect(r.status).toBe(200);
  };
  await upload('rotated', await sharp(source).rotate(90).png().toBuffer());
  await upload('mirrored', await sharp(source).flop().png().toBuffer());
  await upload('other', await texturedPng(52, 360, 240));
}, 120_000);

afterAll(async () => {
  await s?.stop();
});

describe("POST /analysis/similar { orientations: 'all' }", () => {
  it('an uploaded image finds its rotated and mirrored copies only with the option', async () => {
    const plain = await call(s.url, '/analysis/similar', { raw: form(source, { max_distance: '8' }) });
    expect(plain.status).toBe(200);
    expect(found(plain.body)).toEqual({});

    const all = await call(s.url, '/analysis/similar', { raw: form(source, { max_distance: '8', orientations: 'all' }) });
    expect(all.status).toBe(200);
    expect(all.body.orientations).toBe('all');
    expect(found(all.body)).toEqual({ rotated: 'rot90', mirrored: 'mirror' });
  });

  it('an image_id query in JSON finds the other copies, under the composed orientation', async () => {
    const r = await call(s.url, '/analysis/similar', { json: { image_id: 'rotated', orientations: 'all' } });
    expect(r.status).toBe(200);
    // mirrored = mirror(source) and rotated = rot90(source): mirrored = mirror(rot270(rotated)) = rot90(mirror(rotated))
    expect(found(r.body)).toEqual({ mirrored: 'mirror_rot90' });
    const plain = await call(s.url, '/analysis/similar', { json: { image_id: 'rotated' } });
    expect(found(plain.body)).toEqual({});
  });

  it('refuses orientations with a bare hash, or an unknown value, with 400', async () => {
    const hash = await call(s.url, '/analysis/similar', { json: { phash: '0123456789abcdef', orientations: 'all' } });
    expect(hash.status).toBe(400);
    expect(hash.body).toMatchObject({ success: false, error: { code: expect.any(String) } });
    expect(JSON.stringify(hash.body.error)).toContain('orientations');
    const bad = await call(s.url, '/analysis/similar', { json: { image_id: 'rotated', orientations: 'sideways' } });
    expect(bad.status).toBe(400);
  });
});
