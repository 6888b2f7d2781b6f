/**
 * FEATCACHE_WORKERS=2: one /metrics scrape answers for the whole service, and
 * its counters never go backwards — across scrapes that land on either worker,
 * and across a worker killed and replaced. Real processes, real HTTP, the
 * embedded redis-server the primary starts.
 */
import { execFileSync } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { spawnService } from './service-process.js';
const IMAGE_ROUTE = 'route="/analysis/cache/image/{image_id}"';

/** Every sample of the counters and histograms of a Prometheus text answer: series -> value. */
function cumulativeSamples(text: string): Map<string, number> {
  const cumulative = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (counter|histogram)$/gm)) cumulative.add(m[1]!);
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sep = line.lastIndexOf(' ');
    const series = line.slice(0, sep);
    const name = series.replace(/\{.*$/, '').replace(/_(bucket|sum|count)$/, '');
    if (cumulative.has(name) || cumulative.has(series.replace(/\{.*$/, ''))) out.set(series, Number(line.slice(sep + 1)));
  }
  return out;
}

/** Requests of the image route counted in a scrape (all statuses). */
function imageRequests(text: string): number {
  let n = 0;
  for (const m of text.matchAll(/^featcache_http_requests_total\{(.*)\} (\d+)$/gm)) if (m[1]!.includes(IMAGE_ROUTE)) n += Number(m[2]);
  return n;
}

/** Node worker processes of the primary `pid` (its other child is redis-server). */
function workerPids(pid: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1] === 'node' || f[1]?.startsWith('node'))
    .map((f) => Number(f[0]));
}

describe('metrics across FEATCACHE_WORKERS=2', () => {
  it('every scrape shows the whole service, counters are monotonic, totals add up — also after a worker is replaced', async () => {
    const svc = await spawnService({ FEATCACHE_WORKERS: '2' });
    // fresh connections: node:cluster hands them to the workers in turn
    const get = (path: string) => fetch(`${svc.url}${path}`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(10_000) });
    try {
      await svc.waitReady();
      let sent = 0;
      let previous = new Map<string, number>();
      const scrape = async (label: string) => {
        const res = await get('/metrics');
        expect(res.status, label).toBe(200);
        const text = await res.text();
        const now = cumulativeSamples(text);
        for (const [series, before] of previous) {
          expect(now.has(series), `${label}: ${series} disappeared`).toBe(true);
          expect(now.get(series)!, `${label}: ${series} went backwards`).toBeGreaterThanOrEqual(before);
        }
        previous = now;
        return text;
      };
      for (let round = 1; round <= 6; round++) {
        for (let i = 0; i < 5 * round; i++, sent++) expect((await get(`/analysis/cache/image/m-${round}-${i}`)).status).toBe(404);
        // two scrapes in a row land on both workers: each answers for the whole service
        for (const which of ['a', 'b']) {
          const text = await scrape(`round ${round}${which}`);
          expect(imageRequests(text)).toBe(sent);
          expect(text).toMatch(new RegExp(`^featcache_cache_misses_total\\{source="stored"\\} ${sent}$`, 'm'));
          expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
          expect(text).toMatch(/^featcache_redis_command_duration_seconds_count\{command="get"\} [1-9]/m);
        }
      }
      // a worker dies right after a scrape: its counts stay in the totals, its replacement adds to them
      const [victim] = workerPids(svc.child.pid!);
      expect(victim).toBeGreaterThan(0);
      process.kill(victim!, 'SIGKILL');
      await delay(500);
      await svc.waitReady();
      for (let round = 7; round <= 9; round++) {
        for (let i = 0; i < 4; i++, sent++) expect((await get(`/analysis/cache/image/m-${round}-${i}`)).status).toBe(404);
        for (const which of ['a', 'b']) expect(imageRequests(await scrape(`after restart, round ${round}${which}`))).toBe(sent);
      }
      svc.child.kill('SIGTERM');
      expect(await svc.exited).toBe(0);
    } finally {
      svc.stop();
    }
  }, 90_000);
});
