/**
 * What the body pre-scan (src/http/body-scan.ts) and the non-finite check
 * (src/http/finite.ts) add to decoding ordinary request bodies, and what a
 * nesting bomb costs now. Before = decode only (today's readBody); after =
 * scan + UTF-8 check + decode + finite walk. CPU time per body, so a busy
 * machine skews it less than wall time. Run: npx tsx bench/body-scan-micro.ts
 */
import { isUtf8 } from 'node:buffer';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { jsonScanner, msgpackScanner } from '../src/http/body-scan.js';
import { nonFinitePath } from '../src/http/finite.js';
import { decodeMsgpack, encodeMsgpack } from '../src/http/msgpack.js';
import { embeddingPayload, seedPayload } from './lib/payloads.js';

const jsonSafe = (f: object) => JSON.parse(JSON.stringify(f, (_k, v: unknown) => (v instanceof Float32Array ? Array.from(v) : v))) as object;
const items = (make: () => object, json: boolean) => ({ items: Array.from({ length: 100 }, (_, i) => ({ image_id: `img-${i}`, features: json ? jsonSafe(make()) : make() })) });

const bodies = [
  { name: 'batch-set 100 seed records, JSON', wire: 'json', bytes: Buffer.from(JSON.stringify(items(seedPayload, true))) },
  { name: 'batch-set 100 embeddings, JSON', wire: 'json', bytes: Buffer.from(JSON.stringify(items(embeddingPayload, true))) },
  { name: 'batch-set 100 embeddings, msgpack', wire: 'msgpack', bytes: Buffer.from(encodeMsgpack(items(embeddingPayload, false))) },
  { name: 'batch-get 100 ids, JSON', wire: 'json', bytes: Buffer.from(JSON.stringify({ image_ids: Array.from({ length: 100 }, (_, i) => `img-${i}`) })) },
] as const;

function before(wire: string, bytes: Buffer): unknown {
  return wire === 'json' ? JSON.parse(bytes.toString('utf8')) : decodeMsgpack(bytes);
}

function after(wire: string, bytes: Buffer): unknown {
  let v: unknown;
  if (wire === 'json') {
    jsonScanner().feed(bytes, bytes.length, true);
    if (!isUtf8(bytes)) throw new Error('utf8');
    v = JSON.parse(bytes.toString('utf8'));
  } else {
    msgpackScanner(bytes.length).feed(bytes, bytes.length, true);
    v = decodeMsgpack(bytes);
  }
  const body = v as { items?: { features: unknown }[] };
  for (const it of body.items ?? []) nonFinitePath(it.features);
  return v;
}

/** CPU time (not wall time: a busy machine time-slices this process) per call, µs. */
function time(fn: () => unknown, minCpuMs = 300): number {
  for (let i = 0; i < 50; i++) fn();
  let n = 0;
  const start = process.cpuUsage();
  let used = 0;
  while (used < minCpuMs * 1000) {
    for (let k = 0; k < 10; k++) fn();
    n += 10;
    const d = process.cpuUsage(start);
    used = d.user + d.system;
  }
  return used / n;
}

console.log(`load average ${loadavg()[0]!.toFixed(1)}`);
for (const b of bodies) {
  // interleave to share the machine's noise
  const runs = [0, 1, 2].map(() => [time(() => before(b.wire, b.bytes)), time(() => after(b.wire, b.bytes))] as const);
  const bef = Math.min(...runs.map((r) => r[0]));
  const aft = Math.min(...runs.map((r) => r[1]));
  console.log(`${b.name} (${(b.bytes.length / 1024).toFixed(0)} KiB): before ${bef.toFixed(0)} µs, after ${aft.toFixed(0)} µs (+${(((aft - bef) / bef) * 100).toFixed(1)}%)`);
}

const bomb = Buffer.alloc(16 * 1024 * 1024 - 1, 0x91);
Buffer.from('\x81\xa9image_ids', 'latin1').copy(bomb, 0);
const t = performance.now();
try {
  msgpackScanner(bomb.length).feed(bomb, bomb.length, true);
} catch (err) {
  console.log(`16 MB msgpack bomb: scan refuses in ${((performance.now() - t) * 1000).toFixed(0)} µs (${(err as Error).message})`);
}
