import { describe, expect, it } from 'vitest';
import { clipToFrame, convexHull, polygonArea } from '../../src/provenance/geometry.js';
import { decompose, fitHomography, invert, jacobianAt, multiply, projectPoints } from '../../src/provenance/homography.js';
import { matchDescriptors } from '../../src/provenance/match.js';
import { mulberry32 } from '../../src/provenance/prng.js';
import { ransacHomography } from '../../src/provenance/ransac.js';
import { isPlausible } from '../../src/provenance/sanity.js';
import { randomScene, viewOf } from './synthetic.js';

/** Similarity: scale s, clockwise rotation deg, translation (tx, ty), optional mirror first. */
function similarity(s: number, deg: number, tx: number, ty: number, mirror = false): Float64Array {
  const r = (deg * Math.PI) / 180;
  const c = Math.cos(r) * s;
  const n = Math.sin(r) * s;
  const m = Float64Array.from([c, -n, tx, n, c, ty, 0, 0, 1]);
  return mirror ? multiply(m, [-1, 0, 0, 0, 1, 0, 0, 0, 1]) : m;
}

describe('homography', () => {
  it('fits 4 correspondences exactly and projects them back', () => {
    const h = Float64Array.from([0.9, 0.1, 20, -0.05, 1.1, 5, 1e-4, -2e-4, 1]);
    const src = [10, 10, 500, 40, 480, 400, 30, 380];
    const dst = projectPoints(h, src);
    const fit = fitHomography(src, dst, [0, 1, 2, 3])!;
    expect(fit).not.toBeNull();
    const back = projectPoints(fit, src);
    for (let i = 0; i < 8; i++) expect(back[i]).toBeCloseTo(dst[i]!, 6);
  });

  it('returns null for collinear points', () => {
    const src = [0, 0, 10, 10, 20, 20, 30, 30];
    expect(fitHomography(src, src, [0, 1, 2, 3])).toBeNull();
  });

  it('inverts', () => {
    const h = similarity(0.5, 30, 100, -20);
    const p = projectPoints(multiply(invert(h)!, h), [123, 456]);
    expect(p[0]).toBeCloseTo(123, 9);
    expect(p[1]).toBeCloseTo(456, 9);
  });

  it('reads scale, clockwise rotation and mirror', () => {
    const rot = decompose(jacobianAt(similarity(2, 90, 0, 0), 10, 10));
    expect(rot.scale).toBeCloseTo(2, 9);
    expect(rot.rotationDeg).toBeCloseTo(90, 9);
    expect(rot.mirrored).toBe(false);
    expect(rot.anisotropy).toBeCloseTo(1, 9);
    const mir = decompose(jacobianAt(similarity(1, -10, 5, 5, true), 3, 4));
    expect(mir.mirrored).toBe(true);
    expect(mir.rotationDeg).toBeCloseTo(-10, 9);
  });

  it('rejects flipping, degenerate and extreme homographies', () => {
    expect(isPlausible(similarity(0.5, 10, 50, 50), 1000, 800)).toBe(true);
    expect(isPlausible(similarity(1, 0, 999, 0, true), 1000, 800)).toBe(false); // flip
    expect(isPlausible(similarity(20, 0, 0, 0), 1000, 800)).toBe(false); // 20x
    expect(isPlausible(similarity(0.05, 0, 0, 0), 1000, 800)).toBe(false); // 1/20
    expect(isPlausible(Float64Array.from([5, 0, 0, 0, 0.3, 0, 0, 0, 1]), 1000, 800)).toBe(false); // squashed
    expect(isPlausible(Float64Array.from([1, 0, 0, 0, 1, 0, 0.003, 0, 1]), 1000, 800)).toBe(false); // strong perspective
  });
});

describe('geometry', () => {
  it('hull, area and clipping', () => {
    const hull = convexHull([0, 0, 10, 0, 10, 10, 0, 10, 5, 5, 2, 8]);
    expect(hull.length).toBe(8);
    expect(polygonArea(hull)).toBe(100);
    // a square half outside the frame keeps half its area
    expect(polygonArea(clipToFrame([-5, 0, 5, 0, 5, 10, -5, 10], 100, 100))).toBe(50);
    // the frame rotated 45 degrees about its centre, clipped to itself: an octagon (four corners cut)
    const c = 50;
    const d = 50 * Math.SQRT2;
    const diamond = [c, c - d, c + d, c, c, c + d, c - d, c];
    const corner = 100 - d; // legs of each cut-off corner triangle
    expect(polygonArea(clipToFrame(diamond, 100, 100))).toBeCloseTo(10000 - 2 * corner * corner, 6);
  });
});

