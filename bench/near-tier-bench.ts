/**
 * npm run bench:near — single get() of the seed record with and without the
 * near tier (one caller, and 64 callers), interleaved run by run on one Redis,
 * and the cost of events: near-tier gets with nobody listening vs a `hit`
 * listener attached.
 *
 * Then staleness: 10,000 writes by another client (featcache set, raw SET,
 * DEL and PEXPIRE in turn) to a record held in the tier: when the tier stopped
 * serving the old value, past the writer's acknowledgement and from the send,
 * and reads after delivery that returned a replaced value (must be 0). Then
 * the invalidation connection killed (CLIENT KILL) 200 times, each followed by
 * another client's write: stale reads past the flush (must be 0), how long the
 * tier was bypassed (until tracking was on again) and how it answered meanwhile.
 *
 * With --http (npm run bench:near passes it): hit-heavy HTTP GET (the get_single scenario, 50 connections, a
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
import { Redis } from 'ioredis';
import { createFeatureCache, type FeatureCache } from '../src/index.js';
import type { RedisFeatureCache } from '../src/cache/feature-cache.js';
import { startRedisProcess, type RedisProcess } from '../src/redis/redis-process.js';
import { seedPayload } from './lib/payloads.js';
import { machineInfo, median, writeResult } from './lib/report.js';
import { throughput } from './lib/throughput.js';
import { runHttpBench } from './http/run-http.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '2' },
    http: { type: 'boolean', default: false },
    writes: { type: 'string', default: '10000' },
    kills: { type: 'string', default: '200' },
  },
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

// staleness: another client writes a record the tier holds
const reader = near as RedisFeatureCache;
const writer = plain;
const raw = new Redis(url);
const tier = reader.near!.tier;
const KEY = 'nb:1.0:stale';
const inTier = () => tier.get('nb:1.0:', 'stale') !== undefined;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? NaN;
const delivery = (): Promise<number> =>
  new Promise((resolve) => {
    const on = (e: { source: string; keys?: string[] | null }) => {
      if (e.source === 'redis' && (e.keys === null || e.keys?.includes(KEY))) {
        reader.off('invalidate', on);
        resolve(performance.now());
      }
    };
    reader.on('invalidate', on);
  });
/** Reads until the tier holds the record (a fill that crossed an invalidation is refused: read again). */
async function fill(): Promise<void> {
  for (let n = 0; !inTier(); n++) {
    if ((await reader.get('stale')) === null) await writer.set('stale', { n: [-1] });
    if (n > 1000) throw new Error('the tier never kept the record');
  }
}
const WRITES = Number(args.writes);
const kinds = ['featcache set', 'raw SET', 'raw DEL', 'raw PEXPIRE'] as const;
const staleness = Object.fromEntries(kinds.map((k) => [k, { pastAck: [] as number[], fromSend: [] as number[], staleReads: 0 }]));
await writer.set('scratch', { n: [0] });
for (let i = 0; i < WRITES; i++) {
  const kind = kinds[i % kinds.length]!;
  await fill();
  let expect: number | null = i;
  let bytes: Buffer | null = null;
  if (kind === 'raw SET') {
    await writer.set('scratch', { n: [i] }); // an encoded record to copy over the key with a raw SET
    bytes = await raw.getBuffer('nb:1.0:scratch');
  }
  if (kind === 'raw PEXPIRE') expect = (((await reader.get('stale'))?.features.n as number[] | undefined)?.[0]) ?? null;
  const delivered = delivery();
  const sent = performance.now();
  if (kind === 'featcache set') await writer.set('stale', { n: [i] });
  else if (kind === 'raw SET') await raw.set(KEY, bytes!);
  else if (kind === 'raw DEL') {
    await raw.del(KEY);
    expect = null;
  } else await raw.pexpire(KEY, 3_600_000);
  const acked = performance.now();
  const at = await delivered;
  const s = staleness[kind]!;
  s.pastAck.push(Math.max(0, at - acked));
  s.fromSend.push(at - sent);
  // once delivered: the tier no longer holds it, and a read answers the new state
  const got = ((await reader.get('stale'))?.features.n as number[] | undefined)?.[0] ?? null;
  if (got !== expect) s.staleReads++;
  if (kind === 'raw DEL') await writer.set('stale', { n: [i] });
}
const all = Object.values(staleness);
const allPastAck = all.flatMap((s) => s.pastAck);
const allFromSend = all.flatMap((s) => s.fromSend);
const ms = (x: number) => Math.round(x * 1000) / 1000;
const stalenessTable = [
  ...kinds.map((k) => ({ writer: k, writes: staleness[k]!.pastAck.length, staleReads: staleness[k]!.staleReads, pastAckP50Ms: ms(quantile(staleness[k]!.pastAck, 0.5)), pastAckP99Ms: ms(quantile(staleness[k]!.pastAck, 0.99)), fromSendP50Ms: ms(quantile(staleness[k]!.fromSend, 0.5)), fromSendP99Ms: ms(quantile(staleness[k]!.fromSend, 0.99)), maxFromSendMs: ms(Math.max(...staleness[k]!.fromSend)) })),
  { writer: 'all', writes: allPastAck.length, staleReads: all.reduce((a, s) => a + s.staleReads, 0), pastAckP50Ms: ms(quantile(allPastAck, 0.5)), pastAckP99Ms: ms(quantile(allPastAck, 0.99)), fromSendP50Ms: ms(quantile(allFromSend, 0.5)), fromSendP99Ms: ms(quantile(allFromSend, 0.99)), maxFromSendMs: ms(Math.max(...allFromSend)) },
];
console.table(stalenessTable);

// the invalidation connection killed: flush, bypass, come back
const KILLS = Number(args.kills);
const downMs: number[] = [];
let killStale = 0;
let servedFromTierWhileDown = 0;
let readsWhileDown = 0;
let flushedBeforeNextRead = 0;
for (let i = 0; i < KILLS; i++) {
  await fill();
  const id = reader.near!.invalidationClientId;
  if (id === null) throw new Error('no invalidation connection');
  const killed = performance.now();
  await raw.client('KILL', 'ID', String(id));
  await writer.set('stale', { n: [100_000 + i] }); // a write the killed connection cannot announce
  if (!tier.isLive) flushedBeforeNextRead++;
  const got = ((await reader.get('stale'))?.features.n as number[] | undefined)?.[0];
  if (got !== 100_000 + i) killStale++;
  while (!tier.isLive) {
    readsWhileDown++;
    if (inTier()) servedFromTierWhileDown++;
    await reader.get('stale');
    await new Promise((r) => setTimeout(r, 1));
  }
  downMs.push(performance.now() - killed);
}
const killTable = {
  kills: KILLS,
  staleReadsPastFlush: killStale,
  flushedBeforeTheNextRead: flushedBeforeNextRead,
  readsWhileBypassed: readsWhileDown,
  servedFromTierWhileBypassed: servedFromTierWhileDown,
  bypassedP50Ms: ms(quantile(downMs, 0.5)),
  bypassedP99Ms: ms(quantile(downMs, 0.99)),
  bypassedMaxMs: ms(Math.max(...downMs)),
};
console.table([killTable]);
raw.disconnect();

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
const file = writeResult('near-tier', { machine: machineInfo(), seconds: SECONDS, runs: RUNS, table, staleness: stalenessTable, invalidationConnectionKilled: killTable });
console.log(`written ${file}`);

await Promise.all([plain.close(), near.close()]);
await proc?.stop();
if (dir) rmSync(dir, { recursive: true, force: true });
