/**
 * Records by source on the real service: what POST /analysis/features extracts
 * is readable by GET image and batch-get (they answered 404 / missing before),
 * each answer names its `source`, and `source` picks stored or extracted records.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startStack, type Stack } from './stack.js';

let s: Stack;
let png: Buffer;

beforeAll(async () => {
  s = await startStack();
  png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
    .png()
    .toBuffer();
  const extracted = await call(s.url, '/analysis/features?image_id=both', { raw: new Uint8Array(png), headers: { 'content-type': 'image/png' } });
  expect(extracted.status).toBe(200);
  const onlyExtracted = await call(s.url, '/analysis/features?image_id=ext-only', { raw: new Uint8Array(png), headers: { 'content-type': 'image/png' } });
  expect(onlyExtracted.status).toBe(200);
  expect((await call(s.url, '/analysis/cache/image/both', { method: 'PUT', json: { features: { label: 'mine' } } })).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await s.stop();
});

describe('GET /analysis/cache/image/{id} by source', () => {
  it('an extracted record is found (source "extracted"), with the extraction version', async () => {
    const r = await call(s.url, '/analysis/cache/image/ext-only');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ success: true, image_id: 'ext-only', source: 'extracted', version: expect.stringMatching(/^1\.0\+avg_color\.1\+/) });
    expect(r.body.features.phash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('any (the default) prefers the stored record; stored and extracted pick one', async () => {
    expect((await call(s.url, '/analysis/cache/image/both')).body).toMatchObject({ source: 'stored', features: { label: 'mine' } });
    expect((await call(s.url, '/analysis/cache/image/both?source=extracted')).body).toMatchObject({ source: 'extracted', features: { phash: expect.any(String) } });
    expect((await call(s.url, '/analysis/cache/image/ext-only?source=stored')).status).toBe(404);
    const bad = await call(s.url, '/analysis/cache/image/both?source=elsewhere');
    expect(bad.status).toBe(400);
    expect(bad.body.success).toBe(false);
  });
});

describe('POST /analysis/cache/batch-get by source', () => {
  it('finds stored and extracted records in one request, each with its source', async () => {
    const r = await call(s.url, '/analysis/cache/batch-get', { json: { image_ids: ['both', 'ext-only', 'nowhere'] } });
    expect(r.status).toBe(200);
    expect(r.body.found.both).toMatchObject({ source: 'stored', features: { label: 'mine' } });
    expect(r.body.found['ext-only']).toMatchObject({ source: 'extracted' });
    expect(r.body.missing).toEqual(['nowhere']);
  });

  it('source: "extracted" / "stored" reads one source only (msgpack too)', async () => {
    const ext = await call(s.url, '/analysis/cache/batch-get', { json: { image_ids: ['both', 'ext-only'], source: 'extracted' }, accept: 'msgpack' });
    expect(ext.headers.get('content-type')).toContain('msgpack');
    expect(Object.keys(ext.body.found).sort()).toEqual(['both', 'ext-only']);
    expect(ext.body.found.both.source).toBe('extracted');
    const stored = await call(s.url, '/analysis/cache/batch-get', { json: { image_ids: ['both', 'ext-only'], source: 'stored' } });
    expect(Object.keys(stored.body.found)).toEqual(['both']);
    expect(stored.body.missing).toEqual(['ext-only']);
    expect((await call(s.url, '/analysis/cache/batch-get', { json: { image_ids: ['both'], source: 'both' } })).status).toBe(400);
  });
});
