/**
 * npm run bench:cluster — batch reads and writes of 100 ids on a 3-master Redis
 * Cluster against one Redis node, same payload (the seed record), same client
 * concurrency, same process; runs interleaved (single, cluster, single, ...)
 * so machine noise hits both alike; median of the runs; ratio cluster/single.
 *
 * Usage: tsx bench/cluster-bench.ts [--runs 3] [--seconds 3] [--workers 4,16] [--replicas 0]
 * Starts its own redis-server processes on free ports (never the default ones)
 * and writes bench/results/cluster.json (and a line of bench/results/history.jsonl).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createFeatureCache, type FeatureCache, type SetManyItem } from '../src/index.js';
import { startRedisProcess } from '../src/redis/redis-process.js';
import { startCluster } from '../test/helpers/topology.js';
import { seedPayload } from './lib/payloads.js';
import { machineInfo, median, writeResult } from './lib/report.js';
import { throughput } from './lib/throughput.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '3' },
    workers: { type: 'string', default: '4,16' },
    replicas: { type: 'string', default: '0' },
  },
});
const RUNS = Number(args.runs);
const SECONDS = Number(args.seconds);
const WORKERS = args.workers.split(',').map(Number);
const REPLICAS = Number(args.replicas);
const KEYSPACE = 20_000;
const BATCH = 100;
const NODE_CONFIG = { maxmemory: '1gb', 'maxmemory-policy': 'volatile-lru' };

const id = (i: number) => `user_${String(i % 1000).padStart(6, '0')}_img_${String(i % KEYSPACE).padStart(6, '0')}`;

/** Seconds of CPU (user + sys) the Redis processes on `ports` have used so far (INFO cpu). */
async function redisCpuSeconds(ports: number[]): Promise<number> {
  let total = 0;
  for (const port of ports) {
    const raw = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      const info = await raw.info('cpu');
      total += Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0) + Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);
    } finally {
      raw.disconnect();
    }
  }
  return total;
}

interface Sample {
  imagesPerS: number;
  /** CPU µs per image in the Redis processes (all nodes together) and in this client process. */
  redisUsPerImage: number;
  clientUsPerImage: number;
}

/** Runs `op` from `workers` loops for `seconds`; images per second plus CPU per image. */
async function measure(ports: number[], workers: number, seconds: number, op: (i: number) => Promise<unknown>): Promise<Sample> {
  const redis0 = await redisCpuSeconds(ports);
  const client0 = process.cpuUsage();
  let images = 0;
  const imagesPerS = await throughput(workers, seconds, BATCH, op, (n) => (images = n));
  const client = process.cpuUsage(client0);
  const redis = (await redisCpuSeconds(ports)) - redis0;
  return {
    imagesPerS,
    redisUsPerImage: (redis * 1e6) / images,
    clientUsPerImage: (client.user + client.system) / images,
  };
}

async function seed(cache: FeatureCache): Promise<void> {
  for (let i = 0; i < KEYSPACE; i += 1000) {
    await cache.setMany(Array.from({ length: 1000 }, (_, k) => ({ imageId: id(i + k), features: seedPayload() })));
  }
}

interface Series {
  scenario: string;
  workers: number;
  single: Sample[];
  cluster: Sample[];
}

