/**
 * Issue 11 item 7: a bounded fuzzer over HTTP bodies. Random and mutated JSON,
 * msgpack, multipart and raw-image bodies go to batch-set, batch-get, PUT image,
 * similar and features, bounded by count AND time, from a seeded PRNG so a
 * failure replays (FEATCACHE_FUZZ_SEED=<seed>; the seed and the failing input
 * are printed). Asserts: no 5xx other than the load-shedding / Redis-down codes,
 * every error is the JSON error shape, the service keeps answering, and the
 * event loop never stalls for long.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../bench/lib/prng.js';
import { encodeMsgpack } from '../../../src/http/msgpack.js';
import { form, scene } from '../images.js';
import { startStack, type Stack } from '../stack.js';
import { loadScaled } from './probe.js';

const SEED = Number(process.env.FEATCACHE_FUZZ_SEED ?? 20261203);
const MAX_INPUTS = 1500;
const MAX_MS = 15_000;
const CONCURRENCY = 4;
/** 5xx codes that are not bugs: Redis down, the extraction queue full. */
const ALLOWED_5XX = new Set(['REDIS_UNAVAILABLE', 'REDIS_ERROR', 'COMPUTE_FAILED']);

let s: Stack;
let png: Buffer;
beforeAll(async () => {
  s = await startStack({ FEATCACHE_MAX_BATCH: '50', FEATCACHE_EXTRACT_WORKERS: '1' });
  png = await scene(7);
});
afterAll(async () => {
  await s?.stop();
});

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T,>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;

const NASTY_STRINGS = ['', '.', '..', '__proto__', 'constructor', 's\ud800', '\udfff', '\u0000', 'a\nb', '\ufffd', 'é'.repeat(300), '%2e%2e', 'x'.repeat(600), '🙂'];
const NASTY_NUMBERS = [0, -0, 1, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 4294967296];

function randomValue(r: Rand, depth: number): unknown {
  const k = int(r, depth > 4 ? 5 : 9);
  switch (k) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return pick(r, NASTY_NUMBERS);
    case 3: return r() * 1000 - 500;
    case 4: return pick(r, NASTY_STRINGS);
    case 5: return Array.from({ length: int(r, 6) }, () => randomValue(r, depth + 1));
    case 6: return new Float32Array(Array.from({ length: int(r, 8) }, () => pick(r, NASTY_NUMBERS)));
    case 7: {
      const o: Record<string, unknown> = {};
      for (let i = int(r, 5); i > 0; i--) o[pick(r, NASTY_STRINGS.concat(['a', 'phash', 'embedding']))] = randomValue(r, depth + 1);
      return o;
    }
    default: {
      // deep nesting around the limits
      let v: unknown = 1;
      for (let i = pick(r, [10, 63, 64, 66, 67, 68, 200]); i > 0; i--) v = r() < 0.5 ? [v] : { d: v };
      return v;
    }
  }
}

/** A plausible body for a route, so mutations reach past the first checks. */
function plausible(r: Rand, route: string): unknown {
  const id = () => (r() < 0.8 ? `img-${int(r, 20)}` : pick(r, NASTY_STRINGS));
  const features = () => (r() < 0.5 ? { phash: 'abcdef0123456789', v: [1, 2, 3] } : (randomValue(r, 1) as object));
  switch (route) {
    case 'batch-set': return { items: Array.from({ length: 1 + int(r, 4) }, () => ({ image_id: id(), features: features(), ...(r() < 0.3 ? { ttl_seconds: int(r, 100) } : {}) })) };
    case 'batch-get': return { image_ids: Array.from({ length: 1 + int(r, 4) }, id), ...(r() < 0.3 ? { types: ['phash'] } : {}) };
    case 'put': return { features: features(), ...(r() < 0.3 ? { groups: [id()] } : {}) };
    default: return r() < 0.5 ? { phash: 'abcdef0123456789', max_distance: int(r, 20) } : { image_id: id(), limit: int(r, 2000) };
  }
}

function mutate(r: Rand, bytes: Uint8Array): Uint8Array {
  const b = Buffer.from(bytes);
  const op = int(r, 6);
  if (op === 0 && b.length > 0) return b.subarray(0, int(r, b.length)); // truncate
  if (op === 1) {
    for (let i = 1 + int(r, 4); i > 0 && b.length > 0; i--) b[int(r, b.length)] = int(r, 256); // flip bytes
    return b;
  }
  if (op === 2) {
    const at = int(r, b.length + 1);
    const insert = Buffer.from(pick(r, ['[', '{', '"', '\\', '\x91', '\xdd\xff\xff\xff\xff', '\xc1', '1e400', '\xed\xa0\x80']), 'latin1');
    return Buffer.concat([b.subarray(0, at), Buffer.alloc(insert.length * (1 + int(r, 200)), insert), b.subarray(at)]);
  }
  if (op === 3 && b.length > 2) {
    const from = int(r, b.length);
    return Buffer.concat([b, b.subarray(from, from + int(r, 64))]); // trailing garbage
  }
  return b; // unchanged: a valid (if odd) body
}

