/**
 * The dashboard of a service without API keys (loopback only): no sign-in, and
 * the service's browser guards hold for /ui as for the API: the Host guard (DNS
 * rebinding), the Origin guard, and /ui/api's own same-origin rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../hostile/raw-request.js';
import { call, startStack, type Stack } from '../stack.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
}, 60_000);
afterAll(async () => {
  await s?.stop();
});

describe('dashboard without API keys', () => {
  it('serves the pages without sign-in, with the security headers', async () => {
    const page = await fetch(`${s.url}/ui`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).toMatch(/^<!doctype html>[\s\S]*Overview[\s\S]*healthy/);
    const login = await fetch(`${s.url}/ui/login`, { redirect: 'manual' });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/ui');
  });

  it('refuses a DNS-rebinding Host on pages and dashboard calls', async () => {
    const port = new URL(s.url).port;
    for (const path of ['/ui', '/ui/api/analysis/cache/stats']) {
      const r = await rawRequest(s.url + path, { headers: { host: `rebind.example:${port}`, 'x-featcache-ui': '1' } });
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('HOST_NOT_ALLOWED');
    }
  });

  it('answers /ui/api only to same-origin dashboard calls; cross-site writes are refused before they run', async () => {
    expect((await call(s.url, '/ui/api/analysis/cache/stats')).body.error.code).toBe('CROSS_ORIGIN_REFUSED');
    expect((await call(s.url, '/ui/api/analysis/cache/stats', { headers: { 'x-featcache-ui': '1' } })).status).toBe(200);
    await call(s.url, '/analysis/cache/batch-set', { json: { items: [{ image_id: 'kept', features: { a: 1 } }] } });
    const cross = await call(s.url, '/ui/api/analysis/cache/cleanup', { method: 'POST', headers: { 'x-featcache-ui': '1', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' } });
    expect(cross.status).toBe(403);
    expect(cross.body.error.code).toBe('CROSS_ORIGIN_REFUSED');
    const del = await call(s.url, '/ui/api/analysis/cache/image/kept', { method: 'DELETE', headers: { 'x-featcache-ui': '1', 'sec-fetch-site': 'same-site' } });
    expect(del.status).toBe(403);
    expect((await call(s.url, '/analysis/cache/image/kept')).status).toBe(200);
    // the same calls from the dashboard's own page are forwarded to the API (a body-less POST included)
    const same = { 'x-featcache-ui': '1', 'sec-fetch-site': 'same-origin' };
    expect((await call(s.url, '/ui/api/analysis/cache/cleanup', { method: 'POST', headers: same })).body).toMatchObject({ success: true });
    expect((await call(s.url, '/ui/api/analysis/cache/image/kept', { method: 'DELETE', headers: same })).status).toBe(200);
    expect((await call(s.url, '/analysis/cache/image/kept')).status).toBe(404);
    // sign-in from another site (login CSRF) is refused too
    const login = await call(s.url, '/ui/login', { method: 'POST', raw: 'key=x', headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' } });
    expect(login.status).toBe(403);
  });

  it('counts a dashboard call once, under the API route it reached', async () => {
    const count = async (route: string, status: number): Promise<number> => {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith('featcache_http_requests_total{') && l.includes(`route="${route}"`) && l.includes(`status="${status}"`) && l.includes('method="GET"'));
      return line === undefined ? 0 : Number(line.split(' ').pop());
    };
    const api = await count('/analysis/cache/stats', 200);
    const ui = await count('/ui/api', 200);
    expect((await call(s.url, '/ui/api/analysis/cache/stats', { headers: { 'x-featcache-ui': '1' } })).status).toBe(200);
    expect(await count('/analysis/cache/stats', 200)).toBe(api + 1);
    expect(await count('/ui/api', 200)).toBe(ui);
    // a refused dashboard call never reaches the API: it is counted once, as /ui/api
    const refused = await count('/ui/api', 403);
    expect((await call(s.url, '/ui/api/analysis/cache/stats')).status).toBe(403);
    expect(await count('/ui/api', 403)).toBe(refused + 1);
  });
});
