import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache, type Features } from '../../src/index.js';
import { commandCalls, startTestRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let cache: FeatureCache;

beforeAll(async () => {
  redis = await startTestRedis();
  cache = await createFeatureCache({ redis: redis.url, prefix: 'rt' });
});
afterAll(async () => {
  await cache.close();
  await redis.stop();
});

const everyKind = (): Features => ({
  fast: { avg_color_features: [127.43215, 64.5, 200.125], ahash_features: Array.from({ length: 64 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0) },
  orb: { keypoints_count: 500, descriptors_shape: [500, 32] },
  embedding: Float32Array.from({ length: 512 }, (_, i) => Math.sin(i) * 3.2),
  f64: Float64Array.from([Math.PI, -0, Number.NaN, Infinity, -Infinity, 5e-324]),
  i8: Int8Array.from([-128, -1, 0, 1, 127]),
  u8: Uint8Array.from([0, 1, 254, 255]),
  u16: Uint16Array.from([0, 65535, 1234]),
  i32: Int32Array.from([-2147483648, 2147483647, 0]),
  u32: Uint32Array.from([0, 4294967295]),
  i16: Int16Array.from([-32768, 32767]),
  big: BigInt64Array.from([-9007199254740993n, 9007199254740993n]),
  phash: 'ba8c84536bd3c366',
  flags: { ok: true, bad: false, none: null },
  nested: { deep: { deeper: { list: [1, 'two', { three: 3 }, [4.5, -6]] } } },
  empty_list: [],
  empty_obj: {},
  unicode: 'Bildähnlichkeit 画像 🖼️',
  ints: [0, 1, 2, 300, -5, 70000],
  floats: [0.1, 0.2, 1e300, -1e-300],
});

describe('round-trips through Redis', () => {
  it('returns every value kind as it was written (typed arrays as the same type, bit-exact)', async () => {
    const features = everyKind();
    await cache.set('img-1', features);
    const rec = await cache.get('img-1');
    expect(rec).not.toBeNull();
    expect(rec!.imageId).toBe('img-1');
    expect(rec!.version).toBe('1.0');
    expect(Math.abs(rec!.createdAt - Date.now())).toBeLessThan(5000);
    expect(rec!.features).toEqual(features);
    for (const [k, v] of Object.entries(features)) {
      if (ArrayBuffer.isView(v)) {
        const got = rec!.features[k] as unknown as ArrayBufferView;
        expect(got.constructor).toBe(v.constructor);
        expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(v.buffer, v.byteOffset, v.byteLength))).toBe(true);
      }
    }
    expect(Array.isArray(rec!.features.ints)).toBe(true);
    expect(Object.is((rec!.features.f64 as Float64Array)[1], -0)).toBe(true);
  });

  it('returns only the asked feature types', async () => {
    await cache.set('img-2', everyKind());
    const rec = await cache.get('img-2', { types: ['phash', 'orb', 'absent'] });
    expect(Object.keys(rec!.features).sort()).toEqual(['orb', 'phash']);
  });

  it('getMany is aligned with the input, null for misses, and duplicates are answered twice', async () => {
    await cache.setMany([
      { imageId: 'a', features: { v: 1 } },
      { imageId: 'b', features: { v: 2 } },
    ]);
    const got = await cache.getMany(['b', 'missing', 'a', 'b']);
    expect(got.map((r) => (r ? r.features.v : null))).toEqual([2, null, 1, 2]);
    expect(await cache.getMany([])).toEqual([]);
  });

  it('overwrites replace the whole record', async () => {
    await cache.set('ow', { a: 1, b: 2 });
    await cache.set('ow', { c: 3 });
    expect((await cache.get('ow'))!.features).toEqual({ c: 3 });
  });

  it('batches cost one round trip per chunk, never one per image', async () => {
    const small = await createFeatureCache({ redis: redis.url, prefix: 'chunks', batchSize: 100 });
    try {
      const items = Array.from({ length: 250 }, (_, i) => ({ imageId: `c${i}`, features: { i } }));
      const beforeEval = await commandCalls(redis.raw, 'evalsha');
      const beforeEvalRaw = await commandCalls(redis.raw, 'eval');
      await small.setMany(items);
      const evals = (await commandCalls(redis.raw, 'evalsha')) + (await commandCalls(redis.raw, 'eval')) - beforeEval - beforeEvalRaw;
      expect(evals).toBe(3);
      const beforeMget = await commandCalls(redis.raw, 'mget');
      const beforeGet = await commandCalls(redis.raw, 'get');
      const got = await small.getMany(items.map((i) => i.imageId));
      expect(got.every((r, i) => r?.features.i === i)).toBe(true);
      expect((await commandCalls(redis.raw, 'mget')) - beforeMget).toBe(3);
      expect((await commandCalls(redis.raw, 'get')) - beforeGet).toBe(0);
    } finally {
      await small.close();
    }
  });
});

