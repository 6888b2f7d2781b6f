import { describe, expect, it } from 'vitest';
import { decodeMsgpack, encodeMsgpack } from '../../src/http/msgpack.js';
import { MsgpackEncoder } from '../../src/http/msgpack-encoder.js';

const record = (i: number) => ({
  image_id: `user_000001_img_${String(i).padStart(6, '0')}`,
  version: '1.0',
  created_at: '2026-11-22T01:00:00.000Z',
  features: {
    fast: { avg_color_features: [127.43215, 64.5, 0], ahash_features: Array.from({ length: 64 }, (_, k) => (k * i) % 2) },
    orb: { keypoints_count: 500 + i, descriptors_shape: [500, 32] },
    embedding: Float32Array.from({ length: 40 }, (_, k) => Math.sin(k + i)),
    bytes: new Uint8Array([1, 2, 3, i & 0xff]),
    i16: new Int16Array([-2, 300]),
    big: 2n ** 60n + BigInt(i),
    neg_big: -(2n ** 40n),
    ints: [0, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 40, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1],
    floats: [0.5, -1.25, Number.NaN, Infinity, -Infinity, 1e300],
    strings: ['', 'ü€😀', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(300), 'w'.repeat(70000)],
    flags: [true, false, null],
    nested: { deep: [[{ a: [] }]] },
  },
});

describe('MsgpackEncoder (responses)', () => {
  it('writes exactly the bytes of the @msgpack/msgpack encoder configured for the API', () => {
    const enc = new MsgpackEncoder();
    const body = { success: true, found: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`id${i}`, record(i)])), missing: ['a'], u: undefined };
    const ours = Buffer.from(enc.encode(body));
    expect(ours.equals(Buffer.from(encodeMsgpack(body)))).toBe(true);
    // a second answer reuses the scratch buffer and the string cache: still exact, and the first answer is unchanged
    const again = Buffer.from(enc.encode({ success: true, found: {}, missing: ['b'] }));
    expect(again.equals(Buffer.from(encodeMsgpack({ success: true, found: {}, missing: ['b'] })))).toBe(true);
    expect((decodeMsgpack(ours) as { missing: string[] }).missing).toEqual(['a']);
  });

  it('writes a Map (the batch answer\'s `found`) as the same msgpack map the object would be', () => {
    const entries = Array.from({ length: 20 }, (_, i) => [`id${i}`, record(i)] as const);
    const asMap = { success: true, found: new Map<string, unknown>([...entries, ['__proto__', record(99)]]) };
    const asObject = { success: true, found: Object.assign(Object.create(null) as object, Object.fromEntries(entries), { ['__proto__']: record(99) }) };
    const ours = Buffer.from(new MsgpackEncoder().encode(asMap));
    // (the reference encoder itself writes a Map as an empty map, so compare with the object)
    expect(ours.equals(Buffer.from(encodeMsgpack(asObject)))).toBe(true);
  });

  it('keeps -0 (as float64; the reference encoder writes integer 0, which a client reads as +0)', () => {
    const ours = Buffer.from(new MsgpackEncoder().encode({ a: -0, list: [-0, 0] }));
    const back = decodeMsgpack(ours) as { a: number; list: number[] };
    expect(Object.is(back.a, -0)).toBe(true);
    expect(Object.is(back.list[0], -0)).toBe(true);
    expect(Object.is(back.list[1], 0)).toBe(true);
    expect(ours.includes(Buffer.from('cb8000000000000000', 'hex'))).toBe(true);
  });

  it('refuses values the API never sends', () => {
    expect(() => new MsgpackEncoder().encode({ f: () => 1 })).toThrow(/cannot encode/);
  });
});