interface Input {
  desc: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body: Uint8Array | FormData;
}

function makeInput(r: Rand): Input {
  const route = pick(r, ['batch-set', 'batch-get', 'put', 'similar', 'features']);
  const path = {
    'batch-set': '/analysis/cache/batch-set',
    'batch-get': '/analysis/cache/batch-get',
    put: `/analysis/cache/image/${encodeURIComponent(pick(r, ['fz-1', 'fz-2', '.x', 'é']))}`,
    similar: '/analysis/similar',
    features: '/analysis/features',
  }[route]!;
  const method = route === 'put' ? 'PUT' : 'POST';
  const wire = route === 'features' || (route === 'similar' && r() < 0.3) ? pick(r, ['multipart', 'raw']) : pick(r, ['json', 'msgpack', 'random']);
  if (wire === 'multipart') {
    const fields: Record<string, string> = { image_id: String(pick(r, ['up-1', 'up-2', '..', 's\ud800', ''])) };
    if (r() < 0.3) fields['max_distance'] = pick(r, ['1', '-1', '99', 'x']);
    const image = r() < 0.7 ? png : Buffer.from(mutate(r, png));
    return { desc: `${route} multipart`, path, method, headers: {}, body: form(image, fields) };
  }
  if (wire === 'raw') {
    const image = r() < 0.5 ? png : Buffer.from(mutate(r, png));
    return { desc: `${route} raw`, path: `${path}?image_id=raw-${int(r, 3)}`, method, headers: { 'content-type': pick(r, ['image/png', 'image/jpeg', 'image/x-nope']) }, body: image };
  }
  if (wire === 'random') {
    const body = Buffer.from(Array.from({ length: int(r, 256) }, () => int(r, 256)));
    return { desc: `${route} random bytes`, path, method, headers: { 'content-type': pick(r, ['application/json', 'application/msgpack']) }, body };
  }
  const value = r() < 0.7 ? plausible(r, route) : randomValue(r, 0);
  let bytes: Uint8Array;
  try {
    bytes = wire === 'json' ? Buffer.from(JSON.stringify(value) ?? 'null') : encodeMsgpack(value);
  } catch {
    bytes = Buffer.from('{}');
  }
  if (r() < 0.6) bytes = mutate(r, bytes);
  return { desc: `${route} ${wire}`, path, method, headers: { 'content-type': `application/${wire}` }, body: bytes };
}

describe('hostile-input fuzzer', () => {
  it(`${MAX_INPUTS} inputs or ${MAX_MS / 1000} s: no 5xx, no crash, no stall (seed ${SEED})`, async () => {
    const r = mulberry32(SEED);
    const inputs = Array.from({ length: MAX_INPUTS }, () => makeInput(r));
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const start = performance.now();
    let next = 0;
    let tried = 0;
    const worker = async () => {
      while (next < inputs.length && performance.now() - start < MAX_MS && failures.length < 5) {
        const index = next++;
        const input = inputs[index]!;
        const res = await fetch(s.url + input.path, { method: input.method, headers: input.headers, body: input.body as RequestInit['body'] });
        const text = await res.text();
        tried++;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        let body: { success?: boolean; error?: { code?: string } } | undefined;
        try {
          body = JSON.parse(text) as typeof body;
        } catch {
          body = undefined;
        }
        const bad =
          (res.status >= 500 && !ALLOWED_5XX.has(body?.error?.code ?? '')) ||
          (res.status >= 400 && (body?.success !== false || typeof body.error?.code !== 'string'));
        if (bad) failures.push(`seed ${SEED} input #${index} (${input.desc} ${input.method} ${input.path}): ${res.status} ${text.slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsed = performance.now() - start;
    loop.disable();
    const live = await fetch(`${s.url}/livez`);
    console.log(
      `fuzz seed ${SEED}: ${tried} inputs in ${(elapsed / 1000).toFixed(1)} s, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}, ` +
        `event-loop delay max ${(loop.max / 1e6).toFixed(1)} ms p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, ${failures.length} failures`,
    );
    expect(failures).toEqual([]);
    expect(live.status).toBe(200);
    expect(tried).toBeGreaterThan(100);
    // A stall is what this guards against (the nesting bomb held the loop 27.8 s):
    // 250 ms scaled by load failed once at 554 ms on a loaded 2-core CI machine
    // (a GC pause or a large body's copy), so the bound is 1.5 s scaled, still
    // far below any real stall. The loop delay itself is a figure for benches.
    expect(loop.max / 1e6).toBeLessThan(loadScaled(1500));
  }, 60_000);
});
