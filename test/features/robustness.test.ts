/**
 * Near-duplicate behaviour on a generated image set: transformed variants stay close,
 * unrelated images stay far, and a nearest-neighbour lookup finds the source.
 * Thresholds come from measurements (bench/features-bench.ts, docs/FEATURES.md):
 * measured maxima over these images were aHash 1, dHash 2, pHash 6 (structured images).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { extractFeatures, hammingDistance, type ExtractedFeatures } from '../../src/features/index.js';
import { baseImages, transformed, type TransformName } from './fixtures.js';

const HASHES = ['ahash', 'dhash', 'phash'] as const;

/**
 * Images whose 32x32 grey DCT is degenerate (pure gradients, a checkerboard): most of the
 * 64 low-frequency coefficients are ~0, the median sits among them and pHash bits flip
 * under any change. imagehash behaves the same; documented in docs/FEATURES.md.
 */
const PHASH_DEGENERATE = new Set(['gradient-h', 'gradient-v', 'gradient-radial', 'checkerboard']);

interface Variant {
  source: string;
  transform: TransformName;
  features: ExtractedFeatures;
}

const base = new Map<string, ExtractedFeatures>();
const variants: Variant[] = [];

beforeAll(async () => {
  for (const img of await baseImages()) {
    base.set(img.name, await extractFeatures(img.data));
    for (const v of await transformed(img.data)) {
      variants.push({ source: img.name, transform: v.transform, features: await extractFeatures(v.data) });
    }
  }
}, 60_000);

describe('transformed variants (resize 50%, JPEG q70, brightness x1.08)', () => {
  it('covers 13 images x 3 transforms', () => {
    expect(base.size).toBe(13);
    expect(variants).toHaveLength(39);
  });

  it('aHash <= 2 and dHash <= 3 for every image and transform', () => {
    for (const v of variants) {
      const f0 = base.get(v.source)!;
      expect(hammingDistance(f0.ahash, v.features.ahash), `${v.source} ${v.transform} ahash`).toBeLessThanOrEqual(2);
      expect(hammingDistance(f0.dhash, v.features.dhash), `${v.source} ${v.transform} dhash`).toBeLessThanOrEqual(3);
    }
  });

  it('pHash <= 8 for every image with structure', () => {
    for (const v of variants.filter((x) => !PHASH_DEGENERATE.has(x.source))) {
      const d = hammingDistance(base.get(v.source)!.phash, v.features.phash);
      expect(d, `${v.source} ${v.transform} phash`).toBeLessThanOrEqual(8);
    }
  });

  it('pHash averaged over all variants (degenerate images included) stays small', () => {
    const ds = variants.map((v) => hammingDistance(base.get(v.source)!.phash, v.features.phash));
    expect(ds.reduce((a, b) => a + b, 0) / ds.length).toBeLessThanOrEqual(6);
  });

  it('size and format follow the transform; colour features move little', () => {
    for (const v of variants) {
      const f0 = base.get(v.source)!;
      if (v.transform === 'resize-50') expect(v.features.width).toBe(Math.round(f0.width / 2));
      if (v.transform === 'jpeg-q70') expect(v.features.format).toBe('jpeg');
      if (v.transform !== 'brightness-1.08') {
        for (let c = 0; c < 3; c++) expect(Math.abs(v.features.avg_color[c]! - f0.avg_color[c]!)).toBeLessThan(3);
      }
    }
  });
});

describe('unrelated images', () => {
  it('are far apart: mean >= 24 and min >= 10 bits for every hash', () => {
    const names = [...base.keys()];
    for (const h of HASHES) {
      const ds: number[] = [];
      for (let i = 0; i < names.length; i++) {
        for (let j = i + 1; j < names.length; j++) ds.push(hammingDistance(base.get(names[i]!)![h], base.get(names[j]!)![h]));
      }
      expect(ds.reduce((a, b) => a + b, 0) / ds.length, `${h} mean`).toBeGreaterThanOrEqual(24);
      expect(Math.min(...ds), `${h} min`).toBeGreaterThanOrEqual(10);
    }
  });

  it('nearest neighbour by dHash (and by aHash) of every variant is its own source, strictly', () => {
    for (const h of ['ahash', 'dhash'] as const) {
      for (const v of variants) {
        const ranked = [...base.entries()]
          .map(([name, f]) => ({ name, d: hammingDistance(f[h], v.features[h]) }))
          .sort((a, b) => a.d - b.d);
        expect(ranked[0]!.name, `${v.source} ${v.transform} by ${h}`).toBe(v.source);
        expect(ranked[1]!.d).toBeGreaterThan(ranked[0]!.d);
      }
    }
  });

  it('nearest neighbour by pHash is the source for every structured image', () => {
    for (const v of variants.filter((x) => !PHASH_DEGENERATE.has(x.source))) {
      const ranked = [...base.entries()]
        .map(([name, f]) => ({ name, d: hammingDistance(f.phash, v.features.phash) }))
        .sort((a, b) => a.d - b.d);
      expect(ranked[0]!.name, `${v.source} ${v.transform}`).toBe(v.source);
    }
  });
});
