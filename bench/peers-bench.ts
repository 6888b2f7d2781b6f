/**
 * npm run bench:peers — featcache (with and without the near tier) beside what a
 * Node user would pick instead, on one Redis, interleaved run by run: keyv with
 * @keyv/redis, cache-manager 7 on that keyv store, bentocache (Redis alone,
 * and with its memory tier kept in step by its Redis bus), and a hand-written
 * ioredis + JSON loop. Records: the seed-style record and a 512-float
 * embedding. Workloads: batch write (100 per call), batch read (100 per call),
 * single get with 64 callers; then memory per record (INFO used_memory delta over
 * 2,000 records) and exactness (a Float32Array with -0 and NaN read back bit-exact).
 * bentocache has no batch calls: its batches are Promise.all of single calls
 * (what its users write). Its optional peer ioredis@^5 is overridden to the
 * project's ioredis 6 in package.json (`overrides`; see docs/BENCHMARKS.md).
 *
 * Usage: tsx bench/peers-bench.ts [--runs 3] [--seconds 1]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import Keyv from 'keyv';
import KeyvRedis from '@keyv/redis';
import { createCache } from 'cache-manager';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import { createFeatureCache, type Features } from '../src/index.js';
import { startRedisProcess } from '../src/redis/redis-process.js';
import { embeddingPayload, seedPayload } from './lib/payloads.js';
import { machineInfo, median, writeResult } from './lib/report.js';
import { throughput } from './lib/throughput.js';
import { renderChart } from './report/render.js';
import { barChartSvg } from './report/svg.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '3' }, seconds: { type: 'string', default: '1' } } });
const RUNS = Number(args.runs);
const SECONDS = Number(args.seconds);
const KEYS = 1000;
const BATCH = 100;

interface Peer {
  name: string;
  setMany(items: Array<[string, Features]>): Promise<unknown>;
  getMany(ids: string[]): Promise<unknown[]>;
  get(id: string): Promise<unknown>;
  close(): Promise<void>;
}

const dir = mkdtempSync(join(tmpdir(), 'featcache-peers-'));
const proc = await startRedisProcess({ dir });
const url = proc.url;
const raw = new Redis(url);

async function featcache(prefix: string, near: boolean): Promise<Peer> {
  const c = await createFeatureCache({ redis: url, prefix, ...(near ? { nearCache: { maxBytes: 256 << 20 } } : {}) });
  return {
    name: near ? 'featcache + near tier' : 'featcache',
    setMany: (items) => c.setMany(items.map(([imageId, features]) => ({ imageId, features }))),
    getMany: (ids) => c.getMany(ids),
    get: (id) => c.get(id),
    close: () => c.close(),
  };
}

function keyvPeer(ns: string): Peer {
  const k = new Keyv({ store: new KeyvRedis(url), namespace: ns });
  return {
    name: 'keyv + @keyv/redis',
    setMany: (items) => k.setMany(items.map(([key, value]) => ({ key, value }))),
    getMany: (ids) => k.getMany(ids),
    get: (id) => k.get(id),
    close: () => k.disconnect(),
  };
}

function cacheManagerPeer(ns: string): Peer {
  const k = new Keyv({ store: new KeyvRedis(url), namespace: ns });
  const c = createCache({ stores: [k] });
  return {
    name: 'cache-manager 7',
    setMany: (items) => c.mset(items.map(([key, value]) => ({ key, value }))),
    getMany: (ids) => c.mget(ids),
    get: (id) => c.get(id),
    close: () => c.disconnect().then(() => undefined),
  };
}

/** bentocache with Redis as its only tier, or with its memory tier (L1) and the Redis bus that keeps it in step. */
function bentoPeer(ns: string, memory: boolean): Peer {
  const connection = { host: proc.host, port: proc.port };
  let store = bentostore();
  // its own default size cap and serialization (entries kept as JSON, parsed on each hit)
  if (memory) store = store.useL1Layer(memoryDriver({ maxSize: '256mb', maxItems: 100_000 })).useBus(redisBusDriver({ connection }));
  store = store.useL2Layer(redisDriver({ connection }));
  const bento = new BentoCache({ default: 'store', stores: { store }, ttl: '1h' });
  const c = bento.namespace(ns);
  return {
    name: memory ? 'bentocache + memory tier' : 'bentocache',
    setMany: (items) => Promise.all(items.map(([key, value]) => c.set({ key, value }))),
    getMany: (ids) => Promise.all(ids.map((key) => c.get({ key }))),
    get: (key) => c.get({ key }),
    close: () => bento.disconnectAll(),
  };
}

function ioredisJson(prefix: string): Peer {
  const r = new Redis(url);
  return {
    name: 'ioredis + JSON (hand-written)',
    setMany: (items) => {
      const p = r.pipeline();
      for (const [id, f] of items) p.set(`${prefix}:${id}`, JSON.stringify(f));
      return p.exec();
    },
    getMany: async (ids) => (await r.mget(ids.map((id) => `${prefix}:${id}`))).map((v) => (v === null ? null : (JSON.parse(v) as unknown))),
    get: async (id) => {
      const v = await r.get(`${prefix}:${id}`);
      return v === null ? null : (JSON.parse(v) as unknown);
    },
    close: () => {
      r.disconnect();
      return Promise.resolve();
    },
  };
}