describe('image IDs', () => {
  it('accepts glob characters and unicode as opaque IDs without touching other keys', async () => {
    await cache.set('abc', { v: 'plain' });
    await cache.set('a*', { v: 'star' });
    await cache.set('a?[b]\\', { v: 'glob' });
    expect((await cache.get('a*'))!.features.v).toBe('star');
    expect((await cache.get('a?[b]\\'))!.features.v).toBe('glob');
    expect(await cache.invalidate('a*')).toBe(true);
    expect((await cache.get('abc'))!.features.v).toBe('plain');
    expect((await cache.get('a?[b]\\'))!.features.v).toBe('glob');
  });

  it.each([
    ['empty', ''],
    ['10 KB long', 'x'.repeat(10 * 1024)],
    ['newline', 'a\nb'],
    ['NUL', 'a\u0000b'],
    ['escape', 'a\u001b[31m'],
    ['DEL', 'a\u007f'],
  ])('rejects an image ID that is %s with INVALID_IMAGE_ID', async (_name, id) => {
    await expect(cache.set(id, { v: 1 })).rejects.toMatchObject({ code: 'INVALID_IMAGE_ID' });
    await expect(cache.get(id)).rejects.toMatchObject({ code: 'INVALID_IMAGE_ID' });
    await expect(cache.getMany(['ok', id])).rejects.toMatchObject({ code: 'INVALID_IMAGE_ID' });
    await expect(cache.invalidate(id)).rejects.toMatchObject({ code: 'INVALID_IMAGE_ID' });
  });

  it('accepts an ID of exactly the maximum length', async () => {
    const id = 'é'.repeat(256); // 512 UTF-8 bytes
    await cache.set(id, { v: 1 });
    expect((await cache.get(id))!.features.v).toBe(1);
    await expect(cache.set(`${id}x`, { v: 1 })).rejects.toMatchObject({ code: 'INVALID_IMAGE_ID' });
  });

  it('rejects a bad item before writing any item of the batch', async () => {
    await expect(
      cache.setMany([
        { imageId: 'first-ok', features: { v: 1 } },
        { imageId: 'bad\n', features: { v: 2 } },
      ]),
    ).rejects.toMatchObject({ code: 'INVALID_IMAGE_ID' });
    expect(await cache.get('first-ok')).toBeNull();
  });

  it('rejects features that cannot be stored with INVALID_FEATURES', async () => {
    await expect(cache.set('f', null as never)).rejects.toMatchObject({ code: 'INVALID_FEATURES' });
    await expect(cache.set('f', [1, 2] as never)).rejects.toMatchObject({ code: 'INVALID_FEATURES' });
    await expect(cache.set('f', { fn: (() => 1) as never })).rejects.toMatchObject({ code: 'INVALID_FEATURES' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(cache.set('f', { cyclic } as never)).rejects.toMatchObject({ code: 'INVALID_FEATURES' });
  });

  it('refuses records over maxRecordBytes with PAYLOAD_TOO_LARGE', async () => {
    const tiny = await createFeatureCache({ redis: redis.url, prefix: 'tiny', maxRecordBytes: 1024, compression: 'none' });
    try {
      await expect(tiny.set('big', { blob: new Uint8Array(4096).map((_, i) => i * 31) })).rejects.toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
      });
      expect(await tiny.get('big')).toBeNull();
    } finally {
      await tiny.close();
    }
  });
});
