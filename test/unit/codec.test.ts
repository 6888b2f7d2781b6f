import { describe, expect, it } from 'vitest';
import { decode as msgpackDecode } from '@msgpack/msgpack';
import {
  createCodec,
  FLAG_LZ4,
  FLAG_QUANTIZED,
  FORMAT_V1,
  HEADER_BYTES,
  MAX_DEPTH,
  FIELD_NAMES,
  FIELD_TABLE_LENGTH,
  FORMAT_VERSION,
} from '../../src/codec/index.js';
import { FeatureCacheError, type ErrorCode } from '../../src/errors.js';
import type { Features, FeatureValue } from '../../src/types.js';
import { mulberry32 } from '../../bench/lib/prng.js';

const prng = mulberry32;

/** Deep, bit-exact comparison: same constructors, Object.is numbers, typed arrays byte for byte. */
function expectSame(actual: unknown, expected: unknown, path = 'value'): void {
  if (typeof expected === 'number') {
    expect(typeof actual, path).toBe('number');
    const a = new Float64Array([actual as number]);
    const e = new Float64Array([expected]);
    expect(Buffer.from(a.buffer).equals(Buffer.from(e.buffer)), `${path}: ${String(actual)} vs ${expected}`).toBe(true);
    return;
  }
  if (typeof expected !== 'object' || expected === null) {
    expect(actual, path).toBe(expected);
    return;
  }
  expect(actual, path).toBeTypeOf('object');
  if (ArrayBuffer.isView(expected)) {
    const ctor = Buffer.isBuffer(expected) ? Uint8Array : expected.constructor;
    expect((actual as object).constructor, path).toBe(ctor);
    const av = actual as ArrayBufferView;
    expect(av.byteOffset % (av as Float64Array).BYTES_PER_ELEMENT, `${path} alignment`).toBe(0);
    expect(Buffer.from(av.buffer, av.byteOffset, av.byteLength).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength)), path).toBe(true);
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, path).toBe(expected.length);
    expected.forEach((v, i) => expectSame((actual as unknown[])[i], v, `${path}[${i}]`));
    return;
  }
  expect(Object.getPrototypeOf(actual), path).toBe(Object.prototype);
  expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
  for (const [k, v] of Object.entries(expected)) expectSame((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
}

function expectCode(fn: () => unknown, code: ErrorCode, message?: RegExp): FeatureCacheError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FeatureCacheError);
    expect((err as FeatureCacheError).code).toBe(code);
    if (message) expect((err as Error).message).toMatch(message);
    return err as FeatureCacheError;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

const NOW = 1_700_000_000_123;
const codec = createCodec();
const roundTrip = (f: Features, c = codec) => c.decode(c.encode(f, NOW)).features;

function seedPayload(rand: () => number): Features {
  return {
    fast: {
      avg_color_features: [rand() * 255, rand() * 255, rand() * 255],
      ahash_features: Array.from({ length: 64 }, () => (rand() < 0.5 ? 0 : 1)),
    },
    orb: { keypoints_count: 500, descriptors_shape: [500, 32] },
  };
}

/** Bytes a value takes in a body (nil takes 1). */
const valueBytes = (v: FeatureValue, c = createCodec({ compression: 'none' })) =>
  c.encode({ value: v }, NOW).length - c.encode({ value: null }, NOW).length + 1;

describe('record header', () => {
  it('is format byte, flags, createdAt seconds (uint32 LE), then the body', () => {
    const bytes = codec.encode({ width: 1 }, NOW);
    expect(bytes[0]).toBe(FORMAT_V1);
    expect(bytes[1]).toBe(0);
    expect(bytes.readUInt32LE(2)).toBe(Math.floor(NOW / 1000));
    expect(bytes.length).toBe(HEADER_BYTES + 3); // fixmap, field id, fixint
    expect(codec.decode(bytes).createdAt).toBe(1_700_000_000_000);
  });

  it('rejects a createdAt outside the uint32-seconds range', () => {
    expectCode(() => codec.encode({}, -1000), 'INVALID_ARGUMENT');
    expectCode(() => codec.encode({}, Number.NaN), 'INVALID_ARGUMENT');
    expectCode(() => codec.encode({}, 2 ** 32 * 1000), 'INVALID_ARGUMENT');
    expect(codec.decode(codec.encode({}, (2 ** 32 - 1) * 1000)).createdAt).toBe((2 ** 32 - 1) * 1000);
  });
});

