import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { packPlanes, packedBound, unpackPlanes } from '../../src/codec/byte-planes.js';
import { createCodec, Ext } from '../../src/codec/index.js';

/** Deterministic unit-length "embedding" (sum of uniforms ~ gaussian). */
function embedding(seed: number, n = 512): Float32Array {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const v = new Float32Array(n);
  let norm = 0;
  for (let i = 0; i < n; i++) {
    let g = -3;
    for (let k = 0; k < 6; k++) g += rnd();
    v[i] = g;
    norm += g * g;
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < n; i++) v[i] = v[i]! / norm;
  return v;
}

const bytesOf = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

describe('byte planes', () => {
  it('round-trips bit-exact, including NaN payloads, -0, infinities and subnormals', () => {
    const v = embedding(1, 300);
    const special = new Float32Array([Number.NaN, -0, Infinity, -Infinity, 1e-45, -1e-40]);
    const u = new Uint32Array(special.buffer);
    u[0] = 0x7fc12345; // a NaN with a payload
    v.set(special, 10);
    const out = Buffer.alloc(packedBound(v.byteLength));
    const n = packPlanes(bytesOf(v), 4, Ext.FLOAT32, out, 0);
    expect(n).toBeGreaterThan(0);
    const { innerType, buffer } = unpackPlanes(out.subarray(0, n), 1 << 20);
    expect(innerType).toBe(Ext.FLOAT32);
    expect(Buffer.from(buffer).equals(bytesOf(v))).toBe(true);
  });

  it('declines when packing would not save at least 8 bytes (random bytes)', () => {
    const random = new Float64Array(randomBytes(128 * 8).buffer);
    const out = Buffer.alloc(packedBound(128 * 8));
    expect(packPlanes(bytesOf(random), 8, Ext.FLOAT64, out, 0)).toBe(-1);
  });

  it('a constant high byte costs one palette byte and no index bits', () => {
    const v = new Float64Array(1000).map((_, i) => 0.25 + i * 1e-9);
    const out = Buffer.alloc(packedBound(8000));
    const n = packPlanes(bytesOf(v), 8, Ext.FLOAT64, out, 0);
    expect(n).toBe(7 + 1 + 1000 * 7); // header, one palette byte, 7 low bytes per element
    expect(Buffer.from(unpackPlanes(out.subarray(0, n), 1 << 20).buffer).equals(bytesOf(v))).toBe(true);
  });

  it('refuses hostile payloads: bombs, bad palettes, truncation, trailing bytes', () => {
    const bomb = Buffer.from([Ext.FLOAT64, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0x3f]);
    expect(() => unpackPlanes(bomb, 16 << 20)).toThrow(/limit/);
    const v = embedding(2, 128);
    const out = Buffer.alloc(packedBound(512));
    const n = packPlanes(bytesOf(v), 4, Ext.FLOAT32, out, 0);
    const good = out.subarray(0, n);
    expect(() => unpackPlanes(good.subarray(0, n - 3), 1 << 20)).toThrow(RangeError);
    expect(() => unpackPlanes(Buffer.concat([good, Buffer.from([0])]), 1 << 20)).toThrow(/expected/);
    expect(() => unpackPlanes(Buffer.from([99, 1, 0, 0, 0, 0, 0, 0]), 1 << 20)).toThrow(/unknown element type/);
    // 4 elements, k=2, a palette of 3, and an index of 3 that points past it
    const badIndex = Buffer.concat([Buffer.from([Ext.FLOAT32, 4, 0, 0, 0, 2, 2, 0x3c, 0x3d, 0xbc, 0x03]), Buffer.alloc(12)]);
    expect(() => unpackPlanes(badIndex, 1 << 20)).toThrow(/beyond its palette/);
  });
});

describe('codec with byte planes', () => {
  // Redis allocates a value of 2,042 bytes or less (plus its 6-byte sds header) in the
  // 2,048-byte class and 1,018 or less in the 1,024-byte class: the packing must get there.
  it('stores a unit-length 512-float32 embedding in <= 1,900 bytes losslessly and float16 in <= 1,000', () => {
    const v = embedding(3);
    const lossless = createCodec({ compression: 'lz4' }).encode({ embedding: v }, Date.now());
    expect(lossless.length).toBeLessThanOrEqual(1900);
    const back = createCodec().decode(lossless).features.embedding as Float32Array;
    expect(back).toBeInstanceOf(Float32Array);
    expect(bytesOf(back).equals(bytesOf(v))).toBe(true);

    const half = createCodec({ quantize: 'float16' }).encode({ embedding: v }, Date.now());
    expect(half.length).toBeLessThanOrEqual(1000);
    const h = createCodec({ quantize: 'float16' }).decode(half).features.embedding as Float32Array;
    expect(h).toBeInstanceOf(Float32Array);
    for (let i = 0; i < v.length; i++) expect(Math.abs(h[i]! - v[i]!)).toBeLessThanOrEqual(Math.abs(v[i]!) * 2 ** -11 + 2 ** -25);
  });

  it('a quantized planes payload in a record not flagged as quantized is corrupt', () => {
    const half = createCodec({ quantize: 'float16' }).encode({ embedding: embedding(4) }, Date.now());
    const forged = Buffer.from(half);
    forged[1] = forged[1]! & ~0x02; // clear FLAG_QUANTIZED
    expect(() => createCodec().decode(forged)).toThrow(expect.objectContaining({ code: 'CORRUPT_RECORD' }));
  });
});

describe('packFloats option', () => {
  it('packFloats: false stores float vectors raw (bigger, same values)', () => {
    const v = embedding(5);
    const packed = createCodec().encode({ e: v }, Date.now());
    const raw = createCodec({ packFloats: false }).encode({ e: v }, Date.now());
    expect(raw.length).toBeGreaterThan(packed.length + 150);
    expect(bytesOf(createCodec().decode(raw).features.e as Float32Array).equals(bytesOf(v))).toBe(true);
  });
});
