/**
 * npm run bench:near — single get() of the seed record with and without the
 * near tier (one caller, and 64 callers), interleaved run by run on one Redis,
 * and the cost of events: near-tier gets with nobody listening vs a `hit`
 * listener attached.
 *
 * With --http: hit-heavy HTTP GET (the get_single scenario, 50 connections, a
 * fresh service each run) with FEATCACHE_NEAR_CACHE_BYTES=64 MiB and without,
 * interleaved run by run.
 *
 * Usage: tsx bench/near-tier-bench.ts [--runs 3] [--seconds 2] [--http]
 * Uses REDIS_URL when set, else starts its own redis-server on a free port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createFeatureCache, type FeatureCache } from '../src/index.js';
import { startRedisProcess, type RedisProcess } from '../src/redis/redis-process.js';
import { seedPayload } from './lib/payloads.js';
import { machineInfo, median, writeResult } from './lib/report.js';
import { throughput } from './lib/throughput.js';
import { runHttpBench } from './http/run-http.js';

const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, seconds: { type: 'string', default: '2' }, http: { type: 'boolean', default: false } },
});
const RUNS = Number(args.runs);
const SECONDS = Number(args.seconds);
/** Hot set: fits the tier, so every timed get is a hit. */
const KEYS = 1000;

let proc: RedisProcess | undefined;
let dir: string | undefined;
let url = process.env.REDIS_URL;
if (!url) {
  dir = mkdtempSync(join(tmpdir(), 'featcache-near-bench-'));
  proc = await startRedisProcess({ dir });
  url = proc.url;
}

const plain = await createFeatureCache({ redis: url, prefix: 'nb' });
const near = await createFeatureCache({ redis: url, prefix: 'nb', nearCache: { maxBytes: 64 << 20 } });
await plain.setMany(Array.from({ length: KEYS }, (_, i) => ({ imageId: `img${i}`, features: seedPayload() })));
for (let i = 0; i < KEYS; i++) await near.get(`img${i}`); // fill

const get = (cache: FeatureCache) => (i: number) => cache.get(`img${i % KEYS}`);
const rows: Record<string, number[]> = {
  'redis, 1 caller': [],
  'near tier, 1 caller': [],
  'redis, 64 callers': [],
  'near tier, 64 callers': [],
  'near tier, 1 caller, hit listener': [],
};
const onHit = () => {};
for (let run = 0; run < RUNS; run++) {
  rows['redis, 1 caller']!.push(await throughput(1, SECONDS, 1, get(plain)));
  rows['near tier, 1 caller']!.push(await throughput(1, SECONDS, 1, get(near)));
  rows['redis, 64 callers']!.push(await throughput(64, SECONDS, 1, get(plain)));
  rows['near tier, 64 callers']!.push(await throughput(64, SECONDS, 1, get(near)));
  near.on('hit', onHit);
  rows['near tier, 1 caller, hit listener']!.push(await throughput(1, SECONDS, 1, get(near)));
  near.off('hit', onHit);
}

if (args.http) {
  const http: Record<string, number[]> = { 'HTTP GET, no near tier': [], 'HTTP GET, near tier 64 MiB': [] };
  for (let run = 0; run < RUNS; run++) {
    for (const [label, bytes] of [['HTTP GET, no near tier', '0'], ['HTTP GET, near tier 64 MiB', String(64 << 20)]] as const) {
      process.env.FEATCACHE_NEAR_CACHE_BYTES = bytes;
      const r = await runHttpBench({ workers: 1, runs: 1, seconds: SECONDS, keyspace: KEYS, only: ['get_single'], progress: () => {} });
      http[label]!.push(r.scenarios[0]!.runs[0]!.requestsPerSecond);
    }
  }
  Object.assign(rows, http);
}

const table = Object.entries(rows).map(([scenario, xs]) => ({ scenario, getsPerSecond: Math.round(median(xs)), runs: xs.map(Math.round) }));
console.table(table);
const file = writeResult('near-tier', { machine: machineInfo(), seconds: SECONDS, runs: RUNS, table });
console.log(`written ${file}`);

await Promise.all([plain.close(), near.close()]);
await proc?.stop();
if (dir) rmSync(dir, { recursive: true, force: true });
