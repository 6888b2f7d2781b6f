/** Shared by the benchmarks: medians, machine facts, result files (latest per benchmark + history.jsonl). */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { join } from 'node:path';

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export function machineInfo(): Record<string, unknown> {
  let redis = 'unknown';
  try {
    redis = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // not installed
  }
  return {
    date: new Date().toISOString(),
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    redis,
    load_average_1_5_15: loadavg().map((x) => Number(x.toFixed(2))),
  };
}

/** bench/results: the latest result of each benchmark, and one history of every run. */
export const RESULTS_DIR = join(import.meta.dirname, '..', 'results');
export const HISTORY_FILE = join(RESULTS_DIR, 'history.jsonl');

/**
 * Writes bench/results/<name>.json (the latest result of that benchmark,
 * replaced on every run) and appends the run to bench/results/history.jsonl as
 * one line `{"benchmark", "run", "date", "result"}`. Returns the latest file's path.
 * `run` (`<name>-<ISO date with - for : and .>`) is how docs cite one run.
 */
export function writeResult(name: string, data: unknown, dir: string = RESULTS_DIR): string {
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString();
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  const run = `${name}-${date.replace(/[:.]/g, '-')}`;
  appendFileSync(join(dir, 'history.jsonl'), `${JSON.stringify({ benchmark: name, run, date, result: data })}\n`);
  return file;
}
