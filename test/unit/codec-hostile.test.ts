import { describe, expect, it } from 'vitest';
import { compressSync } from 'lz4-napi';
import { encode as msgpackEncode } from '@msgpack/msgpack';
import { createCodec, FLAG_LZ4, FLAG_QUANTIZED, FORMAT_V1, HEADER_BYTES, Ext } from '../../src/codec/index.js';
import { FeatureCacheError, isFeatureCacheError } from '../../src/errors.js';
import type { Features } from '../../src/types.js';
import { mulberry32 } from '../../bench/lib/prng.js';

const prng = mulberry32;

const codec = createCodec();

/** A record with a hand-made body. */
function record(body: ArrayLike<number>, flags = 0, format = FORMAT_V1): Buffer {
  const out = Buffer.alloc(HEADER_BYTES + body.length);
  out[0] = format;
  out[1] = flags;
  out.writeUInt32LE(1_700_000_000, 2);
  out.set(Array.from(body), HEADER_BYTES);
  return out;
}

function expectCorrupt(bytes: unknown, c = codec): FeatureCacheError {
  try {
    c.decode(bytes as Uint8Array);
  } catch (err) {
    expect(isFeatureCacheError(err, 'CORRUPT_RECORD'), String(err)).toBe(true);
    return err as FeatureCacheError;
  }
  throw new Error('expected CORRUPT_RECORD, the record decoded');
}

/** fixmap(1) { "k": <value bytes> } */
const mapOf = (...value: number[]) => [0x81, 0xa1, 0x6b, ...value];