describe('size budget', () => {
  it('encodes the seed payload in at most 60 bytes, header included', () => {
    const rand = prng(1);
    for (let i = 0; i < 200; i++) {
      const seed = seedPayload(rand);
      const bytes = codec.encode(seed, NOW);
      expect(bytes.length).toBeLessThanOrEqual(60);
      expectSame(codec.decode(bytes).features, seed);
    }
    // The issue's own example values.
    const example = { fast: { avg_color_features: [127.43215, 98.1234567, 201.987654], ahash_features: Array(64).fill(1) }, orb: { keypoints_count: 500, descriptors_shape: [500, 32] } };
    expect(codec.encode(example, NOW).length).toBeLessThanOrEqual(60);
  });

  it('keeps a 512-float embedding within ~2,100 / ~1,100 / ~600 bytes (none / float16 / int8)', () => {
    const rand = prng(2);
    const embedding = Float32Array.from({ length: 512 }, () => rand() * 2 - 1);
    const size = (quantize: 'none' | 'float16' | 'int8') => createCodec({ quantize }).encode({ embedding }, NOW).length;
    expect(size('none')).toBeLessThanOrEqual(2100);
    expect(size('float16')).toBeLessThanOrEqual(1100);
    expect(size('int8')).toBeLessThanOrEqual(600);
  });
});

describe('typed arrays', () => {
  const f32 = new Float32Array([1.5, -0, Infinity, -Infinity, 3.4e38, 1e-45, 0]);
  new Uint32Array(f32.buffer)[6] = 0x7fc12345; // NaN with a payload
  const f64 = new Float64Array([Math.PI, -0, -Infinity, Number.MIN_VALUE, 0]);
  new Uint32Array(f64.buffer)[8] = 0xdeadbeef; // low word of a NaN with a payload
  new Uint32Array(f64.buffer)[9] = 0x7ff80001;
  const all: Record<string, FeatureValue> = {
    f32,
    f64,
    i8: new Int8Array([-128, -1, 0, 127]),
    u8: new Uint8Array([0, 1, 255]),
    u8c: new Uint8ClampedArray([0, 128, 255]),
    i16: new Int16Array([-32768, 0, 32767]),
    u16: new Uint16Array([0, 65535]),
    i32: new Int32Array([-(2 ** 31), 0, 2 ** 31 - 1]),
    u32: new Uint32Array([0, 2 ** 32 - 1]),
    i64: new BigInt64Array([-(2n ** 63n), -1n, 0n, 2n ** 63n - 1n]),
    u64: new BigUint64Array([0n, 2n ** 64n - 1n]),
    empty: new Float32Array(0),
  };

  it('come back as the same type, bit-exact (NaN payloads, -0, infinities)', () => {
    for (const c of [codec, createCodec({ compression: 'none' }), createCodec({ compressionThreshold: 0 })]) {
      expectSame(roundTrip(all, c), all);
    }
  });

  it('are stored little-endian, raw', () => {
    const bytes = createCodec({ compression: 'none' }).encode({ x: new Uint16Array([0x0102]) }, NOW);
    expect([...bytes.subarray(-4)]).toEqual([0xd5, 6 /* Ext.UINT16 */, 0x02, 0x01]);
  });

  it('encode views with an offset and decode to aligned, unshared copies even from unaligned input', () => {
    const backing = new ArrayBuffer(64);
    const view = new Float64Array(backing, 8, 3);
    view.set([1.25, -2.5, 1e300]);
    const bytes = codec.encode({ v: view, w: new Int32Array([7, 8, 9]) }, NOW);
    for (let shift = 0; shift < 8; shift++) {
      const shifted = Buffer.alloc(bytes.length + shift);
      bytes.copy(shifted, shift);
      const input = shifted.subarray(shift);
      const out = codec.decode(input).features;
      expectSame(out, { v: new Float64Array([1.25, -2.5, 1e300]), w: new Int32Array([7, 8, 9]) });
      input.fill(0, HEADER_BYTES); // the decoded arrays must not alias the input
      expectSame(out.v, new Float64Array([1.25, -2.5, 1e300]));
    }
  });

  it('decode a Buffer as a plain Uint8Array', () => {
    const out = roundTrip({ raw: Buffer.from('hello') }).raw;
    expect(out).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(out)).toBe(false);
    expect(Buffer.from(out as Uint8Array).toString()).toBe('hello');
  });
});

