/**
 * verifyFeatures on synthetic keypoints (random descriptors moved by a known
 * map): verdicts, transform, overlap and reasons without an extractor.
 */
import { describe, expect, it } from 'vitest';
import { verifyFeatures } from '../../src/index.js';
import { isFeatureCacheError } from '../../src/errors.js';
import { randomScene, toOrb, viewOf } from './synthetic.js';

const W = 1000;
const H = 800;
const scene = randomScene(11, W, H, 500);
const A = { orb: toOrb(scene) };

function rotateAbout(deg: number, cx: number, cy: number, tx: number, ty: number) {
  const r = (deg * Math.PI) / 180;
  return (x: number, y: number): [number, number] => [
    Math.cos(r) * (x - cx) - Math.sin(r) * (y - cy) + tx,
    Math.sin(r) * (x - cx) + Math.cos(r) * (y - cy) + ty,
  ];
}

describe('verifyFeatures on synthetic features', () => {
  it('a resized copy is a near duplicate at scale 0.5', () => {
    const b = viewOf(scene, (x, y) => [x / 2, y / 2], W / 2, H / 2, { seed: 1 });
    const r = verifyFeatures(A, { orb: toOrb(b) });
    expect(r.verdict).toBe('near_duplicate');
    expect(r.reasons).toEqual(['resized or recompressed copy']);
    expect(r.transform!.scale).toBeCloseTo(0.5, 1);
    expect(r.transform!.rotation_deg).toBe(0);
    expect(r.overlap!.a).toBeGreaterThan(0.95);
    expect(r.overlap!.b).toBeGreaterThan(0.95);
    expect(r.inliers).toBeGreaterThan(300);
  });

  it('a 50% crop: B is about half of A, all of B matched', () => {
    // keep the centre 707 x 566 (half the area)
    const cw = Math.round(W * Math.SQRT1_2);
    const ch = Math.round(H * Math.SQRT1_2);
    const ox = (W - cw) / 2;
    const oy = (H - ch) / 2;
    const b = viewOf(scene, (x, y) => [x - ox, y - oy], cw, ch, { seed: 2 });
    const r = verifyFeatures(A, { orb: toOrb(b) });
    expect(r.verdict).toBe('derived');
    expect(r.overlap!.a).toBeGreaterThan(0.45);
    expect(r.overlap!.a).toBeLessThan(0.55);
    expect(r.overlap!.b).toBeGreaterThan(0.95);
    expect(r.reasons[0]).toMatch(/^cropped: B is (4[5-9]|5[0-5])% of A$/);
    // and the other way round
    const back = verifyFeatures({ orb: toOrb(b) }, A);
    expect(back.reasons[0]).toMatch(/^cropped: A is (4[5-9]|5[0-5])% of B$/);
  });

  it('rotated 90° (clockwise) is a near duplicate with the rotation', () => {
    const b = viewOf(scene, (x, y) => [H - 1 - y, x], H, W, { seed: 3 });
    const r = verifyFeatures(A, { orb: toOrb(b) });
    expect(r.verdict).toBe('near_duplicate');
    expect(r.transform).toEqual({ scale: 1, rotation_deg: 90, mirrored: false });
    expect(r.reasons).toEqual(['rotated 90°']);
  });

  it('rotated 10° on a larger canvas: derived, rotation within a degree, not called a crop', () => {
    const r10 = (10 * Math.PI) / 180;
    const bw = Math.ceil(W * Math.cos(r10) + H * Math.sin(r10));
    const bh = Math.ceil(W * Math.sin(r10) + H * Math.cos(r10));
    const b = viewOf(scene, rotateAbout(10, W / 2, H / 2, bw / 2, bh / 2), bw, bh, { seed: 4 });
    const r = verifyFeatures(A, { orb: toOrb(b) });
    expect(r.verdict).toBe('derived');
    expect(Math.abs(r.transform!.rotation_deg - 10)).toBeLessThan(1);
    expect(r.reasons).toEqual(['rotated 10°']);
    expect(r.overlap!.a).toBeGreaterThan(0.95);
  });

  it('a mirror is found only by the mirror pass, and reported as mirrored', () => {
    const b = viewOf(scene, (x, y) => [W - 1 - x, y], W, H, { seed: 5 });
    // B's own descriptors are unrelated to A's (ORB is not mirror-invariant) ...
    const bOwn = { ...toOrb(b), descriptors: randomScene(99, W, H, b.points.length / 2).descriptors };
    expect(verifyFeatures(A, { orb: bOwn }).verdict).toBe('unrelated');
    // ... the mirrored image's features are A's, mirrored back
    const mirroredB = toOrb(viewOf(b, (x, y) => [W - 1 - x, y], W, H, { seed: 6, flipBits: 0, distractors: 0 }));
    mirroredB.descriptors = toOrb(viewOf(scene, (x, y) => [x, y], W, H, { seed: 7, distractors: 50 })).descriptors;
    const r = verifyFeatures(A, { orb: bOwn }, { mirroredB });
    expect(r.verdict).toBe('near_duplicate');
    expect(r.transform!.mirrored).toBe(true);
    expect(r.transform!.rotation_deg).toBe(0);
    expect(r.reasons).toEqual(['mirrored']);
  });

  it('a shared region only (splice): derived, overlap about the shared half', () => {
    const other = randomScene(12, W, H, 500);
    // left half from A, right half from another picture
    const left = viewOf(scene, (x, y) => [x, y], W, H, { seed: 8, distractors: 0, keep: (x) => x < W / 2 });
    const right = viewOf(other, (x, y) => [x, y], W, H, { seed: 9, distractors: 0, keep: (x) => x >= W / 2 });
    const splice = { width: W, height: H, points: [...left.points, ...right.points], descriptors: Uint8Array.from([...left.descriptors, ...right.descriptors]) };
    const r = verifyFeatures(A, { orb: toOrb(splice) });
    expect(r.verdict).toBe('derived');
    expect(r.reasons).toContain('shares a region (overlay or splice)');
    expect(r.overlap!.a).toBeGreaterThan(0.35);
    expect(r.overlap!.a).toBeLessThan(0.55);
    expect(r.overlap!.b).toBeLessThan(0.55);
  });

  it('a perspective view adds the note that geometry cannot tell another angle from an edit', () => {
    const b = viewOf(scene, (x, y) => {
      const w = 1 + 0.0003 * x;
      return [(x * 0.9 + 20) / w, (y + 0.1 * x) / w];
    }, W, H, { seed: 10 });
    const r = verifyFeatures(A, { orb: toOrb(b) });
    expect(r.verdict).not.toBe('unrelated');
    expect(r.reasons).toContain('geometry alone cannot tell the same scene seen from another angle from an edited copy');
  });

  it('unrelated features are unrelated; too few keypoints say so', () => {
    const other = { orb: toOrb(randomScene(13, W, H, 500)) };
    expect(verifyFeatures(A, other)).toMatchObject({ verdict: 'unrelated', reasons: ['no shared content found'], transform: null, overlap: null });
    const sparse = { orb: toOrb(randomScene(14, W, H, 20)) };
    expect(verifyFeatures(A, sparse).reasons).toEqual(['not enough texture to decide']);
  });

  it('fuses hashes: equal content hash, pHash, dihedral pHash', () => {
    expect(verifyFeatures({ content_hash: 'ab', orb: A.orb }, { content_hash: 'ab' })).toMatchObject({ verdict: 'identical', reasons: ['identical file'] });
    const ph = '8f3c0a5e91d2b746';
    expect(verifyFeatures({ phash: ph }, { phash: '8f3c0a5e91d2b747' })).toMatchObject({ verdict: 'near_duplicate', reasons: ['resized or recompressed copy', 'judged by perceptual hash (distance 1 of 64)'] });
    const dihedral = [ph, '0000000000000000', '1111111111111111', '2222222222222222', 'ffffffff00000000', '3333333333333333', '4444444444444444', '5555555555555555'];
    const mirrored = verifyFeatures({ phash_dihedral: dihedral }, { phash: 'ffffffff00000001' });
    expect(mirrored).toMatchObject({ verdict: 'near_duplicate', transform: { mirrored: true, rotation_deg: 0 }, reasons: ['mirrored', 'judged by perceptual hash (distance 1 of 64)'] });
    const rotated = verifyFeatures({ phash_dihedral: dihedral }, { phash: '0000000000000000' });
    expect(rotated).toMatchObject({ transform: { rotation_deg: 90, mirrored: false }, reasons: ['rotated 90°', 'judged by perceptual hash (distance 0 of 64)'] });
  });

  it('rejects records it cannot verify and malformed features', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return isFeatureCacheError(err) ? err.code : String(err);
      }
      return 'no error';
    };
    expect(code(() => verifyFeatures({ ahash: '0' }, { ahash: '0' }))).toBe('INVALID_FEATURES');
    expect(code(() => verifyFeatures({ orb: { width: 10, height: 10, keypoints: new Uint16Array(2), descriptors: new Uint8Array(3) } }, A))).toBe('INVALID_FEATURES');
    expect(code(() => verifyFeatures({ phash: 'xyz' }, { phash: 'xyz' }))).toBe('INVALID_FEATURES');
    expect(code(() => verifyFeatures(A, A, { ratio: 2 }))).toBe('INVALID_ARGUMENT');
  });
});
