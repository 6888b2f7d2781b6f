/**
 * The dashboard at /ui in a real browser (Debian's /usr/bin/chromium driven by
 * playwright-core; nothing is downloaded), on the real service with a read and
 * a write key: sign-in, every page without a console error, a search by upload,
 * the group view, an admin action that needs confirmation and a write key.
 * Screenshots go to test-artifacts/ui/ (gitignored). One browser for the file.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSet, type SetImage } from '../../provenance/set-fixture.js';
import { call, startStack, type Stack } from '../stack.js';

const CHROMIUM = '/usr/bin/chromium';
const READ = 'ui-read-key-0123456789';
const WRITE = 'ui-write-key-0123456789';
const ARTIFACTS = join(import.meta.dirname, '../../../test-artifacts/ui');
/** The images uploaded beforehand, by ID (= their file names in the browser). */
const IDS = ['a-source.png', 'a-rotate90.png', 'a-mirror.png', 'g-source.png'];

let s: Stack;
let browser: Browser;
let dir: string;
const file = (id: string) => join(dir, id);

function form(files: Record<string, Buffer>, fields: Record<string, string> = {}): FormData {
  const f = new FormData();
  for (const [name, data] of Object.entries(files)) f.set(name, new Blob([new Uint8Array(data)], { type: 'image/png' }), `${name}.png`);
  for (const [name, value] of Object.entries(fields)) f.set(name, value);
  return f;
}

/** A signed-in browser context whose console errors and page errors are collected. */
async function signedIn(key: string): Promise<{ ctx: BrowserContext; page: Page; errors: string[] }> {
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  await page.goto(`${s.url}/ui`);
  expect(new URL(page.url()).pathname).toBe('/ui/login');
  await page.fill('input[name=key]', key);
  await page.click('button[type=submit]');
  await page.waitForURL(`${s.url}/ui`);
  return { ctx, page, errors };
}