async function main(): Promise<void> {
  const load = loadavg();
  console.log(`load average before the run: ${load.map((l) => l.toFixed(2)).join(' ')} (2 cores shared by client and every Redis node)`);
  const dir = mkdtempSync(join(tmpdir(), 'featcache-cluster-bench-'));
  const single = await startRedisProcess({ dir: join(dir, 'single'), config: NODE_CONFIG });
  const cluster = await startCluster({ masters: 3, replicasPerMaster: REPLICAS, config: NODE_CONFIG });
  const caches: FeatureCache[] = [];
  try {
    const one = await createFeatureCache({ redis: single.url, prefix: 'bench' });
    const many = await createFeatureCache({
      redis: cluster.redisTarget(),
      prefix: 'bench',
    });
    caches.push(one, many);
    const masterPorts = (await cluster.masters()).map((m) => m.port);
    await Promise.all([seed(one), seed(many)]);

    // the same pre-built batches for both topologies
    const readBatches = Array.from({ length: 200 }, (_, b) => Array.from({ length: BATCH }, (_, k) => id(b * 97 + k * 193)));
    const writeBatches: SetManyItem[][] = Array.from({ length: 200 }, (_, b) =>
      Array.from({ length: BATCH }, (_, k): SetManyItem => ({ imageId: id(b * 89 + k * 211), features: seedPayload() })),
    );
    const series: Series[] = [];
    for (const w of WORKERS) {
      series.push({ scenario: `batch read (${BATCH} ids/call)`, workers: w, single: [], cluster: [] });
      series.push({ scenario: `batch write (${BATCH} ids/call)`, workers: w, single: [], cluster: [] });
    }
    for (let run = 0; run < RUNS; run++) {
      for (const s of series) {
        const isRead = s.scenario.startsWith('batch read');
        const op = (cache: FeatureCache) => (i: number) =>
          isRead ? cache.getMany(readBatches[i % readBatches.length]!) : cache.setMany(writeBatches[i % writeBatches.length]!);
        process.stdout.write(`  run ${run + 1}/${RUNS}: ${s.scenario}, ${s.workers} in flight      \r`);
        s.single.push(await measure([single.port], s.workers, SECONDS, op(one)));
        s.cluster.push(await measure(masterPorts, s.workers, SECONDS, op(many)));
      }
    }
    const cacheErrors: number[] = [];
    for (const c of caches) cacheErrors.push((await c.stats()).cache_errors);

    const med = (xs: Sample[], f: (x: Sample) => number) => median(xs.map(f));
    const rows = series.map((s) => {
      const single = med(s.single, (x) => x.imagesPerS);
      const clustered = med(s.cluster, (x) => x.imagesPerS);
      const clusterRedisUs = med(s.cluster, (x) => x.redisUsPerImage);
      const clusterClientUs = med(s.cluster, (x) => x.clientUsPerImage);
      return {
        scenario: s.scenario,
        in_flight: s.workers,
        single_node_images_per_s: Math.round(single),
        cluster_3_masters_images_per_s: Math.round(clustered),
        ratio_cluster_to_single: Number((clustered / single).toFixed(3)),
        single_redis_cpu_us_per_image: Number(med(s.single, (x) => x.redisUsPerImage).toFixed(2)),
        cluster_redis_cpu_us_per_image: Number(clusterRedisUs.toFixed(2)),
        single_client_cpu_us_per_image: Number(med(s.single, (x) => x.clientUsPerImage).toFixed(2)),
        cluster_client_cpu_us_per_image: Number(clusterClientUs.toFixed(2)),
        // a projection, not a measurement: one core per master and per client process,
        // throughput = min(client bound, 3 masters' bound); network ignored
        projected_cluster_images_per_s_dedicated_cores: Math.round(Math.min(1e6 / clusterClientUs, (3 * 1e6) / clusterRedisUs)),
        single_runs: s.single.map((x) => Math.round(x.imagesPerS)),
        cluster_runs: s.cluster.map((x) => Math.round(x.imagesPerS)),
      };
    });
    console.log(`\nfeatcache on a 3-master cluster (${REPLICAS} replica(s) each) vs one node — seed payload, median of ${RUNS} runs of ${SECONDS} s\n`);
    console.table(rows.map((r) => ({
      scenario: r.scenario,
      in_flight: r.in_flight,
      single: r.single_node_images_per_s,
      cluster: r.cluster_3_masters_images_per_s,
      ratio: r.ratio_cluster_to_single,
      'redis µs/img single': r.single_redis_cpu_us_per_image,
      'redis µs/img cluster': r.cluster_redis_cpu_us_per_image,
      'client µs/img single': r.single_client_cpu_us_per_image,
      'client µs/img cluster': r.cluster_client_cpu_us_per_image,
    })));
    console.log('CPU µs per image: Redis = all nodes of the topology together; client = this process.');
    const file = writeResult('cluster', {
      machine: { ...machineInfo(), loadavg_before: load },
      runs: RUNS,
      seconds: SECONDS,
      keyspace: KEYSPACE,
      batch: BATCH,
      replicas_per_master: REPLICAS,
      payload: 'seed (bench/lib/payloads.ts seedPayload)',
      cache_errors: { single: cacheErrors[0], cluster: cacheErrors[1] },
      results: rows,
    });
    console.log(`\nresults: ${file}`);
    if (cacheErrors.some((n) => n > 0)) throw new Error(`benchmark saw cache errors: ${cacheErrors.join(', ')}`);
  } finally {
    await Promise.allSettled(caches.map((c) => c.close()));
    await cluster.stop();
    await single.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
