/**
 * Runs every HTTP scenario `runs` times against a fresh service (Redis + featcache
 * with `workers` processes), after preloading the keyspace over HTTP.
 */
import { treeCpuMs } from './cpu.js';
import { runLoad, type LoadResult } from './load.js';
import { buildScenarios, preloadBodies, statsScenario, type Scenario } from './scenarios.js';
import { startService } from './service.js';

export interface ScenarioRun extends LoadResult {
  imagesPerSecond: number;
  /** Service CPU (all its processes) per request, microseconds. */
  serviceCpuUsPerRequest: number | null;
  /** redis-server CPU per request, microseconds. */
  redisCpuUsPerRequest: number | null;
  /** stats scenario only: the GET load running meanwhile, req/s. */
  readLoadRequestsPerSecond?: number;
}

export interface ScenarioResult {
  key: string;
  title: string;
  workers: number;
  connections: number;
  imagesPerRequest: number;
  runs: ScenarioRun[];
}

export interface HttpBenchOptions {
  workers: number;
  runs: number;
  seconds: number;
  keyspace: number;
  /** Called with one line per finished run. */
  progress(line: string): void;
  /** Only these scenario keys (all when absent). */
  only?: string[];
  /** Extra node flags for the service processes. */
  execArgv?: string[];
}

export interface HttpBenchResult {
  workers: number;
  scenarios: ScenarioResult[];
  /** The service's own stats after the runs (GET /analysis/cache/stats). */
  serviceStats: { hit_rate: number; cache_hits: number; cache_misses: number; cache_errors: number };
}

/** Runs the HTTP scenarios for one worker count. */
export async function runHttpBench(o: HttpBenchOptions): Promise<HttpBenchResult> {
  const svc = await startService({ workers: o.workers, execArgv: o.execArgv });
  const results: ScenarioResult[] = [];
  try {
    for (const body of preloadBodies(o.keyspace)) {
      const r = await fetch(`${svc.url}/analysis/cache/batch-set`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (!r.ok) throw new Error(`preload failed: ${r.status} ${await r.text()}`);
    }
    const wanted = (k: string) => o.only === undefined || o.only.includes(k);
    const measure = async (s: Scenario, load: () => Promise<LoadResult>): Promise<ScenarioRun> => {
      const c0 = treeCpuMs(svc.pid);
      const r0 = treeCpuMs(svc.redis.pid);
      const r = await load();
      const c1 = treeCpuMs(svc.pid);
      const r1 = treeCpuMs(svc.redis.pid);
      const perReq = (a: number | null, b: number | null) => (a === null || b === null || r.requests === 0 ? null : Math.round(((b - a) * 1000) / r.requests));
      return { ...r, imagesPerSecond: r.requestsPerSecond * s.imagesPerRequest, serviceCpuUsPerRequest: perReq(c0, c1), redisCpuUsPerRequest: perReq(r0, r1) };
    };
    for (const s of buildScenarios(o.keyspace)) {
      if (!wanted(s.key)) continue;
      const res: ScenarioResult = { key: s.key, title: s.title, workers: o.workers, connections: s.connections, imagesPerRequest: s.imagesPerRequest, runs: [] };
      for (let i = 0; i < o.runs; i++) {
        const run = await measure(s, () => runLoad({ url: svc.url, connections: s.connections, duration: o.seconds, requests: s.requests }));
        res.runs.push(run);
        o.progress(line(s, o.workers, i, o.runs, run));
      }
      results.push(res);
    }
    if (wanted('stats_under_read_load')) {
      const { readLoad, stats } = statsScenario(o.keyspace);
      const res: ScenarioResult = { key: readLoad.key, title: readLoad.title, workers: o.workers, connections: 1, imagesPerRequest: 0, runs: [] };
      for (let i = 0; i < o.runs; i++) {
        let reads: LoadResult | undefined;
        const run = await measure(readLoad, async () => {
          // The read load runs in its own thread (autocannon's worker mode): on the
          // bench's main thread, its 50 busy connections would delay the stats
          // sampler's own timers and sockets, and the figure would measure the
          // load generator's event loop rather than the service.
          const background = runLoad({ url: svc.url, connections: readLoad.connections, duration: o.seconds, requests: readLoad.requests, workers: 1 });
          // one client asking for stats 50 times a second, like a dashboard hammering it
          const sampled = await runLoad({ url: svc.url, connections: 1, duration: o.seconds, overallRate: 50, requests: stats });
          reads = await background;
          return sampled;
        });
        run.imagesPerSecond = 0;
        run.serviceCpuUsPerRequest = null; // the CPU went mostly to the read load, not to stats
        run.redisCpuUsPerRequest = null;
        res.runs.push({ ...run, readLoadRequestsPerSecond: reads?.requestsPerSecond ?? 0 });
        o.progress(`${line(readLoad, o.workers, i, o.runs, run)}, read load ${Math.round(reads?.requestsPerSecond ?? 0)} req/s`);
      }
      results.push(res);
    }
    const stats = (await (await fetch(`${svc.url}/analysis/cache/stats`)).json()) as { stats: HttpBenchResult['serviceStats'] };
    const { hit_rate, cache_hits, cache_misses, cache_errors } = stats.stats;
    return { workers: o.workers, scenarios: results, serviceStats: { hit_rate, cache_hits, cache_misses, cache_errors } };
  } finally {
    await svc.stop();
  }
}

function line(s: Scenario, workers: number, i: number, runs: number, r: ScenarioRun): string {
  const rate = s.imagesPerRequest > 1 ? `${fmt(r.imagesPerSecond)} images/s (${fmt(r.requestsPerSecond)} req/s)` : `${fmt(r.requestsPerSecond)} req/s`;
  const bad = r.non2xx + r.errors > 0 ? `  !! ${r.non2xx} non-2xx, ${r.errors} errors` : '';
  const cpu = r.serviceCpuUsPerRequest === null ? '' : `, service ${r.serviceCpuUsPerRequest} µs CPU/req`;
  return `  [${workers}w] ${s.key.padEnd(22)} run ${i + 1}/${runs}: ${rate}, p99 ${r.latency.p99} ms${cpu}${bad}`;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
