/**
 * npm run bench:aof — what durability costs in write throughput: featcache
 * batch writes (setMany of 100, 4 in flight, seed payload) on one Redis with
 * no persistence, RDB only, AOF everysec and AOF always; runs interleaved,
 * median of --runs. Also the memory of one group-index member.
 *
 * Usage: tsx bench/failover/aof-cost.ts [--runs 3] [--seconds 3]
 * Starts its own redis-server processes on free ports; writes
 * bench/results/aof-cost.json (and a line of bench/results/history.jsonl).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createFeatureCache, type FeatureCache, type SetManyItem } from '../../src/index.js';
import { startRedisProcess, type RedisProcess } from '../../src/redis/redis-process.js';
import { seedPayload } from '../lib/payloads.js';
import { machineInfo, median, writeResult } from '../lib/report.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '3' }, seconds: { type: 'string', default: '3' } } });
const RUNS = Number(args.runs);
const SECONDS = Number(args.seconds);

const MODES: Record<string, Record<string, string>> = {
  'no persistence': { appendonly: 'no', save: '' },
  'RDB only (save 60 10000)': { appendonly: 'no', save: '60 10000' },
  'AOF everysec': { appendonly: 'yes', appendfsync: 'everysec', save: '' },
  'AOF always': { appendonly: 'yes', appendfsync: 'always', save: '' },
};

const id = (i: number) => `user_${String(i % 1000).padStart(6, '0')}_img_${String(i).padStart(6, '0')}`;

async function throughput(cache: FeatureCache, batches: SetManyItem[][]): Promise<number> {
  let done = 0;
  let n = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (performance.now() < end) {
        await cache.setMany(batches[n++ % batches.length]!);
        done += 100;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

/** used_memory growth per member of one group set of 10,000 string image IDs. */
async function groupMemberBytes(url: string): Promise<number> {
  const raw = new Redis(url);
  try {
    await raw.flushall();
    const used = async () => Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1]);
    const before = await used();
    for (let i = 0; i < 10_000; i += 500) await raw.sadd('fc:@g:1.0:project', ...Array.from({ length: 500 }, (_, k) => id(i + k)));
    return Math.round(((await used()) - before) / 10_000);
  } finally {
    raw.disconnect();
  }
}

async function main(): Promise<void> {
  const load = loadavg();
  console.log(`load average before the run: ${load.map((l) => l.toFixed(2)).join(' ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'featcache-aof-cost-'));
  const procs: RedisProcess[] = [];
  const caches: FeatureCache[] = [];
  try {
    const batches = Array.from({ length: 200 }, (_, b) =>
      Array.from({ length: 100 }, (_, k): SetManyItem => ({ imageId: id(b * 100 + k), features: seedPayload() })),
    );
    const names = Object.keys(MODES);
    for (const [i, name] of names.entries()) {
      const proc = await startRedisProcess({ dir: join(dir, String(i)), config: { maxmemory: '1gb', 'maxmemory-policy': 'volatile-lru', ...MODES[name] } });
      procs.push(proc);
      caches.push(await createFeatureCache({ redis: proc.url, prefix: 'aof' }));
    }
    const runs: number[][] = names.map(() => []);
    for (let r = 0; r < RUNS; r++) {
      for (let m = 0; m < names.length; m++) runs[m]!.push(await throughput(caches[m]!, batches));
    }
    const base = median(runs[0]!);
    const rows = names.map((name, m) => ({
      persistence: name,
      batch_write_images_per_s: Math.round(median(runs[m]!)),
      ratio_to_no_persistence: Number((median(runs[m]!) / base).toFixed(3)),
      runs: runs[m]!.map(Math.round),
    }));
    console.table(rows.map(({ runs: _r, ...r }) => r));
    const member = await groupMemberBytes(procs[0]!.url);
    console.log(`group-index member (string image ID of 22 bytes, set of 10,000): ${member} bytes`);
    const file = writeResult('aof-cost', { machine: { ...machineInfo(), loadavg_before: load }, runs: RUNS, seconds: SECONDS, rows, group_member_bytes: member });
    console.log(`results: ${file}`);
  } finally {
    await Promise.allSettled(caches.map((c) => c.close()));
    await Promise.allSettled(procs.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
