/** API keys and scopes, over real HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startStack, type Stack } from './stack.js';

const READ = 'reader-key-0123456789';
const WRITE = 'writer-key-9876543210';

let s: Stack;
beforeAll(async () => {
  s = await startStack({ FEATCACHE_API_KEYS: `${READ}:read,${WRITE}:write` });
});
afterAll(async () => {
  await s?.stop();
});

const put = (key?: string) =>
  call(s.url, '/analysis/cache/image/auth-1', { method: 'PUT', json: { features: { a: 1 } }, ...(key ? { key } : {}) });

describe('auth', () => {
  it('a missing key is 401 UNAUTHORIZED on read and write routes', async () => {
    for (const r of [await call(s.url, '/analysis/cache/stats'), await put()]) {
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ success: false, error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    }
  });

  it('a wrong key, a malformed header and a near-miss key are 401', async () => {
    expect((await call(s.url, '/analysis/cache/stats', { key: 'nope' })).status).toBe(401);
    expect((await call(s.url, '/analysis/cache/stats', { key: READ.slice(0, -1) })).status).toBe(401);
    expect((await call(s.url, '/analysis/cache/stats', { key: `${READ}x` })).status).toBe(401);
    expect((await call(s.url, '/analysis/cache/stats', { headers: { authorization: READ } })).status).toBe(401);
    expect((await call(s.url, '/analysis/cache/stats', { headers: { authorization: `Basic ${READ}` } })).status).toBe(401);
  });

  it('the read key reads but is 403 FORBIDDEN on every write route', async () => {
    expect((await call(s.url, '/analysis/cache/stats', { key: READ })).status).toBe(200);
    expect((await call(s.url, '/analysis/cache/image/auth-x', { key: READ })).status).toBe(404);
    const writes = [
      await put(READ),
      await call(s.url, '/analysis/cache/image/auth-1', { method: 'DELETE', key: READ }),
      await call(s.url, '/analysis/cache/cleanup', { method: 'POST', key: READ }),
      await call(s.url, '/analysis/cache/batch-set', { json: { items: [{ image_id: 'x', features: {} }] }, key: READ }),
      await call(s.url, '/analysis/cache/group/g', { method: 'DELETE', key: READ }),
    ];
    for (const r of writes) {
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('FORBIDDEN');
    }
    // and nothing was written
    expect((await call(s.url, '/analysis/cache/image/auth-1', { key: READ })).status).toBe(404);
  });

  it('the write key can write and read', async () => {
    expect((await put(WRITE)).status).toBe(200);
    expect((await call(s.url, '/analysis/cache/image/auth-1', { key: WRITE })).status).toBe(200);
    expect((await call(s.url, '/analysis/cache/batch-get', { json: { image_ids: ['auth-1'] }, key: WRITE })).status).toBe(200);
    expect((await call(s.url, '/analysis/cache/image/auth-1', { method: 'DELETE', key: WRITE })).status).toBe(200);
  });

  it('the scheme name is case-insensitive', async () => {
    expect((await call(s.url, '/analysis/cache/stats', { headers: { authorization: `bearer ${READ}` } })).status).toBe(200);
  });

  it('auth is checked before the body is read: an unauthenticated oversized body is 401, not 413', async () => {
    const r = await call(s.url, '/analysis/cache/batch-set', { raw: 'x'.repeat(17 * 1024 * 1024), headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(401);
  });

  it('probes, openapi and docs are public; health and metrics need a key', async () => {
    expect((await call(s.url, '/livez')).status).toBe(200);
    expect((await call(s.url, '/readyz')).status).toBe(200);
    expect((await call(s.url, '/openapi.json')).status).toBe(200);
    expect((await call(s.url, '/docs')).status).toBe(200);
    expect((await call(s.url, '/analysis/cache/health')).status).toBe(401);
    expect((await call(s.url, '/metrics')).status).toBe(401);
    expect((await call(s.url, '/metrics', { key: READ })).status).toBe(200);
  });

  it('the OpenAPI document marks secured routes', async () => {
    const doc = (await call(s.url, '/openapi.json')).body;
    expect(doc.paths['/analysis/cache/batch-set'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/analysis/cache/batch-set'].post['x-scope']).toBe('write');
    expect(doc.paths['/livez'].get.security).toEqual([]);
  });

  it('keys never appear in metrics', async () => {
    const text = (await call(s.url, '/metrics', { key: READ })).body as string;
    expect(text).not.toContain(READ);
    expect(text).not.toContain(WRITE);
  });
});