describe('hostile records -> CORRUPT_RECORD', () => {
  it('a sanity record decodes', () => {
    expect(codec.decode(record(mapOf(0x01))).features).toEqual({ k: 1 });
  });

  it('rejects non-bytes, empty and short buffers', () => {
    for (const bad of ['text', null, undefined, 42, [0xf1, 0, 0, 0, 0, 0, 0x80]]) expectCorrupt(bad);
    for (let n = 0; n <= HEADER_BYTES; n++) expectCorrupt(record(mapOf(1)).subarray(0, n));
  });

  it('rejects foreign bytes, unknown format versions and unknown flags', () => {
    expectCorrupt(Buffer.from('{"fast":{"x":1}}'));
    expectCorrupt(Buffer.from(msgpackEncode({ fast: 1 })));
    expect(expectCorrupt(record(mapOf(1), 0, 0x00)).message).toMatch(/not a featcache record/);
    expect(expectCorrupt(record(mapOf(1), 0, 0xf2)).message).toMatch(/unsupported format version 2/);
    expectCorrupt(record(mapOf(1), 0, 0xf0));
    for (const flags of [0x04, 0x08, 0x80, 0xff]) expect(expectCorrupt(record(mapOf(1), flags)).message).toMatch(/unknown flags/);
  });

  it('rejects every truncation and trailing garbage', () => {
    const valid = codec.encode({ fast: { a: [1.5, 2.25, 3], s: 'hello' }, embedding: new Float32Array(8) }, 0);
    for (let n = 0; n < valid.length; n++) expectCorrupt(valid.subarray(0, n));
    expectCorrupt(Buffer.concat([valid, Buffer.from([0x00])]));
    expectCorrupt(Buffer.concat([valid, valid.subarray(HEADER_BYTES)]));
  });

  it('rejects a body that is not a map', () => {
    for (const body of [[0x90], [0x01], [0xa1, 0x61], [0xc0], [0xd4, Ext.UINT8, 1]]) expectCorrupt(record(body));
  });

  it('rejects msgpack bombs: declared lengths far beyond the bytes present', () => {
    const bombs = [
      [0xdf, 0xff, 0xff, 0xff, 0xff], // map32 of 4G pairs
      mapOf(0xdd, 0x40, 0x00, 0x00, 0x00), // array32 of 1G
      mapOf(0xdc, 0xff, 0xff, 0x01), // array16 of 65535 with 1 byte
      mapOf(0xdb, 0xff, 0xff, 0xff, 0xff, 0x61), // str32 of 4 GiB
      mapOf(0xc9, 0x7f, 0xff, 0xff, 0xff, Ext.FLOAT32, 0, 0, 0, 0), // ext32 of 2 GiB
      mapOf(0xc6, 0x00, 0x00, 0x00, 0x01, 0x00), // bin: never written by featcache
      mapOf(0xc1), // reserved byte
      [0x8f, 0xa1, 0x6b, 0x01], // fixmap of 15 with 1 pair
    ];
    for (const body of bombs) expectCorrupt(record(body));
  });

  it('rejects nesting deeper than 64, quickly, even for a body of a million [[[[...', () => {
    const nested = (depth: number) => Buffer.concat([Buffer.from(mapOf()), Buffer.alloc(depth - 1, 0x91), Buffer.from([0x01])]);
    expect(codec.decode(record(nested(64))).features.k).toBeDefined(); // map + 63 arrays
    expect(expectCorrupt(record(nested(65))).message).toMatch(/nesting deeper than 64/);
    const started = process.hrtime.bigint();
    expectCorrupt(record(nested(1_000_000)));
    // Not a timing assertion on the code under test's speed, a guard against a hang:
    expect(Number(process.hrtime.bigint() - started) / 1e9).toBeLessThan(5);
  });

  it('rejects ext payloads of the wrong length, unknown ext types and misplaced quantized vectors', () => {
    const bad = [
      mapOf(0xc7, 5, Ext.FLOAT32, 1, 2, 3, 4, 5), // 5 bytes of float32
      mapOf(0xc7, 6, Ext.FLOAT64, 1, 2, 3, 4, 5, 6),
      mapOf(0xd5, Ext.BIGINT64, 1, 2),
      mapOf(0xc7, 3, Ext.NUM_UINT16, 1, 2, 3),
      mapOf(0xc7, 0, Ext.BITS), // empty bit array
      mapOf(0xd4, 99, 0), // unknown ext type
      mapOf(0xd6, 0xff, 0, 0, 0, 0), // msgpack timestamp (-1)
      mapOf(0xd6, Ext.F16_AS_FLOAT32, 0, 0, 0, 0), // quantized, but the flag is not set
    ];
    for (const body of bad) expectCorrupt(record(body));
    // With the flag: odd float16 payload, int8 payload shorter than its header, NaN scale.
    expectCorrupt(record(mapOf(0xc7, 3, Ext.F16_AS_FLOAT32, 0, 0, 0), FLAG_QUANTIZED));
    expectCorrupt(record(mapOf(0xd6, Ext.Q8_AS_FLOAT32, 0, 0, 0, 0), FLAG_QUANTIZED));
    expectCorrupt(record(mapOf(0xd7, Ext.Q8_AS_FLOAT32, 0, 0, 0, 0, 0, 0, 0xc0, 0x7f), FLAG_QUANTIZED));
    expect(codec.decode(record(mapOf(0xd6, Ext.F16_AS_FLOAT32, 0, 0x3c, 0, 0xc0), FLAG_QUANTIZED)).features.k).toEqual(new Float32Array([1, -2]));
  });

  it('rejects map keys that are neither strings nor known field ids', () => {
    for (const key of [[0x7f], [0xcc, 0xc8], [0xff], [0xca, 0x3f, 0x80, 0, 0], [0x90], [0x80], [0xc0], [0xcf, 0, 0, 0, 0, 0, 0, 0, 1]]) {
      expectCorrupt(record([0x81, ...key, 0x01]));
    }
  });

  it('never lets a __proto__ key reach a prototype', () => {
    const proto = [0xa9, ...Buffer.from('__proto__')];
    const polluting = [0x81, ...proto, 0x81, 0xa8, ...Buffer.from('polluted'), 0xc3];
    expectCorrupt(record(polluting));
    expectCorrupt(record([0x81, 0xa1, 0x61, ...polluting]));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects records larger than maxRecordBytes', () => {
    const small = createCodec({ maxRecordBytes: 100 });
    expect(small.decode(record(mapOf(0xa0))).features).toEqual({ k: '' });
    expectCorrupt(record(mapOf(0xd9, 200, ...Array<number>(200).fill(0x61))), small);
  });
});

