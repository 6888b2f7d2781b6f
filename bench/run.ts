/**
 * npm run bench — the featcache benchmark harness.
 *
 * Starts its own redis-server and service, runs the HTTP scenarios with
 * autocannon against 127.0.0.1, the library figures beside a raw-Redis
 * baseline, the memory/compression and recall study and the Zipf efficiency
 * study, then prints the target table and writes bench/results/*.json and
 * bench/results/REPORT.md with PNG charts.
 *
 * Usage: tsx bench/run.ts [--quick] [--check] [--runs 3] [--seconds 5]
 *        [--workers 1,2] [--skip http,library,memory,efficiency]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startRedisProcess } from '../src/redis/redis-process.js';
import { measureMemory, measureRecall, type MemoryRow, type RecallRow } from './efficiency/memory.js';
import { runStudy, type EfficiencyRun } from './efficiency/study.js';
import { runHttpBench, type HttpBenchResult } from './http/run-http.js';
import { libraryFigures, type LibraryFigure } from './lib/library-figures.js';
import { machineInfo, writeResult } from './lib/report.js';
import { writeReport, type BenchResults } from './report/report.js';
import { evaluateTargets, formatTargetTable } from './report/targets.js';
import { isEntryPoint } from '../src/entry-point.js';

const PARTS = ['http', 'library', 'memory', 'efficiency'] as const;
type Part = (typeof PARTS)[number];

/**
 * Runs the harness with command-line arguments (without `node script`).
 * Resolves with the exit code: 0, or 1 when `--check` is given and a target fails.
 */
export async function runBench(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      runs: { type: 'string' },
      seconds: { type: 'string' },
      workers: { type: 'string', default: '1,2' },
      skip: { type: 'string', default: '' },
      only: { type: 'string', default: '' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('npm run bench -- [--quick] [--check] [--runs 3] [--seconds 5] [--workers 1,2] [--skip http,library,memory,efficiency] [--only ...]\n');
    return 0;
  }
  const quick = values.quick;
  const runs = positiveInt(values.runs ?? '3', '--runs');
  const seconds = positiveNumber(values.seconds ?? (quick ? '1' : '5'), '--seconds');
  const workers = values.workers.split(',').map((w) => positiveInt(w.trim(), '--workers'));
  const skip = new Set(values.skip.split(',').filter(Boolean));
  const only = new Set(values.only.split(',').filter(Boolean));
  for (const p of [...skip, ...only]) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`unknown part ${p}; parts are ${PARTS.join(', ')}`);
  const doPart = (p: Part) => !skip.has(p) && (only.size === 0 || only.has(p));
  const keyspace = quick ? 5_000 : 10_000;
  const efficiency = quick
    ? { keyspace: 50_000, warmupRequests: 100_000, measuredRequests: 50_000 }
    : { keyspace: 200_000, warmupRequests: 1_000_000, measuredRequests: 300_000 };
  const memoryImages = quick ? 1_000 : 5_000;
  const recall = quick ? { vectors: 1_000, queries: 50 } : { vectors: 5_000, queries: 200 };
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const started = performance.now();
  const machine = machineInfo();
  log(`featcache bench${quick ? ' (quick)' : ''}: ${runs} runs x ${seconds} s per scenario, workers ${workers.join(' and ')}; load average ${(machine.load_average_1_5_15 as number[]).join(' ')}`);

  const http: HttpBenchResult[] = [];
  if (doPart('http')) {
    for (const w of workers) {
      log(`\nHTTP scenarios, ${w} service process${w > 1 ? 'es' : ''} (${keyspace.toLocaleString('en-US')} seed images preloaded)`);
      http.push(await runHttpBench({ workers: w, runs, seconds, keyspace, progress: log }));
    }
  }

  let library: LibraryFigure[] = [];
  let memory: MemoryRow[] = [];
  let recallRows: RecallRow[] = [];
  if (doPart('library') || doPart('memory')) {
    const dir = mkdtempSync(join(tmpdir(), 'featcache-bench-'));
    const proc = await startRedisProcess({ dir, config: { maxmemory: '2gb', 'maxmemory-policy': 'volatile-lru' } });
    try {
      if (doPart('library')) {
        log('\nLibrary figures (in process, seed payload) beside raw ioredis on the same Redis');
        library = await libraryFigures(proc.url, runs, quick ? 0.5 : 2, log);
      }
      if (doPart('memory')) {
        log(`\nMemory per image (${memoryImages.toLocaleString('en-US')} images per setting) and recall@10`);
        memory = await measureMemory(proc.url, memoryImages, log);
        recallRows = await measureRecall(proc.url, recall.vectors, recall.queries, log);
      }
    } finally {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  let study: { runs: EfficiencyRun[]; bytes_per_record: number } | null = null;
  if (doPart('efficiency')) {
    log(`\nCache efficiency: Zipf over ${efficiency.keyspace.toLocaleString('en-US')} ids, read-through, ${efficiency.warmupRequests.toLocaleString('en-US')} warm-up + ${efficiency.measuredRequests.toLocaleString('en-US')} measured requests per run`);
    study = await runStudy({
      ...efficiency,
      cases: [
        [0.8, 0.2],
        [1.0, 0.2],
        [1.2, 0.2],
        [1.0, 0.1],
        [1.0, 0.4],
      ],
      policies: ['volatile-lru', 'volatile-lfu'],
      lfuLogFactor: 0,
      lfuComparisons: [{ s: 1.0, fraction: 0.2, lfuLogFactor: 10 }],
      progress: log,
    });
  }

  const targets = evaluateTargets({
    http: http.flatMap((h) => h.scenarios),
    library,
    memory,
    efficiency: study?.runs ?? [],
    serviceHitRates: http.map((h) => ({ workers: h.workers, hit_rate: h.serviceStats.hit_rate, reads: h.serviceStats.cache_hits + h.serviceStats.cache_misses })),
  });
  const machineAfter = machineInfo();
  const results: BenchResults = {
    machine: { ...machine, load_average_at_end: machineAfter.load_average_1_5_15 },
    settings: {
      quick,
      runs,
      seconds_per_run: seconds,
      workers,
      http_keyspace: keyspace,
      redis_setup: 'redis-server started by the harness: no persistence, maxmemory 2gb, volatile-lru (HTTP, library, memory); per-run servers for the efficiency study',
      service: 'src/server.ts via node --import tsx, LOG_LEVEL=warn, no API keys (loopback)',
      efficiency: efficiency,
      memory_images: memoryImages,
      recall,
      total_seconds: Math.round((performance.now() - started) / 1000),
    },
    http,
    library,
    memory,
    recall: recallRows,
    efficiency: study,
    targets,
  };
  const resultFile = writeResult(quick ? 'bench-quick' : 'bench', results);
  const report = await writeReport(resolve(import.meta.dirname, 'results'), results, resultFile);
  log('\nTargets (median of runs, [min .. max]):\n');
  log(formatTargetTable(targets));
  log(`\nresults: ${resultFile}\nreport:  ${report}`);
  const failed = targets.filter((t) => t.pass === false);
  if (values.check && failed.length > 0) {
    log(`\n--check: ${failed.length} target(s) failed`);
    return 1;
  }
  return 0;
}

function positiveInt(s: string, name: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
}

function positiveNumber(s: string, name: string): number {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number`);
  return n;
}

const invokedDirectly = isEntryPoint(import.meta.url);

if (invokedDirectly) {
  runBench(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`featcache bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
