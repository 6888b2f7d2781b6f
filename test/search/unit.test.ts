import { describe, expect, it } from 'vitest';
import { IndexLayout, fnv1a32 } from '../../src/search/layout.js';
import { flipMasks, probeCount, tableRadii } from '../../src/search/probe.js';
import { chooseTables, hamming64, pairsWithin, resolveSimilarityOptions } from '../../src/search/index.js';
import { FeatureCacheError } from '../../src/errors.js';
import { flip, randomHash, rng } from './helpers.js';

describe('probe plan', () => {
  it('r = m*r\' + a probes r\' in a+1 tables and r\'-1 in the rest', () => {
    expect(tableRadii(8, 4)).toEqual([2, 1, 1, 1]);
    expect(tableRadii(10, 4)).toEqual([2, 2, 2, 1]);
    expect(tableRadii(3, 4)).toEqual([0, 0, 0, 0]);
    expect(tableRadii(2, 4)).toEqual([0, 0, 0, -1]);
    expect(tableRadii(0, 4)).toEqual([0, -1, -1, -1]);
  });

  it('the rule never misses: any pair within r has a substring within its table radius', () => {
    const rand = rng(7);
    for (const [m, F] of [[4, 16], [3, 14], [3, 21], [2, 24]] as const) {
      const layout = new IndexLayout('p', 'v', 'phash', { tables: m, bucketBits: F, tableShardBits: 0, dictionaryBits: 4, bucketCap: 64 });
      for (let n = 0; n < 3000; n++) {
        const a = randomHash(rand);
        const r = Math.floor(rand() * 13);
        const b = flip(a, Math.floor(rand() * (r + 1)), rand);
        const radii = tableRadii(r, m);
        const hit = layout.tables.some((t) => {
          const d = popcount(layout.bucket(t, hi(a), lo(a)) ^ layout.bucket(t, hi(b), lo(b)));
          return radii[t.index]! >= 0 && d <= radii[t.index]!;
        });
        expect(hit).toBe(true);
      }
    }
  });

  it('enumerates every mask of weight <= radius exactly once', () => {
    const { masks, dists } = flipMasks(16, 2);
    expect(masks.length).toBe(1 + 16 + 120);
    expect(new Set(masks).size).toBe(masks.length);
    expect(probeCount(8, [16, 16, 16, 16])).toBe(137 + 3 * 17);
    expect([...dists].every((d, i) => d === popcount(masks[i]!))).toBe(true);
    expect(flipMasks(32, 1).masks).toContain(0x80000000);
  });
});

function popcount(v: number): number {
  let c = 0;
  for (let x = v >>> 0; x; x >>>= 1) c += x & 1;
  return c;
}

const hi = (h: bigint): number => Number(h >> 32n);
const lo = (h: bigint): number => Number(h & 0xffffffffn);
/** Bit i of h (0 = most significant). */
const bit = (h: bigint, i: number): number => Number((h >> BigInt(63 - i)) & 1n);