describe('hostile lz4 bodies -> CORRUPT_RECORD', () => {
  const body = Buffer.from(msgpackEncode({ text: 'abcdefgh'.repeat(100) }));
  const lz4 = compressSync(body);

  it('a sanity lz4 record decodes', () => {
    expect(codec.decode(record(lz4, FLAG_LZ4)).features.text).toBe('abcdefgh'.repeat(100));
  });

  it('checks the declared size against maxRecordBytes before decompressing', () => {
    const huge = Buffer.from(lz4);
    huge.writeUInt32LE(0xffffffff, 0);
    expect(expectCorrupt(record(huge, FLAG_LZ4)).message).toMatch(/declares 4294967295 bytes/);
    const overLimit = Buffer.from(lz4);
    overLimit.writeUInt32LE(200, 0);
    expect(expectCorrupt(record(overLimit, FLAG_LZ4), createCodec({ maxRecordBytes: 150 })).message).toMatch(/declares 200 bytes/);
    const zero = Buffer.from(lz4);
    zero.writeUInt32LE(0, 0);
    expectCorrupt(record(zero, FLAG_LZ4));
  });

  it('rejects lz4 data that fails to decompress or has the wrong size', () => {
    expectCorrupt(record([1, 2, 3], FLAG_LZ4));
    expectCorrupt(record(lz4.subarray(0, lz4.length - 3), FLAG_LZ4));
    const bigger = Buffer.from(lz4);
    bigger.writeUInt32LE(body.length + 10, 0);
    expectCorrupt(record(bigger, FLAG_LZ4));
    const smaller = Buffer.from(lz4);
    smaller.writeUInt32LE(body.length - 10, 0);
    expectCorrupt(record(smaller, FLAG_LZ4));
    expectCorrupt(record(Buffer.concat([Buffer.from([10, 0, 0, 0]), Buffer.alloc(20, 0xff)]), FLAG_LZ4));
    expectCorrupt(record(compressSync(Buffer.from([0x91, 0x01])), FLAG_LZ4)); // decompresses to a non-map
  });
});

describe('fuzz: mutated valid records decode or throw CORRUPT_RECORD', () => {
  const rand = prng(20240601);
  const int = (n: number) => Math.floor(rand() * n);
  const embedding = Float32Array.from({ length: 64 }, () => rand() - 0.5);
  const samples: Array<[ReturnType<typeof createCodec>, Features]> = [
    [codec, { fast: { avg_color_features: [127.43215, 98.1, 201.9], ahash_features: Array.from({ length: 64 }, () => int(2)) }, orb: { keypoints_count: 500, descriptors_shape: [500, 32] } }],
    [codec, { embedding, label: 'ünïcödé', nested: { a: [1, 'two', null, true, 3n, [0.5, -7]], b: {} }, small: [3, 200, 17], neg: [-1, -300, 70000] }],
    [codec, { text: 'compress me '.repeat(60), ids: new Uint16Array(300).map((_, i) => i % 7), big: new BigInt64Array([1n, -2n]) }],
    [createCodec({ quantize: 'float16' }), { embedding, clip: new Float64Array(embedding) }],
    [createCodec({ quantize: 'int8' }), { embedding, extra: new Uint8ClampedArray([1, 2, 3]) }],
  ];
  const records = samples.map(([c, f]) => [c, c.encode(f, 1_700_000_000_000)] as const);

  it('survives 5000 random flips, truncations, insertions and splices', () => {
    expect(records.filter(([, r]) => (r[1]! & FLAG_LZ4) !== 0).length).toBeGreaterThan(0); // lz4 bodies are fuzzed too
    expect(records.filter(([, r]) => (r[1]! & FLAG_QUANTIZED) !== 0).length).toBe(2);
    let decoded = 0;
    let rejected = 0;
    for (let i = 0; i < 5000; i++) {
      const [c, original] = records[i % records.length]!;
      let bytes = Buffer.from(original);
      const mutation = int(5);
      if (mutation === 0) {
        for (let k = 1 + int(4); k > 0; k--) bytes[int(bytes.length)]! ^= 1 << int(8);
      } else if (mutation === 1) {
        bytes = bytes.subarray(0, int(bytes.length));
      } else if (mutation === 2) {
        const at = int(bytes.length);
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([int(256)]), bytes.subarray(at)]);
      } else if (mutation === 3) {
        const at = HEADER_BYTES + int(bytes.length - HEADER_BYTES);
        bytes[at] = [0xdf, 0xdd, 0xdb, 0xc9, 0xde, 0xdc, 0x9f, 0x8f, 0xff][int(9)]!;
      } else {
        const at = int(bytes.length);
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + int(8))]);
      }
      try {
        const out = c.decode(bytes);
        expect(typeof out.features).toBe('object');
        decoded++;
      } catch (err) {
        if (!isFeatureCacheError(err, 'CORRUPT_RECORD')) throw err;
        rejected++;
      }
    }
    expect(decoded + rejected).toBe(5000);
    expect(rejected).toBeGreaterThan(1000);
  });
});
