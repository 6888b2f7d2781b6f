/**
 * Dashboard page weight and time to first render in headless Chromium (Debian's
 * /usr/bin/chromium through playwright-core), on the real service with API keys.
 * Each page is loaded LOADS times in a fresh browser context (cold: nothing
 * cached, the style sheet and script are fetched) and once more in the same
 * context (warm: the immutable assets come from the cache). Weight = bytes
 * transferred for the document, style sheet and script (Resource Timing
 * `transferSize`, headers included); the overview's stats polls are data, not
 * weight, and are left out. First render = First Contentful Paint.
 *
 * Run: npm run bench:ui [-- --loads 7] [-- --save]  (--save: bench/results/ui.json + history.jsonl)
 */
import os from 'node:os';
import { chromium, type Browser } from 'playwright-core';
import { scene } from '../test/http/images.js';
import { call, startStack } from '../test/http/stack.js';
import { writeResult } from './lib/report.js';

const CHROMIUM = '/usr/bin/chromium';
const KEY = 'ui-bench-read-key-0123456789';
const WRITE = 'ui-bench-write-key-0123456789';
const arg = (name: string) => process.argv.indexOf(`--${name}`);
const LOADS = arg('loads') > 0 ? Number(process.argv[arg('loads') + 1]) : 7;

const PAGES = ['/ui/login', '/ui', '/ui/image?id=bench-1&source=extracted', '/ui/upload', '/ui/groups?ids=bench-1,bench-2', '/ui/admin'];

interface Sample {
  bytes: number;
  fcp: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// evaluated in the page as a string (the dashboard's CSP forbids eval, not the debugger protocol)
const MEASURE = `new Promise((resolve) => {
  const done = () => {
    const nav = performance.getEntriesByType('navigation')[0];
    const assets = performance.getEntriesByType('resource').filter((r) => r.initiatorType === 'link' || r.initiatorType === 'script');
    const paint = performance.getEntriesByName('first-contentful-paint')[0];
    resolve({ bytes: nav.transferSize + assets.reduce((n, r) => n + r.transferSize, 0), fcp: paint ? paint.startTime : NaN });
  };
  if (performance.getEntriesByName('first-contentful-paint').length) done();
  else new PerformanceObserver(done).observe({ type: 'paint', buffered: true });
})`;

async function main(): Promise<void> {
  const stack = await startStack({ FEATCACHE_API_KEYS: `${KEY}:read,${WRITE}:write`, FEATCACHE_EXTRACT_WORKERS: '1' });
  let browser: Browser | undefined;
  try {
    for (const id of ['bench-1', 'bench-2']) {
      const f = new FormData();
      f.set('image', new Blob([new Uint8Array(await scene(id.length + Number(id.slice(-1))))], { type: 'image/png' }), `${id}.png`);
      const r = await call(stack.url, `/analysis/features?image_id=${id}`, { raw: f, key: WRITE });
      if (r.status !== 200) throw new Error(`seeding ${id}: ${r.status}`);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    // one sign-in; each load then gets the session cookie in a fresh context
    const login = await browser.newContext();
    const lp = await login.newPage();
    await lp.goto(`${stack.url}/ui/login`);
    await lp.fill('input[name=key]', KEY);
    await lp.click('button[type=submit]');
    await lp.waitForURL(`${stack.url}/ui`);
    const cookies = await login.cookies();
    await login.close();

    const rows: Array<{ page: string; cold_kb: number; warm_kb: number; fcp_ms: number; warm_fcp_ms: number }> = [];
    for (const path of PAGES) {
      const cold: Sample[] = [];
      const warm: Sample[] = [];
      for (let i = 0; i < LOADS; i++) {
        const ctx = await browser.newContext();
        if (path !== '/ui/login') await ctx.addCookies(cookies);
        const page = await ctx.newPage();
        await page.goto(stack.url + path, { waitUntil: 'load' });
        cold.push(await page.evaluate<Sample>(MEASURE));
        await page.goto(stack.url + path, { waitUntil: 'load' });
        warm.push(await page.evaluate<Sample>(MEASURE));
        await ctx.close();
      }
      rows.push({
        page: path,
        cold_kb: median(cold.map((s) => s.bytes)) / 1024,
        warm_kb: median(warm.map((s) => s.bytes)) / 1024,
        fcp_ms: median(cold.map((s) => s.fcp)),
        warm_fcp_ms: median(warm.map((s) => s.fcp)),
      });
    }
    const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
    console.log(`dashboard pages, median of ${LOADS} loads each (load average ${load}, ${os.cpus().length} cores)`);
    console.log('page                                    cold KB  warm KB  first render ms (cold / warm)');
    for (const r of rows) {
      console.log(`${r.page.padEnd(40)}${r.cold_kb.toFixed(1).padStart(7)}  ${r.warm_kb.toFixed(1).padStart(7)}  ${r.fcp_ms.toFixed(0).padStart(6)} / ${r.warm_fcp_ms.toFixed(0)}`);
    }
    if (arg('save') > 0) {
      const file = writeResult('ui', { date: new Date().toISOString(), cpus: os.cpus().length, loadavg: os.loadavg(), loads: LOADS, pages: rows });
      console.log(`wrote ${file}`);
    }
  } finally {
    await browser?.close();
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