describe('layout', () => {
  it('a table\'s bucket is the F bits at t*F and its rest the next 32 bits (cyclically), for m = 2..8', () => {
    const rand = rng(11);
    for (let m = 2; m <= 8; m++) {
      const F = Math.min(21, Math.floor(64 / m));
      const layout = new IndexLayout('p', 'v', 'phash', { tables: m, bucketBits: F, tableShardBits: 3, dictionaryBits: 10, bucketCap: 64 });
      for (let n = 0; n < 100; n++) {
        const h = n === 0 ? 0xffffffffffffffffn : randomHash(rand);
        for (const t of layout.tables) {
          let wantBucket = 0;
          for (let i = 0; i < F; i++) wantBucket = wantBucket * 2 + bit(h, t.start + i);
          let wantRest = 0;
          for (let i = 0; i < 32; i++) wantRest = wantRest * 2 + bit(h, (t.start + F + i) % 64);
          expect(layout.bucket(t, hi(h), lo(h))).toBe(wantBucket);
          expect(layout.rest(t, hi(h), lo(h))).toBe(wantRest);
          expect(layout.bucketField(t, wantBucket).length).toBe(t.fieldBytes);
        }
      }
    }
  });

  it('bucket distance + rest distance is a lower bound of the true distance (the pre-filter never drops a neighbour)', () => {
    const rand = rng(12);
    const layout = new IndexLayout('p', 'v', 'phash', { tables: 3, bucketBits: 14, tableShardBits: 0, dictionaryBits: 14, bucketCap: 64 });
    let equal = 0;
    for (let n = 0; n < 2000; n++) {
      const a = randomHash(rand);
      const b = flip(a, Math.floor(rand() * 20), rand);
      for (const t of layout.tables) {
        const lb = popcount(layout.bucket(t, hi(a), lo(a)) ^ layout.bucket(t, hi(b), lo(b))) + popcount(layout.rest(t, hi(a), lo(a)) ^ layout.rest(t, hi(b), lo(b)));
        expect(lb).toBeLessThanOrEqual(hamming64(a, b));
        if (lb === hamming64(a, b)) equal++;
      }
    }
    expect(equal).toBeGreaterThan(0);
  });

  it('an entry is the dictionary shard (enough bytes to leave the all-ones sentinel unused) and the rest', () => {
    for (const [bits, bytes] of [[0, 1], [7, 1], [8, 2], [14, 2], [15, 2], [16, 3], [23, 3], [24, 4]] as const) {
      const layout = new IndexLayout('p', 'v', 'phash', { tables: 3, bucketBits: 14, tableShardBits: 0, dictionaryBits: bits, bucketCap: 64 });
      expect(layout.ptrBytes).toBe(bytes);
      expect(layout.width).toBe(bytes + 4);
      // the largest shard fits and differs from the sentinel pointer
      expect(2 ** bits - 1).toBeLessThan(layout.sentinelPtr);
      const h = 0x0123456789abcdefn;
      const t = layout.tables[1]!;
      const e = layout.entry(t, 2 ** bits - 1, hi(h), lo(h));
      expect(e.length).toBe(layout.width);
      expect(e.readUIntBE(0, bytes)).toBe(2 ** bits - 1);
      expect(e.readUInt32BE(bytes)).toBe(layout.rest(t, hi(h), lo(h)));
    }
  });

  it('dictionary shards are stable, within range, and the same for ASCII and UTF-8 IDs as FNV-1a over the bytes', () => {
    const layout = new IndexLayout('p', 'v', 'phash', { tables: 3, bucketBits: 14, tableShardBits: 0, dictionaryBits: 14, bucketCap: 64 });
    const bytesFnv = (s: string) => {
      let h = 0x811c9dc5;
      for (const b of Buffer.from(s, 'utf8')) h = Math.imul(h ^ b, 0x01000193);
      return h >>> 0;
    };
    for (const id of ['img_00000001', 'user_000001_img_000042', 'café-ünïcode', '图像-7', '']) {
      expect(fnv1a32(id)).toBe(bytesFnv(id));
      expect(layout.dictShard(id)).toBe(bytesFnv(id) >>> 18);
      expect(layout.dictShard(id)).toBeLessThan(2 ** 14);
    }
  });

  it('refuses more bucket bits than the hash has', () => {
    expect(() => new IndexLayout('p', 'v', 'phash', { tables: 4, bucketBits: 17, tableShardBits: 0, dictionaryBits: 4, bucketCap: 64 })).toThrow(RangeError);
    expect(() => resolveSimilarityOptions({ tables: 4, bucketBits: 17 })).toThrow(FeatureCacheError);
  });
});

describe('options', () => {
  it('chooses m from the expected size', () => {
    expect([1e5, 1e6, 1e7, 1e8, 1e9].map(chooseTables)).toEqual([3, 3, 3, 3, 2]);
    const o = resolveSimilarityOptions({ expectedImages: 1e6 });
    expect(o).toMatchObject({ tables: 3, bucketBits: 14, maxRadius: 12, tableShardBits: 0, dictionaryBits: 14, fields: ['phash'] });
    expect(resolveSimilarityOptions({ expectedImages: 1e8 })).toMatchObject({ tables: 3, bucketBits: 21, tableShardBits: 5 });
    expect(resolveSimilarityOptions({ expectedImages: 1e9 })).toMatchObject({ tables: 2, bucketBits: 24 });
    // explicit tables: the default bucket bits shrink to fit 64 bits
    expect(resolveSimilarityOptions({ expectedImages: 1e6, tables: 6 }).bucketBits).toBe(10);
  });

  it('lowers the default maxRadius when m is small, and refuses an explicit one that needs too many probes', () => {
    expect(resolveSimilarityOptions({ expectedImages: 1e9 }).maxRadius).toBeLessThan(12);
    expect(() => resolveSimilarityOptions({ tables: 2, maxRadius: 12 })).toThrow(FeatureCacheError);
    expect(() => resolveSimilarityOptions({ fields: [] })).toThrow(/fields/);
  });
});

describe('pairsWithin', () => {
  it('equals the naive double loop', () => {
    const rand = rng(3);
    const hashes = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? randomHash(rand) : flip(randomHash(rng(i - (i % 3))), i % 9, rand)));
    const hi = Int32Array.from(hashes, (h) => Number(h >> 32n) | 0);
    const lo = Int32Array.from(hashes, (h) => Number(h & 0xffffffffn) | 0);
    const want: Array<[number, number, number]> = [];
    for (let i = 0; i < hashes.length; i++) for (let j = i + 1; j < hashes.length; j++) {
      const d = hamming64(hashes[i]!, hashes[j]!);
      if (d <= 10) want.push([i, j, d]);
    }
    want.sort((x, y) => x[2] - y[2] || x[0] - y[0] || x[1] - y[1]);
    expect(want.length).toBeGreaterThan(50);
    expect(pairsWithin(hi, lo, hashes.length, 10)).toEqual(want);
  });
});