describe('plain number arrays', () => {
  it('bit-packs 0/1 arrays; 64 entries are one fixext8 (10 bytes)', () => {
    const bits = Array.from({ length: 64 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    expect(valueBytes(bits)).toBe(10);
    for (const n of [2, 7, 8, 9, 13, 100, 1000]) {
      const arr = Array.from({ length: n }, (_, i) => (i * 7) % 5 > 2 ? 1 : 0);
      const bytes = Math.ceil(n / 8);
      const extHeader = [1, 2, 4, 8, 16].includes(bytes) ? 2 : 3;
      expect(valueBytes(arr), `n=${n}`).toBe(Math.min(extHeader + bytes, (n < 16 ? 1 : 3) + n));
      expectSame(roundTrip({ arr }).arr, arr);
    }
  });

  it('packs small integers at the narrowest width', () => {
    const u8 = Array.from({ length: 100 }, (_, i) => 150 + i);
    expect(valueBytes(u8)).toBe(100 + 3); // ext8 header + 1 byte each
    const i8 = Array.from({ length: 100 }, (_, i) => i - 100);
    expect(valueBytes(i8)).toBe(100 + 3);
    const u16 = Array.from({ length: 100 }, (_, i) => 600 * i);
    expect(valueBytes(u16)).toBe(200 + 3);
    const i16 = Array.from({ length: 100 }, (_, i) => 300 - 300 * i); // (not -300 * i: that makes -0, a float)
    expect(valueBytes(i16)).toBe(200 + 3);
    const i32 = Array.from({ length: 100 }, (_, i) => 100000 - 100000 * i);
    expect(valueBytes(i32)).toBe(400 + 4);
    const u32 = Array.from({ length: 100 }, (_, i) => 40000000 * i);
    expect(valueBytes(u32)).toBe(400 + 4);
    for (const arr of [u8, i8, u16, i16, i32, u32]) expectSame(roundTrip({ arr }).arr, arr);
  });

  it('packs non-integer floats as float64, or float32 when every value is exactly a float32', () => {
    const f64 = [127.43215, 98.1, 0.3, 1e300];
    expect(valueBytes(f64)).toBe(32 + 3);
    const f32 = [0.5, 0.25, -1.75, 3.4028234663852886e38, Math.fround(0.1), Math.fround(1e-45)];
    expect(valueBytes(f32)).toBe(24 + 3);
    const special = [-0, NaN, Infinity, -Infinity, 0.1, 2 ** 60, Number.MAX_SAFE_INTEGER, -(2 ** 40)];
    for (const arr of [f64, f32, special, [0.5, 1, 2, 3.25]]) {
      const out = roundTrip({ arr }).arr;
      expect(Array.isArray(out)).toBe(true);
      expectSame(out, arr);
    }
  });

  it('falls back to plain msgpack when the compact form is not smaller', () => {
    expect(valueBytes([500, 32])).toBe(5); // fixarray + uint16 + fixint
    expect(valueBytes([1.5])).toBe(6); // fixarray + float32
    expect(valueBytes([])).toBe(1);
    expectSame(roundTrip({ a: [500, 32], b: [1.5], c: [] }), { a: [500, 32], b: [1.5], c: [] });
  });

  it('leaves mixed-type arrays as msgpack arrays', () => {
    const mixed = [1, 'a', null, true, 2.5, [1, 0, 1], { k: 1 }, 3n];
    expectSame(roundTrip({ mixed }).mixed, mixed);
  });
});

describe('values', () => {
  it('round-trip scalars, nesting, empty containers, unicode and big ints', () => {
    const long = 'ß'.repeat(40000); // > 65535 UTF-8 bytes
    const f: Features = {
      s: ['', 'a', 'héllo wörld', '日本語のテキスト', '👍🏽 emoji + combining e\u0301', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(300), long],
      n: [0, 1, -1, 127, 128, -32, -33, 255, 256, -128, -129, 65535, 65536, -32768, -32769, 2 ** 32 - 1, 2 ** 32, -(2 ** 31), -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 0.1, -0, NaN, Infinity, 1e-310],
      b: [true, false, null],
      big: [0n, 1n, -1n, 2n ** 64n - 1n, -(2n ** 63n)],
      nested: { a: { b: { c: { d: [[], {}, [[1, 'x']], { e: new Uint8Array([1]) }] } } } },
      empty: {},
      emptyArr: [],
      flag: true,
      nothing: null,
      count: 42,
      'weird key with spaces': 1,
      '': 'empty key',
      '日本': 'unicode key',
      constructor: 'own data, not a prototype',
    };
    expectSame(roundTrip(f), f);
  });

  it('writes well-known field names as one-byte ids and decodes them back to names', () => {
    expect(FIELD_NAMES.length).toBeLessThanOrEqual(128);
    expect(FIELD_TABLE_LENGTH[FORMAT_VERSION]).toBe(FIELD_NAMES.length);
    for (const name of ['fast', 'orb', 'avg_color_features', 'ahash_features', 'keypoints_count', 'descriptors_shape', 'descriptors', 'keypoints', 'embedding', 'phash', 'dhash', 'ahash', 'avg_color', 'histogram', 'width', 'height', 'format', 'color_features', 'clip', 'sift', 'hog']) {
      const bytes = codec.encode({ [name]: 1 }, NOW);
      expect(bytes.length, name).toBe(HEADER_BYTES + 3);
      expect(codec.decode(bytes).features, name).toEqual({ [name]: 1 });
    }
    expect(codec.encode({ custom_feature: 1 }, NOW).length).toBe(HEADER_BYTES + 1 + 15 + 1);
  });

  it('writes a map with more than 15 keys', () => {
    const f = Object.fromEntries(Array.from({ length: 70000 }, (_, i) => [`k${i}`, i]));
    expectSame(roundTrip(f), f);
  });

  it('drops undefined object values and turns undefined array slots into null, like JSON', () => {
    // eslint-disable-next-line no-sparse-arrays
    const f = { a: undefined, b: 1, c: { d: undefined }, e: [undefined, 1, , 2] } as unknown as Features;
    expectSame(roundTrip(f), { b: 1, c: {}, e: [null, 1, null, 2] });
  });

  it('writes plain msgpack that a stock decoder can read', () => {
    const bytes = createCodec({ compression: 'none' }).encode({ custom: 'v', width: 640, n: [1.5, -2] }, NOW);
    const body = msgpackDecode(bytes.subarray(HEADER_BYTES), { useBigInt64: true }) as Record<string, unknown>;
    expect(body.custom).toBe('v');
    expect(body[FIELD_NAMES.indexOf('width')]).toBe(640);
    expect(body.n).toEqual([1.5, -2]);
  });

  it('returns an independent Buffer per encode (the scratch buffer is reused)', () => {
    const a = codec.encode({ s: 'first' }, NOW);
    const copy = Buffer.from(a);
    codec.encode({ s: 'second, a different and longer one' }, NOW);
    expect(a.equals(copy)).toBe(true);
    expect(codec.decode(a).features).toEqual({ s: 'first' });
  });
});

describe('lz4', () => {
  const compressible = { text: 'abcdefgh'.repeat(200), ids: new Uint32Array(500) };

  it('compresses a body above the threshold when it saves bytes', () => {
    const bytes = codec.encode(compressible, NOW);
    expect(bytes[1]! & FLAG_LZ4).toBe(FLAG_LZ4);
    expect(bytes.length).toBeLessThan(createCodec({ compression: 'none' }).encode(compressible, NOW).length / 4);
    expectSame(codec.decode(bytes).features, compressible);
  });

  it('stores raw below the threshold, when lz4 does not help, or when compression is none', () => {
    const small = codec.encode({ text: 'abcdefgh'.repeat(20) }, NOW); // 163-byte body < 256
    expect(small[1]! & FLAG_LZ4).toBe(0);
    const rand = prng(3);
    const noise = Uint8Array.from({ length: 4000 }, () => Math.floor(rand() * 256));
    const random = codec.encode({ noise }, NOW);
    expect(random[1]! & FLAG_LZ4).toBe(0);
    expect(random.length).toBe(HEADER_BYTES + 1 + 6 + 4 + 4000);
    const none = createCodec({ compression: 'none' }).encode(compressible, NOW);
    expect(none[1]! & FLAG_LZ4).toBe(0);
    expectSame(codec.decode(none).features, compressible);
  });
});

describe('quantization switches', () => {
  it('quantizes only Float32Array/Float64Array of at least quantizeMinLength and sets the flag', () => {
    const c = createCodec({ quantize: 'float16', quantizeMinLength: 4 });
    const short = new Float32Array([0.1, 0.2, 0.3]);
    const plainNumbers = [0.1, 0.2, 0.3, 0.4, 0.5];
    const unflagged = c.encode({ short, plainNumbers, ints: new Int16Array(100) }, NOW);
    expect(unflagged[1]! & FLAG_QUANTIZED).toBe(0);
    expectSame(c.decode(unflagged).features, { short, plainNumbers, ints: new Int16Array(100) });
    const long = new Float64Array([0.1, 0.2, 0.3, 0.4]);
    const flagged = c.encode({ long }, NOW);
    expect(flagged[1]! & FLAG_QUANTIZED).toBe(FLAG_QUANTIZED);
    expect(c.decode(flagged).features.long).toBeInstanceOf(Float64Array);
  });

  it('stores int8 vectors holding NaN or infinities losslessly', () => {
    const c = createCodec({ quantize: 'int8', quantizeMinLength: 2 });
    const v = new Float32Array([1, NaN, 3, Infinity]);
    const bytes = c.encode({ v }, NOW);
    expect(bytes[1]! & FLAG_QUANTIZED).toBe(0);
    expectSame(c.decode(bytes).features.v, v);
  });
});

describe('encoding errors', () => {
  class Point {
    x = 1;
  }
  const cases: Array<[string, () => Features, RegExp]> = [
    ['function', () => ({ orb: { x: () => 1 } }) as unknown as Features, /^features\.orb\.x: a function/],
    ['symbol', () => ({ s: Symbol('s') }) as unknown as Features, /^features\.s: a symbol/],
    ['Date', () => ({ when: new Date() }) as unknown as Features, /^features\.when: Date is not supported/],
    ['Map', () => ({ m: new Map() }) as unknown as Features, /^features\.m: Map/],
    ['Set', () => ({ list: [1, 2, new Set()] }) as unknown as Features, /^features\.list\[2\]: Set/],
    ['class instance', () => ({ p: new Point() }) as unknown as Features, /^features\.p: Point/],
    ['DataView', () => ({ d: new DataView(new ArrayBuffer(4)) }) as unknown as Features, /^features\.d: DataView/],
    ['RegExp', () => ({ 'odd key': /x/ }) as unknown as Features, /^features\["odd key"\]: RegExp/],
    ['bigint too big', () => ({ b: 2n ** 64n }), /^features\.b: bigint outside/],
    ['lone surrogate', () => ({ s: 'a\ud800' }), /^features\.s: .*surrogate/],
    ['lone surrogate key', () => ({ ['k\udc00']: 1 }), /surrogate/],
    ['__proto__ key', () => JSON.parse('{"a":{"__proto__":1}}') as Features, /^features\.a\.__proto__: the key "__proto__" is not allowed/],
  ];
  for (const [name, make, message] of cases) {
    it(`rejects a ${name} with INVALID_FEATURES naming its path`, () => {
      expectCode(() => codec.encode(make(), NOW), 'INVALID_FEATURES', message);
    });
  }

  it('rejects circular references and nesting deeper than the cap', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    const err = expectCode(() => codec.encode(cyclic as Features, NOW), 'INVALID_FEATURES', /circular reference/);
    expect(err.details?.path).toMatch(/^features\.self\.back\.self\.back/);

    let deep: FeatureValue = 1;
    for (let i = 0; i < MAX_DEPTH - 1; i++) deep = [deep];
    expect(roundTrip({ deep }).deep).toEqual(deep); // depth MAX_DEPTH is fine
    expectCode(() => codec.encode({ deep: [deep] }, NOW), 'INVALID_FEATURES', /nesting deeper than 64/);
  });

  it('rejects a non-object features value', () => {
    for (const bad of [null, 1, 'x', [1]]) expectCode(() => codec.encode(bad as unknown as Features, NOW), 'INVALID_FEATURES');
  });

  it('fails with PAYLOAD_TOO_LARGE above maxRecordBytes, also when lz4 would have shrunk it', () => {
    const c = createCodec({ maxRecordBytes: 1024 });
    expect(c.encode({ v: new Uint8Array(1000) }, NOW).length).toBeLessThanOrEqual(1024);
    expectCode(() => c.encode({ v: new Uint8Array(2000) }, NOW), 'PAYLOAD_TOO_LARGE');
    expectCode(() => c.encode({ v: 'a'.repeat(5000) }, NOW), 'PAYLOAD_TOO_LARGE');
    // A shared-reference bomb (2^40 leaves) stops at the limit instead of running away.
    let bomb: FeatureValue = [1, 2, 3];
    for (let i = 0; i < 40; i++) bomb = [bomb, bomb];
    expectCode(() => c.encode({ bomb }, NOW), 'PAYLOAD_TOO_LARGE');
    expect(c.encode({ ok: 1 }, NOW).length).toBe(HEADER_BYTES + 1 + 3 + 1); // still usable afterwards
  });

  it('validates its options', () => {
    for (const bad of [{ compression: 'zstd' }, { quantize: 'int4' }, { compressionThreshold: -1 }, { quantizeMinLength: 0 }, { maxRecordBytes: 10 }, { maxRecordBytes: 1.5e9 }]) {
      expectCode(() => createCodec(bad as never), 'INVALID_OPTIONS');
    }
    expect(createCodec({ quantize: undefined }).options.quantize).toBe('none');
  });
});
