/**
 * Issue 11 item 1: nesting bombs. Every body format is refused with 400
 * MALFORMED_BODY naming the depth limit, in milliseconds, without lasting
 * memory growth, while /livez stays fast.
 */
import { loadavg } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startStack, type Stack } from '../stack.js';
import { loadScaled, measureHostile, type HostileFigures } from './probe.js';

const READ = 'nesting-read-key-0123456789';
const WRITE = 'nesting-write-key-0123456789';
const MB16 = 16 * 1024 * 1024;

let s: Stack;
beforeAll(async () => {
  s = await startStack({ FEATCACHE_API_KEYS: `${READ}:read,${WRITE}:write` });
});
afterAll(async () => {
  await s?.stop();
});

/** The msgpack bomb: one key, then ~16M one-element arrays. */
function msgpackBomb(): Uint8Array {
  const b = Buffer.alloc(MB16 - 1, 0x91);
  Buffer.from('\x81\xa9image_ids', 'latin1').copy(b, 0);
  b[b.length - 1] = 0x01;
  return b;
}

function report(name: string, f: HostileFigures): void {
  console.log(`[load ${loadavg()[0]!.toFixed(1)}] ${name}: ${f.status} in ${f.answerMs.toFixed(1)} ms, /livez max ${f.livezMaxMs.toFixed(1)} ms, loop delay max ${f.loopDelayMaxMs.toFixed(1)} ms, RSS +${f.rssGrowthMb.toFixed(1)} MB`);
}

function expectRefusedFast(f: HostileFigures): void {
  expect(f.status).toBe(400);
  expect(f.body).toMatchObject({ success: false, error: { code: 'MALFORMED_BODY' } });
  expect(typeof f.body === 'object' && f.body.error?.message).toMatch(/nest(ed|ing) deeper than \d+/);
  expect(f.answerMs).toBeLessThan(loadScaled(100));
  expect(f.livezMaxMs).toBeLessThan(loadScaled(50));
  expect(f.rssGrowthMb).toBeLessThan(50);
}

describe('nesting bombs', () => {
  it('the 16 MB msgpack bomb on batch-get (read key) is 400 MALFORMED_BODY in < 100 ms', async () => {
    const f = await measureHostile(s.url, '/analysis/cache/batch-get', { 'content-type': 'application/msgpack', authorization: `Bearer ${READ}` }, msgpackBomb());
    report('msgpack bomb', f);
    expectRefusedFast(f);
  }, 120_000);

  it('a 16 MB [[[...]]] JSON body is 400 MALFORMED_BODY in < 100 ms', async () => {
    const f = await measureHostile(s.url, '/analysis/cache/batch-set', { 'content-type': 'application/json', authorization: `Bearer ${WRITE}` }, '['.repeat(MB16 / 2) + ']'.repeat(MB16 / 2));
    report('JSON bomb', f);
    expectRefusedFast(f);
  }, 120_000);

  it('nesting inside JSON strings does not count; deep features within the limit still reach the codec', async () => {
    const deepString = '['.repeat(1000);
    const ok = await call(s.url, '/analysis/cache/image/deep-string', { method: 'PUT', json: { features: { s: deepString } }, key: WRITE });
    expect(ok.status).toBe(200);
    // 64 levels of features (the codec's limit) fit in a body; 65 are the codec's INVALID_FEATURES
    const nest = (n: number): unknown => (n === 0 ? 1 : [nest(n - 1)]);
    expect((await call(s.url, '/analysis/cache/image/deep-63', { method: 'PUT', json: { features: { x: nest(63) } }, key: WRITE })).status).toBe(200);
    const tooDeep = await call(s.url, '/analysis/cache/image/deep-64', { method: 'PUT', json: { features: { x: nest(64) } }, key: WRITE });
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.body.error.code).toBe('INVALID_FEATURES');
  });

  it('a msgpack body of a million empty arrays is refused before decoding (container limit)', async () => {
    const n = 4_000_000;
    const body = Buffer.alloc(12 + n, 0x90);
    Buffer.from('\x81\xa5items\xdd', 'latin1').copy(body, 0); // {items: array32 of n empty arrays}
    body.writeUInt32BE(n, 8);
    const f = await measureHostile(s.url, '/analysis/cache/batch-set', { 'content-type': 'application/msgpack', authorization: `Bearer ${WRITE}` }, body);
    report('msgpack 4M empty arrays', f);
    expect(f.status).toBe(400);
    expect(f.body).toMatchObject({ error: { code: 'MALFORMED_BODY' } });
    expect(typeof f.body === 'object' && f.body.error?.message).toMatch(/more than \d+ (arrays|containers)/);
    expect(f.answerMs).toBeLessThan(loadScaled(100));
  }, 120_000);

  it('a truncated msgpack array header claiming 4G elements is 400 without allocating', async () => {
    const f = await measureHostile(s.url, '/analysis/cache/batch-get', { 'content-type': 'application/msgpack', authorization: `Bearer ${READ}` }, Buffer.from('\x81\xa9image_ids\xdd\xff\xff\xff\xf0\xa1a', 'latin1'));
    expect(f.status).toBe(400);
    expect(f.body).toMatchObject({ error: { code: 'MALFORMED_BODY' } });
  });
});

describe('multipart forms', () => {
  it('a form of 100,000 tiny parts is 400 MALFORMED_BODY before the form parser builds them', async () => {
    const b = 'featcachebound';
    const part = `--${b}\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n`;
    const body = part.repeat(100_000) + `--${b}--\r\n`;
    const f = await measureHostile(s.url, '/analysis/features', { 'content-type': `multipart/form-data; boundary=${b}`, authorization: `Bearer ${WRITE}` }, body);
    report('multipart 100k parts', f);
    expect(f.status).toBe(400);
    expect(f.body).toMatchObject({ error: { code: 'MALFORMED_BODY' } });
    expect(typeof f.body === 'object' && f.body.error?.message).toMatch(/more than \d+ parts/);
    // the form is read whole (5 MB here), then its delimiters counted: no per-part work
    expect(f.answerMs).toBeLessThan(loadScaled(500));
  }, 60_000);
});
