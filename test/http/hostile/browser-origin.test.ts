/**
 * Issue 11 item 4: browser-origin attacks on the no-key (loopback) mode, over
 * real HTTP: Host (DNS rebinding), cross-site state-changing requests,
 * bodies without a Content-Type, CORS off by default and its allow-list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startStack, type Stack } from '../stack.js';
import { form, scene } from '../images.js';
import { rawRequest } from './raw-request.js';

const EVIL = 'https://evil.example';
const APP = 'http://app.example:3000';

let s: Stack; // no keys: loopback mode
let cors: Stack; // no keys, CORS and one extra host allowed
beforeAll(async () => {
  s = await startStack({ FEATCACHE_EXTRACT_WORKERS: '1' });
  cors = await startStack({ FEATCACHE_CORS_ORIGINS: APP, FEATCACHE_ALLOWED_HOSTS: 'cache.internal', FEATCACHE_SIMILARITY: 'false', FEATCACHE_EXTRACT_WORKERS: '1' });
});
afterAll(async () => {
  await s?.stop();
  await cors?.stop();
});

const port = (st: Stack) => new URL(st.url).port;
const item = (id: string) => JSON.stringify({ items: [{ image_id: id, features: { a: 1 } }] });
const stored = async (st: Stack, id: string) => (await call(st.url, '/analysis/cache/batch-get', { json: { image_ids: [id] } })).body.missing.length === 0;

describe('Host (DNS rebinding) without API keys', () => {
  it('a foreign Host is 403 HOST_NOT_ALLOWED, on reads too', async () => {
    for (const host of [`evil.example:${port(s)}`, 'evil.example', `10.0.0.1:${port(s)}`, `localhost.evil.example:${port(s)}`]) {
      const r = await rawRequest(`${s.url}/analysis/cache/stats`, { headers: { host } });
      expect(r.status, host).toBe(403);
      expect(r.body.error.code).toBe('HOST_NOT_ALLOWED');
    }
  });

  it('loopback names and addresses, and FEATCACHE_ALLOWED_HOSTS, are served', async () => {
    for (const host of [`localhost:${port(s)}`, `127.0.0.1:${port(s)}`, `[::1]:${port(s)}`, 'LOCALHOST', '127.0.0.2']) {
      expect((await rawRequest(`${s.url}/analysis/cache/stats`, { headers: { host } })).status, host).toBe(200);
    }
    expect((await rawRequest(`${cors.url}/analysis/cache/stats`, { headers: { host: `cache.internal:${port(cors)}` } })).status).toBe(200);
    expect((await rawRequest(`${cors.url}/analysis/cache/stats`, { headers: { host: `other.internal:${port(cors)}` } })).status).toBe(403);
  });
});

describe('cross-site state-changing requests', () => {
  it('a batch-set with Origin evil.example and no Content-Type writes nothing', async () => {
    const r = await rawRequest(`${s.url}/analysis/cache/batch-set`, { method: 'POST', headers: { origin: EVIL }, body: item('evil-1') });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('CROSS_ORIGIN_REFUSED');
    expect(await stored(s, 'evil-1')).toBe(false);
  });

  it('Sec-Fetch-Site: cross-site or same-site is refused even without Origin; same-origin and none pass', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const r = await rawRequest(`${s.url}/analysis/cache/batch-set`, { method: 'POST', headers: { 'sec-fetch-site': site, 'content-type': 'application/json' }, body: item('evil-2') });
      expect(r.status, site).toBe(403);
    }
    expect(await stored(s, 'evil-2')).toBe(false);
    for (const site of ['same-origin', 'none']) {
      const r = await rawRequest(`${s.url}/analysis/cache/batch-set`, { method: 'POST', headers: { 'sec-fetch-site': site, 'content-type': 'application/json' }, body: item(`ok-${site}`) });
      expect(r.status, site).toBe(200);
    }
  });

  it('POST cleanup and DELETE from another origin are refused; the service\'s own origin passes', async () => {
    const cleanup = await rawRequest(`${s.url}/analysis/cache/cleanup`, { method: 'POST', headers: { origin: EVIL } });
    expect(cleanup.status).toBe(403);
    const del = await rawRequest(`${s.url}/analysis/cache/image/ok-none`, { method: 'DELETE', headers: { origin: 'null' } });
    expect(del.status).toBe(403);
    expect(await stored(s, 'ok-none')).toBe(true);
    const own = await rawRequest(`${s.url}/analysis/cache/cleanup`, { method: 'POST', headers: { origin: s.url } });
    expect(own.status).toBe(200);
  });

  it('a cross-site multipart upload does not extract', async () => {
    const body = new Request('http://x/', { method: 'POST', body: form(await scene(1), { image_id: 'evil-upload' }) });
    const r = await rawRequest(`${s.url}/analysis/features`, {
      method: 'POST',
      headers: { origin: EVIL, 'content-type': body.headers.get('content-type')! },
      body: new Uint8Array(await body.arrayBuffer()),
    });
    expect(r.status).toBe(403);
    expect((await call(s.url, '/analysis/cache/stats')).body.stats.extracted_images ?? 0).toBe(0);
  });

  it('GET from another origin is served (the browser keeps the answer from the page: CORS is off)', async () => {
    const r = await rawRequest(`${s.url}/analysis/cache/stats`, { headers: { origin: EVIL } });
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('Content-Type', () => {
  it('a body without Content-Type is 415, never taken as JSON', async () => {
    const r = await rawRequest(`${s.url}/analysis/cache/batch-set`, { method: 'POST', body: item('no-type') });
    expect(r.status).toBe(415);
    expect(r.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await stored(s, 'no-type')).toBe(false);
    const text = await rawRequest(`${s.url}/analysis/cache/batch-set`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: item('text-type') });
    expect(text.status).toBe(415);
  });
});

describe('CORS', () => {
  it('is off by default: a preflight gets no Access-Control-Allow-Origin', async () => {
    const r = await rawRequest(`${s.url}/analysis/cache/batch-set`, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('FEATCACHE_CORS_ORIGINS allows exactly the listed origins, for reads and writes', async () => {
    const pre = await rawRequest(`${cors.url}/analysis/cache/batch-set`, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(APP);
    expect(pre.headers['access-control-allow-headers']).toMatch(/content-type/i);
    const write = await rawRequest(`${cors.url}/analysis/cache/batch-set`, {
      method: 'POST',
      headers: { origin: APP, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
      body: item('from-app'),
    });
    expect(write.status).toBe(200);
    expect(write.headers['access-control-allow-origin']).toBe(APP);
    const evil = await rawRequest(`${cors.url}/analysis/cache/stats`, { headers: { origin: EVIL } });
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    const evilWrite = await rawRequest(`${cors.url}/analysis/cache/batch-set`, { method: 'POST', headers: { origin: EVIL, 'content-type': 'application/json' }, body: item('from-evil') });
    expect(evilWrite.status).toBe(403);
  });
});