describe.skipIf(!existsSync(CHROMIUM))('dashboard /ui (chromium)', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    s = await startStack({ FEATCACHE_API_KEYS: `${READ}:read,${WRITE}:write`, FEATCACHE_EXTRACT_WORKERS: '1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    dir = mkdtempSync(join(tmpdir(), 'featcache-ui-'));
    const set: SetImage[] = await buildSet();
    for (const id of IDS) {
      const img = set.find((i) => `${i.id}.png` === id)!;
      writeFileSync(file(id), img.data);
      if (id === 'a-rotate90.png') continue; // searched for by upload, not cached
      const r = await call(s.url, `/analysis/features?image_id=${encodeURIComponent(id)}`, { raw: form({ image: img.data }), key: WRITE });
      expect(r.status).toBe(200);
    }
    // a stored record of each in the group "album", for the group view and the look-up
    const items = IDS.filter((id) => id !== 'a-rotate90.png').map((id) => ({ image_id: id, features: { note: 'album', vec: [1, 2, 3] }, groups: ['album'] }));
    expect((await call(s.url, '/analysis/cache/batch-set', { json: { items }, key: WRITE })).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('signs in with a key into an HttpOnly SameSite=Strict cookie of /ui that holds no key; a wrong key is refused', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${s.url}/ui/login`);
    await page.fill('input[name=key]', 'not-a-key-of-this-service');
    await page.click('button[type=submit]');
    await expect(page.locator('.error').innerText()).resolves.toContain('not an API key');
    await page.fill('input[name=key]', READ);
    await page.click('button[type=submit]');
    await page.waitForURL(`${s.url}/ui`);
    const [cookie] = await ctx.cookies();
    expect(cookie).toMatchObject({ name: 'featcache_ui', httpOnly: true, sameSite: 'Strict', path: '/ui' });
    expect(cookie!.value).not.toContain(READ);
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(page.url()).not.toContain(READ);
    // the cookie opens the dashboard's own calls only: not the API, and not without the dashboard's header
    const cookieHeader = `featcache_ui=${cookie!.value}`;
    expect((await call(s.url, '/analysis/cache/stats', { headers: { cookie: cookieHeader } })).status).toBe(401);
    expect((await call(s.url, '/ui/api/analysis/cache/stats', { headers: { cookie: cookieHeader } })).status).toBe(403);
    expect((await call(s.url, '/ui/api/analysis/cache/stats', { headers: { cookie: cookieHeader, 'x-featcache-ui': '1', 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    expect((await call(s.url, '/ui/api/analysis/cache/stats', { headers: { 'x-featcache-ui': '1' } })).status).toBe(401);
    expect((await call(s.url, '/ui/api/analysis/cache/stats', { headers: { cookie: cookieHeader, 'x-featcache-ui': '1' } })).status).toBe(200);
    expect((await call(s.url, '/ui/api/livez', { headers: { cookie: cookieHeader, 'x-featcache-ui': '1' } })).status).toBe(404);
    await ctx.close();
  });

  it('every page loads without a console error, under a strict CSP; the overview charts fill from the stats', async () => {
    const { ctx, page, errors } = await signedIn(READ);
    const res = await page.goto(`${s.url}/ui`);
    expect(res!.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(await page.locator('[data-field=status]').innerText()).toContain('healthy');
    expect(await page.locator('table').first().innerText()).toContain('master');
    // two polls: every chart has a line, operations/s included (it needs two samples)
    // (polled from the test: waitForFunction evaluates strings, which this page's CSP forbids)
    await expect.poll(() => page.locator('polyline[points*=","]').count(), { timeout: 15_000 }).toBe(6);
    await page.screenshot({ path: join(ARTIFACTS, 'overview.png'), fullPage: true });

    await page.goto(`${s.url}/ui/image?id=${encodeURIComponent('a-source.png')}&source=extracted`);
    const record = await page.locator('#record').innerText();
    expect(record).toContain('orb');
    expect(record).toMatch(/Uint8Array/);
    await page.screenshot({ path: join(ARTIFACTS, 'lookup.png'), fullPage: true });
    // the stored record: remaining TTL, size in Redis and its group (GET .../meta)
    await page.goto(`${s.url}/ui/image?id=${encodeURIComponent('a-source.png')}&source=stored`);
    expect(await page.locator('[data-field=ttl]').innerText()).toMatch(/^(\d+ s left|no expiry)$/);
    expect(await page.locator('[data-field=size]').innerText()).toMatch(/^\d+ B encoded/);
    expect(await page.locator('[data-field=groups]').innerText()).toBe('album');
    await page.goto(`${s.url}/ui/image?id=nobody`);
    expect(await page.locator('.error').innerText()).toContain('404 NOT_FOUND');

    await page.goto(`${s.url}/ui/groups?group=album`);
    const groups = await page.locator('#groups-result').innerText();
    expect(groups).toContain('Group 1 (2 images)');
    expect(groups).toContain('Related to no other image of the set: g-source.png');
    expect(groups).toMatch(/a-source\.png[\s\S]*a-mirror\.png/);
    await page.setInputFiles('#thumbs', IDS.map(file));
    await expect.poll(() => page.locator('.thumb img:not([hidden])').count()).toBe(2);
    await page.screenshot({ path: join(ARTIFACTS, 'groups.png'), fullPage: true });

    for (const p of ['/ui/upload', '/ui/admin']) {
      await page.goto(`${s.url}${p}`);
      await page.locator('main h1').waitFor();
    }
    expect(errors).toEqual([]);
    await ctx.close();
  }, 60_000);

  it('a search by upload shows the features, the near-duplicates and the verified matches with their picture', async () => {
    const { ctx, page, errors } = await signedIn(READ);
    await page.goto(`${s.url}/ui/upload`);
    await page.setInputFiles('input[name=image]', file('a-rotate90.png'));
    await page.setInputFiles('input[name=others]', [file('a-source.png'), file('g-source.png')]);
    await page.click('#upload-form button[type=submit]');
    await page.locator('#upload-status:has-text("Done.")').waitFor({ timeout: 60_000 });
    expect(await page.locator('#upload-features').innerText()).toContain('phash');
    const neighbors = await page.locator('tr.neighbor').allInnerTexts();
    expect(neighbors.join('\n')).toContain('a-source.png');
    const cards = page.locator('#upload-verified .match');
    expect(await cards.count()).toBe(2);
    expect(await cards.nth(0).locator('.verdict').innerText()).not.toBe('unrelated');
    expect(await cards.nth(1).locator('.verdict').innerText()).toBe('unrelated');
    // the match picture is a decoded PNG
    const picture = page.locator('#upload-verified .match img');
    await expect.poll(() => picture.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'upload.png'), fullPage: true });
    expect(errors).toEqual([]);
    // nothing was stored by the search
    expect((await call(s.url, '/analysis/cache/image/a-rotate90.png?source=extracted', { key: READ })).status).toBe(404);
    await ctx.close();
  }, 90_000);

  it('an admin action asks for confirmation, is refused with a read key and done with a write key', async () => {
    const target = 'g-source.png';
    const exists = async () => (await call(s.url, `/analysis/cache/image/${target}?source=stored`, { key: READ })).status === 200;
    const invalidate = async (page: Page, confirm: boolean) => {
      await page.fill('input[name=image_id]', target);
      await page.click('form[data-action*="/image/"] button');
      await page.locator('#confirm').waitFor({ state: 'visible' });
      expect(await page.locator('#confirm [data-slot=message]').innerText()).toBe(`Invalidate image ${target}?`);
      await page.click(`#confirm button[value=${confirm ? 'ok' : 'cancel'}]`);
    };

    const reader = await signedIn(READ);
    await reader.page.goto(`${s.url}/ui/admin`);
    await invalidate(reader.page, false);
    // waits for the page's script to write the outcome (read at once, it raced under load)
    await reader.page.locator('#admin-result', { hasText: 'Cancelled' }).waitFor();
    expect(await exists()).toBe(true);
    await invalidate(reader.page, true);
    await reader.page.locator('#admin-result.error').waitFor();
    expect(await reader.page.locator('#admin-result').innerText()).toContain('403 FORBIDDEN');
    await reader.page.screenshot({ path: join(ARTIFACTS, 'admin-refused.png'), fullPage: true });
    expect(await exists()).toBe(true);
    await reader.ctx.close();

    const writer = await signedIn(WRITE);
    await writer.page.goto(`${s.url}/ui/admin`);
    await invalidate(writer.page, true);
    await writer.page.locator('#admin-result.ok').waitFor();
    expect(await exists()).toBe(false);
    await writer.page.screenshot({ path: join(ARTIFACTS, 'admin-done.png'), fullPage: true });
    // signing out ends the browser's session
    await writer.page.click('.signout button');
    await writer.page.waitForURL(`${s.url}/ui/login`);
    expect(await writer.ctx.cookies()).toEqual([]);
    expect(writer.errors).toEqual([]);
    await writer.ctx.close();
  }, 60_000);
});
