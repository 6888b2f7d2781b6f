/**
 * Rebuilds bench/results/REPORT.md and its charts from a results file, without
 * measuring again: tsx bench/report/regenerate.ts [bench/results/bench.json]
 * (an older run: extract its `result` from bench/results/history.jsonl first).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeReport, type BenchResults } from './report.js';

const file = process.argv[2] ?? resolve(import.meta.dirname, '..', 'results', 'bench.json');
const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
const report = await writeReport(resolve(import.meta.dirname, '..', 'results'), results, resolve(file));
process.stdout.write(`report: ${report}\n`);
