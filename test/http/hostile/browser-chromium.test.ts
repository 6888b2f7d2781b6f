/**
 * Issue 11 item 4, from a real browser: a page in headless Chromium (Debian's
 * /usr/bin/chromium driven by playwright-core; nothing is downloaded) served on
 * another site attacks the no-key service, and a DNS-rebinding page (its host
 * name mapped to 127.0.0.1) tries to read it. Fails, never skips, when the
 * browser is missing: scripts/setup.sh test installs it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scene } from '../images.js';
import { call, startStack, type Stack } from '../stack.js';

const CHROMIUM = '/usr/bin/chromium';

let s: Stack;
let page: http.Server;
let pageOrigin: string;
let browser: BrowserContext | undefined;
let profile: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run "bash scripts/setup.sh test" (it installs the Debian chromium package) before this test`);
  }
  s = await startStack({ FEATCACHE_EXTRACT_WORKERS: '1' });
  // the attacker's site: localhost vs the service's 127.0.0.1 is another site
  page = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>attacker</title>'));
  await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
  pageOrigin = `http://localhost:${(page.address() as AddressInfo).port}`;
  profile = mkdtempSync(join(tmpdir(), 'featcache-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // DNS rebinding, simulated: rebind.test resolves to the service's loopback address
      '--host-resolver-rules=MAP rebind.test 127.0.0.1',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => page?.close(r));
  await s?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('attacks from a page in Chromium', () => {
  it('a page on another site can neither write, run cleanup, upload, nor read', async () => {
    const tab = await browser!.newPage();
    await tab.goto(pageOrigin);
    const png = Array.from(await scene(1));
    const outcome = await tab.evaluate(async ({ service, png }) => {
      const results: Record<string, string> = {};
      const attempt = async (name: string, url: string, init: RequestInit) => {
        try {
          const r = await fetch(url, init);
          results[name] = `status ${r.status}`;
        } catch (err) {
          results[name] = `blocked: ${(err as Error).name}`;
        }
      };
      // simple requests (no preflight): text/plain JSON, multipart, body-less POST
      await attempt('batch-set', `${service}/analysis/cache/batch-set`, {
        method: 'POST',
        mode: 'no-cors',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ items: [{ image_id: 'from-browser', features: { a: 1 } }] }),
      });
      await attempt('cleanup', `${service}/analysis/cache/cleanup`, { method: 'POST', mode: 'no-cors' });
      const fd = new FormData();
      fd.set('image_id', 'browser-upload');
      fd.set('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'x.png');
      await attempt('upload', `${service}/analysis/features`, { method: 'POST', mode: 'no-cors', body: fd });
      // a preflighted JSON write and a CORS read
      await attempt('json-write', `${service}/analysis/cache/batch-set`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ image_id: 'from-browser-2', features: { a: 1 } }] }),
      });
      await attempt('read', `${service}/analysis/cache/stats`, {});
      return results;
    }, { service: s.url, png });
    // no-cors answers are opaque to the page; the service state says what happened
    expect(outcome['json-write']).toMatch(/^blocked/);
    expect(outcome['read']).toMatch(/^blocked/);
    const got = await call(s.url, '/analysis/cache/batch-get', { json: { image_ids: ['from-browser', 'from-browser-2', 'browser-upload'] } });
    expect(got.body.missing).toEqual(['from-browser', 'from-browser-2', 'browser-upload']);
    expect((await call(s.url, '/analysis/cache/stats')).body.stats.extracted_images ?? 0).toBe(0);
    await tab.close();
  });

  it('a DNS-rebinding page (rebind.test -> 127.0.0.1) cannot read the cache', async () => {
    await call(s.url, '/analysis/cache/batch-set', { json: { items: [{ image_id: 'secret', features: { a: 1 } }] } });
    const tab = await browser!.newPage();
    const port = new URL(s.url).port;
    const nav = await tab.goto(`http://rebind.test:${port}/analysis/cache/image/secret`);
    expect(nav?.status()).toBe(403);
    const text = await tab.evaluate(async () => (await fetch('/analysis/cache/image/secret')).text());
    expect(text).toContain('HOST_NOT_ALLOWED');
    expect(text).not.toContain('"a"');
    await tab.close();
  });
});
