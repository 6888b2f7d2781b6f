/**
 * The crop model (src/provenance/crop-model.ts): a crop whose homography RANSAC
 * finds fewer than 15 inliers (noisy, sparse matches: the bench's LadyBird crop50,
 * 12 inliers) is found with the same 15-inlier bar by a uniform scale + translation
 * fitted to every pair of matches; a rotated view or an unrelated image is not.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { verifyFeatures } from '../../src/index.js';
import { extractFeatures } from '../../src/features/index.js';
import { fitCropModel, isContained } from '../../src/provenance/crop-model.js';
import { matchForward } from '../../src/provenance/geometric.js';
import { mulberry32 } from '../../src/provenance/prng.js';
import { MIN_INLIERS, RANSAC_SEED } from '../../src/provenance/thresholds.js';
import { texturedImage } from '../../bench/provenance/textures.js';
import { randomScene, toOrb, viewOf } from './synthetic.js';

const W = 1000;
const H = 800;
const scene = randomScene(11, W, H, 500);
const A = { orb: toOrb(scene) };
const PARAMS = { ratio: 0.75, thresholdPx: 5, minInliers: MIN_INLIERS, maxIterations: 2000, seed: RANSAC_SEED };

/**
 * A 50% crop of the scene enlarged 1.24x, each keypoint moved up to `noise` px
 * (as a resampled, re-detected keypoint is), only ~6% of them seen again
 * (`turnDeg` turns the view about the crop's centre).
 */
function sparseCrop(seed: number, turnDeg = 0) {
  const jitter = mulberry32(100 + seed);
  const keep = mulberry32(200 + seed);
  const s = 1.24;
  const cw = Math.round(W * Math.SQRT1_2 * s);
  const ch = Math.round(H * Math.SQRT1_2 * s);
  const r = (turnDeg * Math.PI) / 180;
  const map = (x: number, y: number): [number, number] => {
    const u = (x - 150) * s - cw / 2;
    const v = (y - 120) * s - ch / 2;
    return [Math.cos(r) * u - Math.sin(r) * v + cw / 2 + (jitter() * 2 - 1) * 4, Math.sin(r) * u + Math.cos(r) * v + ch / 2 + (jitter() * 2 - 1) * 4];
  };
  return { orb: toOrb(viewOf(scene, map, cw, ch, { seed, flipBits: 20, distractors: 300, keep: () => keep() < 0.06 })) };
}

describe('fitCropModel', () => {
  it('recovers scale and translation from exact matches, and says which frame holds the other', () => {
    const src = [10, 20, 300, 40, 120, 400, 500, 500];
    const dst = src.map((v, i) => 1.5 * v + (i % 2 === 0 ? -30 : 12));
    const m = fitCropModel(src, dst, 4, { thresholdPx: 1, minSpanPx: 16, maxAngleDeg: 3, minScale: 1 / 8, maxScale: 8, maxSampled: 200 })!;
    expect(m.scale).toBeCloseTo(1.5, 6);
    expect(m.tx).toBeCloseTo(-30, 6);
    expect(m.ty).toBeCloseTo(12, 6);
    expect(m.inliers).toEqual([0, 1, 2, 3]);
    // A (600 x 600) is a crop of B (1000 x 1000)
    expect(isContained(m, { width: 600, height: 600 }, { width: 1000, height: 1000 }, 0.03)).toBe(true);
    // shifted: A's frame overhangs B's left side by 200 px and B's frame overhangs A's right side
    expect(isContained({ ...m, tx: -200 }, { width: 600, height: 600 }, { width: 1000, height: 1000 }, 0.03)).toBe(false);
  });

  it('does not fit a rotation', () => {
    const src = [0, 0, 100, 0, 0, 100, 100, 100];
    const dst = [0, 0, 98.5, 17.4, -17.4, 98.5, 81.1, 115.9]; // turned 10°
    const m = fitCropModel(src, dst, 4, { thresholdPx: 1, minSpanPx: 16, maxAngleDeg: 3, minScale: 1 / 8, maxScale: 8, maxSampled: 200 });
    expect(m?.inliers.length ?? 0).toBeLessThan(2);
  });
});

describe('verifyFeatures: a sparse, noisy crop', () => {
  it('the homography finds fewer than 15 inliers; the crop model finds the crop (was "unrelated")', () => {
    const b = sparseCrop(6);
    expect(matchForward(A.orb, b.orb, PARAMS).inliersA.length).toBeLessThan(MIN_INLIERS);
    const r = verifyFeatures(A, b);
    expect(r.verdict).toBe('derived');
    expect(r.reasons).toEqual(['cropped: B is 50% of A']);
    expect(r.inliers).toBeGreaterThanOrEqual(MIN_INLIERS);
    expect(r.transform).toMatchObject({ rotation_deg: 0, mirrored: false });
    expect(r.transform!.scale).toBeCloseTo(1.24, 1);
    expect(r.overlap!.a).toBeCloseTo(0.5, 1);
  });

  it('the same view turned 10° is not taken for a crop, and an unrelated scene stays unrelated', () => {
    const turned = sparseCrop(6, 10);
    expect(matchForward(A.orb, turned.orb, PARAMS).inliersA.length).toBeLessThan(MIN_INLIERS);
    expect(verifyFeatures(A, turned).verdict).toBe('unrelated');
    expect(verifyFeatures({ orb: toOrb(randomScene(12, W, H, 500)) }, sparseCrop(6)).verdict).toBe('unrelated');
  });
});

describe('verifyFeatures: a blurred, enlarged crop of a generated image', () => {
  it('is derived on the crop model\'s inliers where the homography found none; an unrelated image is not', async () => {
    const source = await texturedImage(5);
    const copy = await sharp(source).extract({ left: 100, top: 70, width: 453, height: 340 }).resize(560, 420).blur(5).jpeg({ quality: 70 }).toBuffer();
    const [fa, fb, fo] = await Promise.all([source, copy, await texturedImage(6)].map((img) => extractFeatures(img, { extractors: ['orb', 'meta'] })));
    expect(matchForward(fa!.orb, fb!.orb, PARAMS).inliersA.length).toBeLessThan(MIN_INLIERS);
    const r = verifyFeatures(fa!, fb!);
    expect(r.verdict).toBe('derived');
    expect(r.inliers).toBeGreaterThanOrEqual(MIN_INLIERS);
    expect(verifyFeatures(fo!, fb!).verdict).toBe('unrelated');
  });
});
