import { describe, expect, it } from 'vitest';
import { IndexLayout } from '../../src/search/layout.js';
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
    const layout = new IndexLayout('p', 'v', 'phash', { tables: 4, tableShardBits: 0, dictionaryBits: 4, bucketCap: 64 });
    for (let n = 0; n < 3000; n++) {
      const a = randomHash(rand);
      const r = Math.floor(rand() * 13);
      const b = flip(a, Math.floor(rand() * (r + 1)), rand);
      const radii = tableRadii(r, 4);
      const hit = layout.tables.some((t) => {
        const d = hamming64(BigInt(layout.substring(t, a)), BigInt(layout.substring(t, b)));
        return radii[t.index]! >= 0 && d <= radii[t.index]!;
      });
      expect(hit).toBe(true);
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

describe('layout', () => {
  it('substring + rest round-trips every hash for m = 2..8', () => {
    const rand = rng(11);
    for (let m = 2; m <= 8; m++) {
      const layout = new IndexLayout('p', 'v', 'phash', { tables: m, tableShardBits: 3, dictionaryBits: 10, bucketCap: 64 });
      expect(layout.tables.reduce((s, t) => s + t.len, 0)).toBe(64);
      for (let n = 0; n < 200; n++) {
        const h = n === 0 ? 0xffffffffffffffffn : randomHash(rand);
        for (const t of layout.tables) {
          const e = layout.entry(t, 12345, h);
          expect(e.readUInt32BE(0)).toBe(12345);
          expect(layout.reconstruct(t, layout.substring(t, h), e, 4)).toBe(h);
          expect(layout.bucketField(t, layout.substring(t, h)).length).toBe(t.fieldBytes);
        }
      }
    }
  });

  it('ordinals name a dictionary shard and slot, never the sentinel', () => {
    const layout = new IndexLayout('p', 'v', 'phash', { tables: 4, tableShardBits: 0, dictionaryBits: 14, bucketCap: 64 });
    const o = layout.ordinal(16383, layout.maxSlot);
    expect(o).toBeLessThan(0xffffffff);
    expect(layout.splitOrdinal(o)).toEqual({ shard: 16383, slot: layout.maxSlot });
  });
});

describe('options', () => {
  it('chooses m from the expected size', () => {
    expect([1e5, 1e6, 1e7, 1e8, 1e9].map(chooseTables)).toEqual([5, 4, 3, 3, 2]);
    const o = resolveSimilarityOptions({ expectedImages: 1e6 });
    expect(o).toMatchObject({ tables: 4, maxRadius: 12, tableShardBits: 0, dictionaryBits: 14, fields: ['phash'] });
    expect(resolveSimilarityOptions({ expectedImages: 1e8 }).tableShardBits).toBe(5);
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
