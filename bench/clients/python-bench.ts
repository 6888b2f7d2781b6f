/**
 * npm run bench:python — batch get of 1,000 records (msgpack) through the Python
 * client (clients/python, Debian's python3) against the same request from Node
 * (fetch + the service's msgpack decoder), on one service and redis-server.
 * Two payloads: the seed record (nested lists of numbers) and a 512-float32
 * embedding (one typed-array ext value). Medians over RUNS runs each, after
 * warm-up; both clients run one request at a time, so the figure is latency
 * (request, Redis MGETs, encoding, transfer, decoding into the language's values).
 * The service runs as its own process (with its embedded redis-server), so
 * neither client shares its event loop.
 * Also the decoding of the answer's bytes alone, in each language (no HTTP).
 * Writes bench/results/python-client.json.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeMsgpack } from '../../src/http/msgpack.js';
import { embeddingPayload, seedPayload } from '../lib/payloads.js';
import { runPython } from '../../test/helpers/python.js';
import { spawnService } from '../../test/http/service-process.js';
import { call } from '../../test/http/stack.js';

const RECORDS = 1000;
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const PAYLOADS = { 'seed-': seedPayload, 'emb-': embeddingPayload } as const;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function nodeBatchGet(url: string, ids: string[]): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${url}/analysis/cache/batch-get`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/msgpack' },
    body: JSON.stringify({ image_ids: ids }),
  });
  const body = decodeMsgpack(new Uint8Array(await res.arrayBuffer())) as { found: Record<string, unknown> };
  const ms = performance.now() - t;
  if (Object.keys(body.found).length !== ids.length) throw new Error('records missing');
  return ms;
}

const s = await spawnService({ FEATCACHE_MAX_BATCH: String(RECORDS) });
try {
  await s.waitReady();
  const load = loadavg()[0]!;
  const results: Record<string, { node_ms: number; python_ms: number; ratio: number; node_decode_ms: number; python_decode_ms: number; bytes: number }> = {};
  for (const [prefix, make] of Object.entries(PAYLOADS)) {
    const items = Array.from({ length: RECORDS }, (_, i) => ({ image_id: `${prefix}${String(i).padStart(6, '0')}`, features: make() }));
    const w = await call(s.url, '/analysis/cache/batch-set', { msgpack: { items } });
    if (w.status !== 200) throw new Error(`batch-set: ${w.status}`);
    const ids = items.map((i) => i.image_id);
    const probe = await fetch(`${s.url}/analysis/cache/batch-get`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/msgpack' }, body: JSON.stringify({ image_ids: ids }) });
    const raw = new Uint8Array(await probe.arrayBuffer());
    const bytes = raw.byteLength;
    const nodeDecode: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      decodeMsgpack(raw);
      nodeDecode.push(performance.now() - t);
    }
    for (let i = 0; i < 3; i++) await nodeBatchGet(s.url, ids);
    const nodeRuns: number[] = [];
    for (let i = 0; i < RUNS; i++) nodeRuns.push(await nodeBatchGet(s.url, ids));
    const py = await runPython([resolve(import.meta.dirname, 'python_bench.py'), s.url, '', String(RUNS), prefix, String(RECORDS)]);
    if (py.code !== 0) throw new Error(`python bench failed: ${py.stderr}`);
    const pyRuns = (JSON.parse(py.stdout) as Record<string, { get: number[]; decode: number[] }>)[prefix]!;
    const node = median(nodeRuns);
    const python = median(pyRuns.get);
    results[prefix.slice(0, -1)] = {
      node_ms: +node.toFixed(2),
      python_ms: +python.toFixed(2),
      ratio: +(python / node).toFixed(2),
      node_decode_ms: +median(nodeDecode).toFixed(2),
      python_decode_ms: +median(pyRuns.decode).toFixed(2),
      bytes,
    };
  }
  const out = { at: new Date().toISOString(), records: RECORDS, runs: RUNS, loadavg_1m: +load.toFixed(2), results };
  console.table(results);
  console.log(`load average (1 min) at start: ${load.toFixed(2)}`);
  writeFileSync(join(import.meta.dirname, '..', 'results', 'python-client.json'), `${JSON.stringify(out, null, 2)}\n`);
} finally {
  s.stop();
}