const payloads: Array<[string, () => Features]> = [
  ['seed record', seedPayload],
  ['512-float embedding', embeddingPayload],
];
type Row = { payload: string; peer: string; workload: string; values: number[] };
const rows: Row[] = [];
const row = (payload: string, peer: string, workload: string) => {
  let r = rows.find((x) => x.payload === payload && x.peer === peer && x.workload === workload);
  if (!r) rows.push((r = { payload, peer, workload, values: [] }));
  return r;
};

for (const [pname, make] of payloads) {
  const tag = pname.startsWith('seed') ? 's' : 'e';
  const peers = [await featcache(`fc${tag}`, false), await featcache(`fc${tag}`, true), keyvPeer(`kv${tag}`), cacheManagerPeer(`cm${tag}`), bentoPeer(`bc${tag}`, false), bentoPeer(`bm${tag}`, true), ioredisJson(`raw${tag}`)];
  const records: Array<[string, Features]> = Array.from({ length: KEYS }, (_, i) => [`img${i}`, make()]);
  for (const p of peers) for (let i = 0; i < KEYS; i += BATCH) await p.setMany(records.slice(i, i + BATCH));
  for (let run = 0; run < RUNS; run++) {
    for (const p of peers) {
      row(pname, p.name, 'batch write (images/s)').values.push(
        await throughput(4, SECONDS, BATCH, (i) => p.setMany(records.slice((i * BATCH) % KEYS, ((i * BATCH) % KEYS) + BATCH))),
      );
      row(pname, p.name, 'batch read (images/s)').values.push(
        await throughput(4, SECONDS, BATCH, (i) => p.getMany(records.slice((i * BATCH) % KEYS, ((i * BATCH) % KEYS) + BATCH).map(([id]) => id))),
      );
      row(pname, p.name, 'single get, 64 callers (gets/s)').values.push(await throughput(64, SECONDS, 1, (i) => p.get(`img${i % KEYS}`)));
    }
  }
  // memory per record: a fresh keyspace of 2,000 records per peer (the memory tiers store nothing more in Redis)
  for (const p of peers.filter((x) => x.name !== 'featcache + near tier' && x.name !== 'bentocache + memory tier')) {
    const before = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))![1]);
    const fresh: Array<[string, Features]> = Array.from({ length: 2000 }, (_, i) => [`mem${i}`, make()]);
    for (let i = 0; i < fresh.length; i += BATCH) await p.setMany(fresh.slice(i, i + BATCH));
    const after = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))![1]);
    row(pname, p.name, 'Redis bytes per record').values.push((after - before) / fresh.length);
  }
  // exactness: -0 and NaN in a Float32Array, read back
  const probe = new Float32Array([1.5, -0, NaN, 3.4028234663852886e38]);
  for (const p of peers) {
    await p.setMany([['exact', { v: probe }]]);
    const got = (await p.getMany(['exact']))[0] as { features?: Features; v?: unknown } | null;
    const v = (got && 'features' in got ? got.features?.v : (got)?.v);
    const exact = v instanceof Float32Array && Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(Buffer.from(probe.buffer));
    row(pname, p.name, 'Float32Array bit-exact (1 = yes)').values.push(exact ? 1 : 0);
  }
  for (const p of peers) await p.close();
}

const table = rows.map((r) => {
  const base = rows.find((x) => x.payload === r.payload && x.workload === r.workload && x.peer === 'featcache');
  const m = median(r.values);
  return { payload: r.payload, workload: r.workload, peer: r.peer, median: Math.round(m * 10) / 10, 'featcache / peer': base && m ? Math.round((median(base.values) / m) * 100) / 100 : null };
});
console.table(table);
// one chart per record: throughput per workload and peer (log scale: the peers span three decades)
for (const [pname] of payloads) {
  const workloads = [...new Set(rows.filter((r) => r.payload === pname && r.workload.endsWith('/s)')).map((r) => r.workload))];
  const names = [...new Set(rows.filter((r) => r.payload === pname).map((r) => r.peer))];
  const svg = barChartSvg({
    title: `featcache and its peers, ${pname} (one Redis, interleaved)`,
    unit: 'per second, median',
    categories: workloads,
    series: names.map((name) => ({ name, values: workloads.map((w) => median(row(pname, name, w).values)) })),
    log: true,
  });
  console.log(`chart ${await renderChart(join(import.meta.dirname, 'results', 'charts'), `peers-${pname.startsWith('seed') ? 'seed' : 'embedding'}`, svg)}`);
}
console.log(`written ${writeResult('peers', { machine: machineInfo(), runs: RUNS, seconds: SECONDS, table, rows })}`);
raw.disconnect();
await proc.stop();
rmSync(dir, { recursive: true, force: true });
