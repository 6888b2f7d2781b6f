/**
 * Issue 11 item 5: the input policy, one rule each (docs/HTTP.md, "Input
 * policy"). Over real HTTP against a real Redis, plus the library's own ID rule
 * and the configuration rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { createFeatureCache } from '../../../src/index.js';
import { startServer } from '../../../src/server.js';
import type { FeatureCache } from '../../../src/types.js';
import { call, startStack, type Stack } from '../stack.js';
import { rawRequest } from './raw-request.js';

let s: Stack;
let lib: FeatureCache;
beforeAll(async () => {
  s = await startStack({ FEATCACHE_SIMILARITY: 'false' });
  lib = await createFeatureCache({ redis: s.redis.url, prefix: 'policy-lib' });
});
afterAll(async () => {
  await lib?.close();
  await s?.stop();
});

const put = (id: string, body: unknown, wire: 'json' | 'msgpack' = 'json') =>
  call(s.url, `/analysis/cache/image/${encodeURIComponent(id)}`, { method: 'PUT', [wire]: body });
const setOne = (id: string, features: unknown, wire: 'json' | 'msgpack' = 'json') =>
  call(s.url, '/analysis/cache/batch-set', { [wire]: { items: [{ image_id: id, features }] } });
const postJsonText = (path: string, text: string) =>
  rawRequest(s.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });

describe('non-finite numbers are refused on every wire (never stored, never turned into null)', () => {
  it('JSON 1e400 and -1e400 are 400 INVALID_FEATURES naming the value', async () => {
    for (const lit of ['1e400', '-1e400']) {
      const r = await postJsonText('/analysis/cache/batch-set', `{"items":[{"image_id":"nf-json","features":{"v":[1,${lit}]}}]}`);
      expect(r.status, lit).toBe(400);
      expect(r.body.error.code).toBe('INVALID_FEATURES');
      expect(r.body.error.message).toContain('items[0].features.v[1]');
    }
    expect((await call(s.url, '/analysis/cache/image/nf-json')).status).toBe(404);
  });

  it('msgpack NaN, Infinity and a Float32Array holding NaN are 400 INVALID_FEATURES', async () => {
    for (const features of [{ v: Number.NaN }, { v: [0, Number.POSITIVE_INFINITY] }, { v: { w: Number.NEGATIVE_INFINITY } }, { e: new Float32Array([1, Number.NaN]) }]) {
      const r = await put('nf-mp', { features }, 'msgpack');
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('INVALID_FEATURES');
    }
    expect((await call(s.url, '/analysis/cache/image/nf-mp')).status).toBe(404);
    // finite values, and float arrays, still round-trip exactly
    expect((await put('nf-ok', { features: { e: new Float32Array([1.5, -0]), v: 1e308 } }, 'msgpack')).status).toBe(200);
  });
});

describe('image IDs', () => {
  it('lone surrogates are 400 INVALID_IMAGE_ID; "s\\ufffd" is its own record', async () => {
    for (const id of ['s\ud800', 's\udfff']) {
      const r = await setOne(id, { a: 1 });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('INVALID_IMAGE_ID');
    }
    expect((await setOne('s\ufffd', { a: 2 })).status).toBe(200);
    const got = await call(s.url, '/analysis/cache/batch-get', { json: { image_ids: ['s\ufffd'] } });
    expect(got.body.found['s\ufffd'].features).toEqual({ a: 2 });
  });

  it('invalid UTF-8 in a JSON or msgpack body is 400 MALFORMED_BODY (not U+FFFD)', async () => {
    const json = Buffer.concat([Buffer.from('{"items":[{"image_id":"s'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('","features":{"a":1}}]}')]);
    const r = await rawRequest(`${s.url}/analysis/cache/batch-set`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: json });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('MALFORMED_BODY');
    // {image_ids: ["s" + 0xff]}
    const mp = Buffer.from([0x81, 0xa9, ...Buffer.from('image_ids'), 0x91, 0xa2, 0x73, 0xff]);
    const m = await rawRequest(`${s.url}/analysis/cache/batch-get`, { method: 'POST', headers: { 'content-type': 'application/msgpack' }, body: mp });
    expect(m.status).toBe(400);
    expect(m.body.error.code).toBe('MALFORMED_BODY');
  });

  it('"." and ".." are refused (no path could address them)', async () => {
    for (const id of ['.', '..']) {
      const r = await setOne(id, { a: 1 });
      expect(r.status, id).toBe(400);
      expect(r.body.error.code).toBe('INVALID_IMAGE_ID');
    }
    expect((await setOne('...', { a: 1 })).status).toBe(200);
    expect((await call(s.url, '/analysis/cache/image/...')).status).toBe(200);
  });

  it('the library refuses the same IDs', async () => {
    for (const id of ['s\ud800', 's\udfff', '.', '..']) {
      await expect(lib.set(id, { a: 1 })).rejects.toMatchObject({ code: 'INVALID_IMAGE_ID' });
    }
    await lib.set('s\ufffd', { a: 1 });
    expect(await lib.get('s\ufffd')).not.toBeNull();
  });
});

describe('__proto__ features', () => {
  it('a top-level __proto__ feature is refused like a nested one, in JSON (also escaped) and msgpack alike', async () => {
    const bodies = [
      '{"items":[{"image_id":"proto-top","features":{"__proto__":{"x":1},"a":1}}]}',
      '{"items":[{"image_id":"proto-top","features":{"\\u005f_proto__":1,"a":1}}]}',
      '{"items":[{"image_id":"proto-nested","features":{"a":{"__proto__":{"x":1}}}}]}',
    ];
    for (const text of bodies) {
      const r = await postJsonText('/analysis/cache/batch-set', text);
      expect(r.status, text).toBe(400);
      expect(r.body.error.code).toBe('MALFORMED_BODY');
      expect(r.body.error.message).toContain('__proto__');
    }
    // a value spelled "__proto__" is data, not a key
    expect((await postJsonText('/analysis/cache/batch-set', '{"items":[{"image_id":"proto-value","features":{"a":"__proto__"}}]}')).status).toBe(200);
    // msgpack: {items: [{image_id: "proto-mp", features: {__proto__: 1}}]}
    const mp = Buffer.concat([
      Buffer.from([0x81, 0xa5]), Buffer.from('items'), Buffer.from([0x91, 0x82, 0xa8]), Buffer.from('image_id'), Buffer.from([0xa8]), Buffer.from('proto-mp'),
      Buffer.from([0xa8]), Buffer.from('features'), Buffer.from([0x81, 0xa9]), Buffer.from('__proto__'), Buffer.from([0x01]),
    ]);
    const m = await rawRequest(`${s.url}/analysis/cache/batch-set`, { method: 'POST', headers: { 'content-type': 'application/msgpack' }, body: mp });
    expect(m.status).toBe(400);
    expect(m.body.error.code).toBe('MALFORMED_BODY');
    expect(m.body.error.message).toContain('__proto__');
    expect((await call(s.url, '/analysis/cache/image/proto-top')).status).toBe(404);
  });
});

describe('configuration', () => {
  const fails = (env: Record<string, string>, variable: string, pattern: RegExp) => {
    let err: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(variable);
    expect((err as Error).message).toMatch(pattern);
  };

  it('beyond loopback, keys shorter than 16 characters are refused', () => {
    fails({ HOST: '0.0.0.0', FEATCACHE_API_KEYS: 'short:read' }, 'FEATCACHE_API_KEYS', /at least 16/);
    expect(loadConfig({ HOST: '0.0.0.0', FEATCACHE_API_KEYS: 'sixteen-chars-ok:read' }).apiKeys).toHaveLength(1);
    expect(loadConfig({ HOST: '127.0.0.1', FEATCACHE_API_KEYS: 'short:read' }).apiKeys).toHaveLength(1);
  });

  it('a key listed with both scopes is refused', () => {
    fails({ HOST: '0.0.0.0', FEATCACHE_API_KEYS: 'same-key-0123456789:read,same-key-0123456789:write' }, 'FEATCACHE_API_KEYS', /both scopes/);
  });

  it('HOST=[::1] is loopback and the service listens on it', async () => {
    const config = loadConfig({ HOST: '[::1]', PORT: '0', REDIS_URL: s.redis.url, LOG_LEVEL: 'silent', FEATCACHE_SIMILARITY: 'false', FEATCACHE_EXTRACT_WORKERS: '1' });
    expect(config.host).toBe('::1');
    const server = await startServer(config);
    try {
      expect(server.url).toContain('[::1]');
      expect((await call(server.url, '/livez')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('FEATCACHE_CORS_ORIGINS and FEATCACHE_ALLOWED_HOSTS are validated', () => {
    fails({ FEATCACHE_CORS_ORIGINS: 'https://app.example/path' }, 'FEATCACHE_CORS_ORIGINS', /not an origin/);
    fails({ FEATCACHE_CORS_ORIGINS: '*' }, 'FEATCACHE_CORS_ORIGINS', /not an origin/);
    fails({ FEATCACHE_ALLOWED_HOSTS: 'http://x.example' }, 'FEATCACHE_ALLOWED_HOSTS', /host names/);
    const c = loadConfig({ FEATCACHE_CORS_ORIGINS: 'https://App.example, http://localhost:3000', FEATCACHE_ALLOWED_HOSTS: 'Cache.Internal' });
    expect(c.corsOrigins).toEqual(['https://app.example', 'http://localhost:3000']);
    expect(c.allowedHosts).toEqual(['cache.internal']);
  });
});
