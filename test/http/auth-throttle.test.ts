/** The wrong-key throttle: per client address, over real HTTP (API and dashboard sign-in) and as a unit. */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthThrottle } from '../../src/http/auth-throttle.js';
import { parseTrustedProxy } from '../../src/http/client-address.js';
import { startStack, type Stack } from './stack.js';

const READ = 'reader-key-0123456789';
const LIMIT = 3;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request from a chosen loopback address (127.0.0.x), so addresses can be told apart. */
function send(url: string, path: string, from: string, opts: { key?: string; method?: string; form?: string; forwardedFor?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.forwardedFor !== undefined) headers['x-forwarded-for'] = opts.forwardedFor;
  if (opts.key !== undefined) headers.authorization = `Bearer ${opts.key}`;
  if (opts.form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method: opts.method ?? 'GET', headers, localAddress: from }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.form);
  });
}

describe('wrong-key throttle over HTTP', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ FEATCACHE_API_KEYS: `${READ}:read`, FEATCACHE_AUTH_FAILURE_LIMIT: String(LIMIT) });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('requests without a key are not counted', async () => {
    for (let i = 0; i < LIMIT + 2; i++) expect((await send(s.url, '/analysis/cache/stats', '127.0.0.2')).status).toBe(401);
    expect((await send(s.url, '/analysis/cache/stats', '127.0.0.2', { key: READ })).status).toBe(200);
  });

  it(`after ${LIMIT} wrong keys the address gets 429 with Retry-After, even with the right key; other addresses do not`, async () => {
    for (let i = 0; i < LIMIT; i++) expect((await send(s.url, '/analysis/cache/stats', '127.0.0.3', { key: `wrong-key-${i}` })).status).toBe(401);
    const refused = await send(s.url, '/analysis/cache/stats', '127.0.0.3', { key: READ });
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toEqual({ success: false, error: { code: 'TOO_MANY_AUTH_FAILURES', message: expect.stringMatching(/retry in \d+ s/) } });
    const wait = Number(refused.headers['retry-after']);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    // public routes stay open, and another address is unaffected
    expect((await send(s.url, '/livez', '127.0.0.3')).status).toBe(200);
    expect((await send(s.url, '/analysis/cache/stats', '127.0.0.4', { key: READ })).status).toBe(200);
  });

  it('the dashboard sign-in counts wrong keys against the same limit and then refuses with 429', async () => {
    for (let i = 0; i < LIMIT; i++) {
      expect((await send(s.url, '/ui/login', '127.0.0.5', { method: 'POST', form: `key=wrong-key-${i}` })).status).toBe(401);
    }
    const refused = await send(s.url, '/ui/login', '127.0.0.5', { method: 'POST', form: `key=${READ}` });
    expect(refused.status).toBe(429);
    expect(refused.headers['set-cookie']).toBeUndefined();
    expect(refused.body).toContain('Too many wrong API keys');
    // the API refuses that address too: it is one budget
    expect((await send(s.url, '/analysis/cache/stats', '127.0.0.5', { key: READ })).status).toBe(429);
  });
});

describe('wrong-key throttle behind a trusted proxy (FEATCACHE_TRUSTED_PROXIES)', () => {
  let s: Stack;
  const PROXY = '127.0.0.7';
  beforeAll(async () => {
    s = await startStack({ FEATCACHE_API_KEYS: `${READ}:read`, FEATCACHE_AUTH_FAILURE_LIMIT: String(LIMIT), FEATCACHE_TRUSTED_PROXIES: `${PROXY},10.0.0.0/8` });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('counts per client named by the proxy: one client throttled, another behind the same proxy not', async () => {
    for (let i = 0; i < LIMIT; i++) {
      // what the client wrote itself (left) is ignored; the proxy's own hops (10.x) are skipped
      const forwardedFor = `203.0.113.${i}, 198.51.100.7, 10.1.2.3`;
      expect((await send(s.url, '/analysis/cache/stats', PROXY, { key: `wrong-${i}`, forwardedFor })).status).toBe(401);
    }
    expect((await send(s.url, '/analysis/cache/stats', PROXY, { key: READ, forwardedFor: '198.51.100.7' })).status).toBe(429);
    expect((await send(s.url, '/analysis/cache/stats', PROXY, { key: READ, forwardedFor: '198.51.100.8' })).status).toBe(200);
  });

  it('an untrusted peer cannot dodge the throttle with X-Forwarded-For', async () => {
    for (let i = 0; i < LIMIT; i++) {
      expect((await send(s.url, '/analysis/cache/stats', '127.0.0.8', { key: `wrong-${i}`, forwardedFor: `198.51.100.${20 + i}` })).status).toBe(401);
    }
    expect((await send(s.url, '/analysis/cache/stats', '127.0.0.8', { key: READ, forwardedFor: '198.51.100.99' })).status).toBe(429);
  });
});

describe('parseTrustedProxy', () => {
  it('takes addresses and subnets of both families, and nothing else', () => {
    expect(parseTrustedProxy('10.0.0.5')).toEqual({ address: '10.0.0.5' });
    expect(parseTrustedProxy(' 10.0.0.0/8 ')).toEqual({ address: '10.0.0.0', prefix: 8 });
    expect(parseTrustedProxy('fd00::/8')).toEqual({ address: 'fd00::', prefix: 8 });
    for (const bad of ['proxy.internal', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/x', '10.0.0.0/8/1', '']) expect(parseTrustedProxy(bad), bad).toBeUndefined();
  });
});

describe('createAuthThrottle', () => {
  it('counts per address in fixed windows and forgets a window when it ends', () => {
    const t = createAuthThrottle({ limit: 2, windowMs: 10_000 });
    t.failed('a', 0);
    expect(t.retryAfter('a', 1)).toBe(0);
    t.failed('a', 1000);
    expect(t.retryAfter('a', 1000)).toBe(9);
    expect(t.retryAfter('b', 1000)).toBe(0);
    expect(t.retryAfter('a', 9_999)).toBe(1);
    expect(t.retryAfter('a', 10_000)).toBe(0);
    t.failed('a', 10_001);
    expect(t.retryAfter('a', 10_001)).toBe(0);
  });

  it('tracks at most maxClients addresses, dropping ended windows first, then the oldest', () => {
    const t = createAuthThrottle({ limit: 1, windowMs: 10_000, maxClients: 2 });
    t.failed('old', 0);
    t.failed('mid', 5_000);
    t.failed('new', 6_000); // full: 'old' (the oldest, still live) goes
    expect(t.retryAfter('old', 6_000)).toBe(0);
    expect(t.retryAfter('mid', 6_000)).toBeGreaterThan(0);
    expect(t.retryAfter('new', 6_000)).toBeGreaterThan(0);
    t.failed('late', 15_500); // 'mid' has ended: it goes, 'new' stays
    expect(t.retryAfter('new', 15_500)).toBeGreaterThan(0);
    expect(t.retryAfter('late', 15_500)).toBeGreaterThan(0);
  });

  it('limit 0 is off', () => {
    const t = createAuthThrottle({ limit: 0 });
    for (let i = 0; i < 100; i++) t.failed('a');
    expect(t.retryAfter('a')).toBe(0);
  });
});
