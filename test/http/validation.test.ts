/** Every validation rule and limit, plus what the logs may and may not contain. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startStack, type Stack } from './stack.js';

const WRITE = 'validation-write-key-0001';
const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    lines.push(chunk.toString());
    cb();
  },
});

let s: Stack;
beforeAll(async () => {
  s = await startStack(
    { FEATCACHE_MAX_BODY_BYTES: '4096', FEATCACHE_MAX_BATCH: '5', FEATCACHE_MAX_IMAGE_ID_BYTES: '32', FEATCACHE_API_KEYS: `${WRITE}:write` },
    { logger: pino({ level: 'debug' }, sink) },
  );
});
afterAll(async () => {
  await s?.stop();
});

const key = WRITE;
const put = (id: string, body: unknown) => call(s.url, `/analysis/cache/image/${encodeURIComponent(id)}`, { method: 'PUT', json: body, key });
const expectError = (r: { status: number; body: { success: boolean; error: { code: string; message: string } } }, status: number, code: string) => {
  expect(r.status).toBe(status);
  expect(r.body.success).toBe(false);
  expect(r.body.error.code).toBe(code);
  expect(r.body.error.message.length).toBeGreaterThan(0);
};

describe('image IDs', () => {
  it('longer than the limit (bytes, not characters) is 400 INVALID_IMAGE_ID', async () => {
    expect((await put('a'.repeat(32), { features: { x: 1 } })).status).toBe(200);
    expectError(await put('a'.repeat(33), { features: { x: 1 } }), 400, 'INVALID_IMAGE_ID');
    expectError(await put('é'.repeat(17), { features: { x: 1 } }), 400, 'INVALID_IMAGE_ID'); // 34 bytes, 17 chars
    expectError(await call(s.url, `/analysis/cache/image/${'b'.repeat(40)}`, { key }), 400, 'INVALID_IMAGE_ID');
  });

  it('control characters are 400 INVALID_IMAGE_ID, in the path and in batches', async () => {
    expectError(await put('bad\nid', { features: { x: 1 } }), 400, 'INVALID_IMAGE_ID');
    expectError(await call(s.url, '/analysis/cache/batch-get', { json: { image_ids: ['ok', 'tab\there'] }, key }), 400, 'INVALID_IMAGE_ID');
    const r = await call(s.url, '/analysis/cache/batch-set', { json: { items: [{ image_id: '\u0007', features: {} }] }, key });
    expectError(r, 400, 'INVALID_IMAGE_ID');
    expect(r.body.error.message).toContain('items[0].image_id');
  });

  it('empty IDs in a batch and non-string IDs are 400', async () => {
    expectError(await call(s.url, '/analysis/cache/batch-get', { json: { image_ids: [''] }, key }), 400, 'INVALID_IMAGE_ID');
    expectError(await call(s.url, '/analysis/cache/batch-get', { json: { image_ids: [42] }, key }), 400, 'INVALID_IMAGE_ID');
  });
});

describe('bodies', () => {
  it('missing or non-object features is 400 INVALID_FEATURES', async () => {
    expectError(await put('f1', {}), 400, 'INVALID_FEATURES');
    expectError(await put('f1', { features: [1, 2] }), 400, 'INVALID_FEATURES');
    expectError(await put('f1', { features: 'x' }), 400, 'INVALID_FEATURES');
  });

  it('unknown fields, wrong ttl and bad groups are 400 INVALID_REQUEST', async () => {
    expectError(await put('f2', { features: { a: 1 }, extra: true }), 400, 'INVALID_REQUEST');
    expectError(await put('f2', { features: { a: 1 }, ttl_seconds: -1 }), 400, 'INVALID_REQUEST');
    expectError(await put('f2', { features: { a: 1 }, ttl_seconds: 1.5 }), 400, 'INVALID_REQUEST');
    expectError(await put('f2', { features: { a: 1 }, ttl_seconds: '60' }), 400, 'INVALID_REQUEST');
    expectError(await put('f2', { features: { a: 1 }, groups: [''] }), 400, 'INVALID_REQUEST');
    expectError(await put('f2', { features: { a: 1 }, groups: 'g' }), 400, 'INVALID_REQUEST');
    expectError(await call(s.url, '/analysis/cache/batch-get', { json: { imageIds: ['a'] }, key }), 400, 'INVALID_REQUEST');
    expectError(await call(s.url, '/analysis/cache/batch-get', { json: { image_ids: [] }, key }), 400, 'INVALID_REQUEST');
    expectError(await call(s.url, '/analysis/cache/batch-set', { json: { items: [] }, key }), 400, 'INVALID_REQUEST');
  });

  it('invalid group names in the path are 400', async () => {
    expectError(await call(s.url, `/analysis/cache/group/${'g'.repeat(33)}`, { key }), 400, 'INVALID_REQUEST');
    expectError(await call(s.url, `/analysis/cache/group/${encodeURIComponent('a\u0001b')}`, { method: 'DELETE', key }), 400, 'INVALID_REQUEST');
  });

  it('malformed JSON is 400 MALFORMED_BODY; other media types are 415', async () => {
    expectError(await call(s.url, '/analysis/cache/batch-get', { raw: '{"image_ids": [', headers: { 'content-type': 'application/json' }, key }), 400, 'MALFORMED_BODY');
    expectError(await call(s.url, '/analysis/cache/batch-get', { raw: 'image_ids=a', headers: { 'content-type': 'application/x-www-form-urlencoded' }, key }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('a body over FEATCACHE_MAX_BODY_BYTES is 413, with or without Content-Length', async () => {
    const big = { features: { blob: 'x'.repeat(5000) } };
    expectError(await put('big', big), 413, 'PAYLOAD_TOO_LARGE');
    // chunked upload (no Content-Length): refused while streaming
    const stream = new ReadableStream<Uint8Array>({
      start(ctrl) {
        for (let i = 0; i < 10; i++) ctrl.enqueue(new TextEncoder().encode('x'.repeat(1000)));
        ctrl.close();
      },
    });
    const res = await fetch(`${s.url}/analysis/cache/batch-set`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: stream,
      duplex: 'half',
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    // just under the limit passes
    expect((await put('small', { features: { blob: 'x'.repeat(3000) } })).status).toBe(200);
  });

  it('a batch over FEATCACHE_MAX_BATCH is 413 BATCH_TOO_LARGE', async () => {
    const ids = ['1', '2', '3', '4', '5', '6'];
    expectError(await call(s.url, '/analysis/cache/batch-get', { json: { image_ids: ids }, key }), 413, 'BATCH_TOO_LARGE');
    const items = ids.map((id) => ({ image_id: id, features: { a: 1 } }));
    expectError(await call(s.url, '/analysis/cache/batch-set', { json: { items }, key }), 413, 'BATCH_TOO_LARGE');
    expect((await call(s.url, '/analysis/cache/batch-set', { json: { items: items.slice(0, 5) }, key })).body.written).toBe(5);
  });

  it('the OpenAPI document carries the configured limits', async () => {
    const doc = (await call(s.url, '/openapi.json')).body;
    const schema = doc.paths['/analysis/cache/batch-get'].post.requestBody.content['application/json'].schema;
    expect(schema.properties.image_ids.maxItems).toBe(5);
  });
});

describe('logs', () => {
  it('carry request ids, never feature payloads or API keys', async () => {
    const marker = 'SECRET-FEATURE-PAYLOAD-42';
    await call(s.url, '/analysis/cache/image/log-1', { method: 'PUT', json: { features: { note: marker } }, key, headers: { 'x-request-id': 'req-log-1' } });
    await call(s.url, '/analysis/cache/image/log-1', { key: 'wrong-key', headers: { 'x-request-id': 'req-log-2' } });
    const all = lines.join('');
    expect(all).toContain('"reqId":"req-log-1"'); // debug access line
    expect(all).toMatch(/"reqId":"req-log-2".*"status":401/);
    expect(all).not.toContain(marker);
    expect(all).not.toContain(WRITE);
    expect(all).not.toContain('wrong-key');
  });
});
