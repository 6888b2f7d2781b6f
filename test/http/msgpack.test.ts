/** msgpack bodies: typed arrays survive the HTTP round trip, bit-exact and with their type. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startStack, type Stack } from './stack.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s?.stop();
});

const embedding = Float32Array.from({ length: 512 }, (_, i) => Math.sin(i) * 1e3 + 1 / 3);
const orb = Uint8Array.from({ length: 256 }, (_, i) => (i * 37) % 256);
const features = {
  embedding,
  orb,
  f64: Float64Array.from([Math.PI, -0, Number.MAX_VALUE, Number.MIN_VALUE]),
  i8: Int8Array.from([-128, 0, 127]),
  u16: Uint16Array.from([0, 65535]),
  i32: Int32Array.from([-(2 ** 31), 2 ** 31 - 1]),
  big: BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n]),
  nested: { hist: Float32Array.from([0.125, 0.25]), label: 'cat' },
};

describe('msgpack', () => {
  it('PUT msgpack, GET msgpack: every typed array comes back as the same type, bit-exact', async () => {
    const put = await call(s.url, '/analysis/cache/image/mp-1', { method: 'PUT', msgpack: { features }, accept: 'msgpack' });
    expect(put.status).toBe(200);
    expect(put.headers.get('content-type')).toBe('application/msgpack');
    expect(put.body).toEqual({ success: true, image_id: 'mp-1', version: '1.0' });

    const get = await call(s.url, '/analysis/cache/image/mp-1', { accept: 'msgpack' });
    expect(get.status).toBe(200);
    const f = get.body.features;
    expect(f.embedding).toBeInstanceOf(Float32Array);
    expect(Buffer.from(f.embedding.buffer, f.embedding.byteOffset, f.embedding.byteLength).equals(Buffer.from(embedding.buffer))).toBe(true);
    expect(f.orb).toBeInstanceOf(Uint8Array);
    expect([...f.orb]).toEqual([...orb]);
    expect(f.f64).toBeInstanceOf(Float64Array);
    expect(Object.is(f.f64[1], -0)).toBe(true);
    expect([...f.f64]).toEqual([...features.f64]);
    expect(f.i8).toBeInstanceOf(Int8Array);
    expect([...f.i8]).toEqual([-128, 0, 127]);
    expect(f.u16).toBeInstanceOf(Uint16Array);
    expect(f.i32).toBeInstanceOf(Int32Array);
    expect([...f.i32]).toEqual([-(2 ** 31), 2 ** 31 - 1]);
    expect(f.big).toBeInstanceOf(BigInt64Array);
    expect([...f.big]).toEqual([-(2n ** 63n), 2n ** 63n - 1n]);
    expect(f.nested.hist).toBeInstanceOf(Float32Array);
    expect(f.nested.label).toBe('cat');
  });

  it('the same record read as JSON has plain number arrays (float32 values widened exactly)', async () => {
    const get = await call(s.url, '/analysis/cache/image/mp-1');
    expect(get.headers.get('content-type')).toContain('application/json');
    const f = get.body.features;
    expect(Array.isArray(f.embedding)).toBe(true);
    expect(Float32Array.from(f.embedding)).toEqual(embedding);
    expect(f.orb).toEqual([...orb]);
    expect(f.big).toEqual(['-9223372036854775808', '9223372036854775807']);
  });

  it('batch-set and batch-get in msgpack', async () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ image_id: `mp-b-${i}`, features: { embedding: Float32Array.from([i, i / 7]) } }));
    const set = await call(s.url, '/analysis/cache/batch-set', { msgpack: { items }, accept: 'msgpack' });
    expect(set.body).toEqual({ success: true, written: 50, requested: 50 });
    const get = await call(s.url, '/analysis/cache/batch-get', {
      msgpack: { image_ids: [...items.map((i) => i.image_id), 'mp-none'] },
      accept: 'msgpack',
    });
    expect(get.status).toBe(200);
    expect(Object.keys(get.body.found)).toHaveLength(50);
    const r = get.body.found['mp-b-7'];
    expect(r.features.embedding).toBeInstanceOf(Float32Array);
    expect([...r.features.embedding]).toEqual([7, Math.fround(1)]);
    expect(get.body.missing).toEqual(['mp-none']);
  });

  it('errors answer in JSON even to msgpack clients; malformed msgpack is 400', async () => {
    const bad = await call(s.url, '/analysis/cache/batch-get', {
      raw: new Uint8Array([0xc1]),
      headers: { 'content-type': 'application/msgpack' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('MALFORMED_BODY');
  });

  it('an unknown ext type or a misaligned typed-array payload is 400', async () => {
    // fixext 4, type 0x7f
    const unknownExt = new Uint8Array([0x81, 0xa8, ...Buffer.from('features'), 0x81, 0xa1, 0x61, 0xd6, 0x7f, 1, 2, 3, 4]);
    const r1 = await call(s.url, '/analysis/cache/image/ext', { method: 'PUT', raw: unknownExt, headers: { 'content-type': 'application/msgpack' } });
    expect(r1.status).toBe(400);
    expect(r1.body.error.message).toContain('ext type 127');
    // fixext 2 of type 0x16 (Float32Array) holds 2 bytes: not a multiple of 4
    const misaligned = new Uint8Array([0x81, 0xa8, ...Buffer.from('features'), 0x81, 0xa1, 0x61, 0xd5, 0x16, 1, 2]);
    const r2 = await call(s.url, '/analysis/cache/image/ext', { method: 'PUT', raw: misaligned, headers: { 'content-type': 'application/msgpack' } });
    expect(r2.status).toBe(400);
    expect(r2.body.error.code).toBe('MALFORMED_BODY');
  });
});
