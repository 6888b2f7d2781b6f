/**
 * GET /openapi.json checked by a real validator (@apidevtools/swagger-parser,
 * which dereferences every $ref), the upload declaration Swagger UI's
 * "Try it out" builds its request from, the msgpack ext codes, and content
 * negotiation with q-values — all on the real service.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TYPED_ARRAY_EXT_CODES } from '../../src/http/msgpack.js';
import { call, startStack, type Stack } from './stack.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a parsed document

let s: Stack;
let doc: Json;

beforeAll(async () => {
  s = await startStack();
  doc = (await call(s.url, '/openapi.json')).body as Json;
}, 30_000);
afterAll(async () => {
  await s.stop();
});

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document whose every $ref resolves', async () => {
    // validate() throws on the first unresolved pointer or schema violation
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
    expect(JSON.stringify(doc)).not.toContain('#/$defs/');
    expect(doc['servers']).toEqual([expect.objectContaining({ url: '/' })]);
    expect(Object.keys(doc['components'].schemas)).toEqual(expect.arrayContaining(['Error', 'FeatureRecord']));
  });

  it('declares each upload field once, as a query parameter, and the multipart form with the file only', () => {
    const op = doc['paths']['/analysis/features'].post;
    const imageId = (op.parameters as Json[]).filter((p) => p['name'] === 'image_id');
    expect(imageId).toEqual([expect.objectContaining({ in: 'query', required: true })]);
    const form = op.requestBody.content['multipart/form-data'].schema;
    expect(Object.keys(form.properties)).toEqual(['image']);
    expect(op.requestBody.content['image/*'].schema).toEqual({ type: 'string', format: 'binary' });
  });

  it('a request built from the declaration (as "Try it out" sends it) stores the upload under the given ID', async () => {
    const op = doc['paths']['/analysis/features'].post;
    const png = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#3a7' } }).png().toBuffer();
    // Swagger UI fills every declared form property and query parameter; the old document had image_id in both,
    // and its "string" placeholder in the form won over the query value
    const form = new FormData();
    for (const name of Object.keys(op.requestBody.content['multipart/form-data'].schema.properties)) {
      form.set(name, new Blob([new Uint8Array(png)], { type: 'image/png' }), 'upload.png');
    }
    const query = (op.parameters as Json[]).filter((p) => p['in'] === 'query').map((p) => `${p['name']}=tried-it-out`);
    const res = await fetch(`${s.url}/analysis/features?${query.join('&')}`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Json)['image_id']).toBe('tried-it-out');
  });

  it('describes the msgpack ext codes of typed arrays', () => {
    expect(doc['x-msgpack-ext-types']).toEqual(
      TYPED_ARRAY_EXT_CODES.map(([code, ctor]) => ({ code, type: ctor.name, bytes_per_element: ctor.BYTES_PER_ELEMENT, byte_order: 'little-endian' })),
    );
    expect(doc['info'].description).toContain('| `0x16` (22) | Float32Array | 4 |');
  });
});

describe('content negotiation', () => {
  beforeAll(async () => {
    const put = await call(s.url, '/analysis/cache/image/neg-1', { method: 'PUT', json: { features: { phash: 'ab' } } });
    expect(put.status).toBeLessThan(300);
  });

  it.each([
    ['application/json, application/msgpack;q=0', 'application/json'],
    ['application/msgpack;q=0, application/json', 'application/json'],
    ['application/json;q=0.5, application/msgpack', 'application/msgpack'],
    ['application/msgpack;q=0.4, application/json;q=0.9', 'application/json'],
    ['application/x-msgpack', 'application/msgpack'],
    ['application/msgpack', 'application/msgpack'],
    ['*/*', 'application/json'],
    [undefined, 'application/json'],
  ])('Accept: %s -> %s', async (accept, expected) => {
    const headers: Record<string, string> = accept === undefined ? {} : { accept };
    for (let i = 0; i < 2; i++) {
      // twice: the second answer comes from the per-Accept decision cache
      const r = await call(s.url, '/analysis/cache/image/neg-1', { headers });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toContain(expected);
    }
  });
});