describe('matching and RANSAC', () => {
  it('the ratio test keeps true matches and drops distractors', () => {
    const a = randomScene(1, 800, 600, 300);
    const b = viewOf(a, (x, y) => [x, y], 800, 600, { seed: 2, flipBits: 20, distractors: 200 });
    const m = matchDescriptors(a.descriptors, b.descriptors, 0.75);
    expect(m.a.length).toBeGreaterThanOrEqual(290);
    for (let k = 0; k < m.a.length; k++) expect(m.b[k]).toBe(m.a[k]); // B keeps A's order, distractors after
    const unrelated = randomScene(3, 800, 600, 300);
    expect(matchDescriptors(a.descriptors, unrelated.descriptors, 0.75).a.length).toBeLessThan(10);
  });

  it('finds exactly the nearest and second-nearest of a bit-by-bit count (the word tricks change no match)', () => {
    const rnd = mulberry32(11);
    const bits = Uint8Array.from({ length: 256 }, (_, x) => x.toString(2).replace(/0/g, '').length);
    const reference = (a: Uint8Array, b: Uint8Array, ratio: number) => {
      const out: number[][] = [];
      for (let i = 0; i < a.length / 32; i++) {
        let best = 257;
        let second = 257;
        let bestJ = -1;
        for (let j = 0; j < b.length / 32; j++) {
          let d = 0;
          for (let k = 0; k < 32; k++) d += bits[a[i * 32 + k]! ^ b[j * 32 + k]!]!;
          if (d < best) [second, best, bestJ] = [best, d, j];
          else if (d < second) second = d;
        }
        if (bestJ >= 0 && best < ratio * second) out.push([i, bestJ, best]);
      }
      return out;
    };
    // B: noisy copies of A's descriptors (0-100 bits flipped, so some pass the ratio test and some tie), then strangers
    const a = new Uint8Array(120 * 32).map(() => Math.floor(rnd() * 256));
    const b = new Uint8Array(160 * 32).map(() => Math.floor(rnd() * 256));
    for (let i = 0; i < 120; i++) {
      const flips = Math.floor(rnd() * 100);
      b.set(a.subarray(i * 32, i * 32 + 32), i * 32);
      for (let f = 0; f < flips; f++) b[i * 32 + Math.floor(rnd() * 32)]! ^= 1 << Math.floor(rnd() * 8);
    }
    for (const ratio of [0.75, 0.9, 1]) {
      const m = matchDescriptors(a, b, ratio);
      const got = Array.from(m.a, (i, k) => [i, m.b[k]!, m.distance[k]!]);
      expect(got).toEqual(reference(a, b, ratio));
      expect(got.length).toBeGreaterThan(10);
    }
  });

  it('matches unaligned descriptor buffers', () => {
    const a = randomScene(4, 100, 100, 20);
    const shifted = new Uint8Array(a.descriptors.length + 1).subarray(1);
    shifted.set(a.descriptors);
    expect(matchDescriptors(shifted, a.descriptors, 0.75).a.length).toBe(20);
  });

  it('recovers a homography among 60% outliers, with the inliers', () => {
    const rnd = mulberry32(7);
    const h = similarity(0.7, 25, 120, 40);
    const n = 200;
    const src: number[] = [];
    const dst: number[] = [];
    const truth: boolean[] = [];
    for (let i = 0; i < n; i++) {
      const x = rnd() * 1000;
      const y = rnd() * 800;
      src.push(x, y);
      const inlier = i % 5 < 2;
      truth.push(inlier);
      if (inlier) {
        const [u, v] = projectPoints(h, [x, y]) as [number, number];
        dst.push(u + (rnd() - 0.5) * 2, v + (rnd() - 0.5) * 2);
      } else dst.push(rnd() * 1000, rnd() * 800);
    }
    const fit = ransacHomography(src, dst, n, { thresholdPx: 5, maxIterations: 2000, confidence: 0.995, plausible: (x) => isPlausible(x, 1000, 800), seed: 1 })!;
    expect(fit).not.toBeNull();
    const found = new Set(fit.inliers);
    const trueCount = truth.filter(Boolean).length;
    expect(truth.filter((t, i) => t && found.has(i)).length).toBeGreaterThanOrEqual(trueCount - 2);
    expect(fit.inliers.length).toBeLessThan(trueCount + 5); // a few chance agreements at most
    const t = decompose(jacobianAt(fit.h, 500, 400));
    expect(t.scale).toBeCloseTo(0.7, 2);
    expect(t.rotationDeg).toBeCloseTo(25, 0);
  });

  it('spends no samples on models smaller than minInliers (a hopeless pair is cheap)', () => {
    const rnd = mulberry32(21);
    const src = Array.from({ length: 40 }, () => rnd() * 500);
    const dst = Array.from({ length: 40 }, () => rnd() * 500);
    const samples = (minInliers: number) => {
      let calls = 0;
      ransacHomography(src, dst, 20, { thresholdPx: 5, maxIterations: 2000, confidence: 0.995, plausible: () => (calls++, true), seed: 1, minInliers });
      return calls;
    };
    expect(samples(15)).toBeLessThan(40); // 20 chance matches, 15 needed: ~15 samples suffice
    expect(samples(4)).toBeGreaterThan(500);
    expect(ransacHomography(src, dst, 20, { thresholdPx: 5, maxIterations: 2000, confidence: 0.995, plausible: () => true, seed: 1, minInliers: 21 })).toBeNull();
  });

  it('is deterministic for the same input', () => {
    const rnd = mulberry32(9);
    const src = Array.from({ length: 100 }, () => rnd() * 500);
    const dst = src.map((v, i) => (i % 3 === 0 ? v + 3 : rnd() * 500));
    const opts = { thresholdPx: 5, maxIterations: 500, confidence: 0.995, plausible: () => true, seed: 3 };
    expect(ransacHomography(src, dst, 50, opts)?.inliers).toEqual(ransacHomography(src, dst, 50, opts)?.inliers);
  });
});
