/**
 * verifyFeatures on generated textured images and their edits made with sharp
 * (test/provenance/edits.ts): verdicts, transform, overlap and reasons.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyFeatures } from '../../src/index.js';
import { editPairs, lowTexturePng, texturedPng, verifyFeaturesOf, type EditName, type EditPair } from './edits.js';

let pairs: EditPair[];
beforeAll(async () => {
  pairs = await editPairs(2);
}, 120_000);

function each(edit: EditName | 'unrelated'): EditPair[] {
  const out = pairs.filter((p) => p.edit === edit);
  expect(out.length).toBeGreaterThan(0);
  return out;
}

/** With the image at hand: B's mirrored ORB features enable the mirror pass. */
const verify = (p: EditPair) => verifyFeatures(p.a, p.b, { mirroredB: p.bMirrored });

describe('verifyFeatures on edited images', () => {
  it.each(['crop70', 'crop50'] as const)('%s: derived, "cropped: B is N% of A", overlap the kept fraction', (edit) => {
    const kept = edit === 'crop70' ? 0.7 : 0.5;
    for (const p of each(edit)) {
      const r = verify(p);
      expect(r.verdict, p.name).toBe('derived');
      expect(r.reasons).toEqual([`cropped: B is ${Math.round(kept * 100)}% of A`]);
      expect(r.overlap!.a).toBeCloseTo(kept, 1);
      expect(r.overlap!.b).toBeGreaterThan(0.95);
      expect(r.transform).toMatchObject({ mirrored: false, rotation_deg: 0 });
      expect(r.transform!.scale).toBeCloseTo(1, 1);
    }
  });

  it('rotate 10°: derived, rotation within a degree, A entirely inside B', () => {
    for (const p of each('rotate10')) {
      const r = verify(p);
      expect(r.verdict).toBe('derived');
      expect(Math.abs(r.transform!.rotation_deg - 10)).toBeLessThan(1);
      expect(r.reasons).toEqual(['rotated 10°']);
      expect(r.overlap!.a).toBeGreaterThan(0.95);
      // B's canvas grew by the rotation: A covers cos+sin of it on each side, ~74% of its area
      expect(r.overlap!.b).toBeGreaterThan(0.65);
      expect(r.overlap!.b).toBeLessThan(0.8);
    }
  });

  it('rotate 90°: near duplicate, rotated 90° clockwise', () => {
    for (const p of each('rotate90')) {
      const r = verify(p);
      expect(r).toMatchObject({ verdict: 'near_duplicate', reasons: ['rotated 90°'], transform: { rotation_deg: 90, mirrored: false } });
      expect(r.overlap!.a).toBeGreaterThan(0.95);
    }
  });

  it('mirror: found by the mirror pass with the image at hand, and by the dihedral pHash for two records', () => {
    for (const p of each('mirror')) {
      const withImage = verify(p);
      expect(withImage).toMatchObject({ verdict: 'near_duplicate', reasons: ['mirrored'], transform: { rotation_deg: 0, mirrored: true } });
      expect(withImage.inliers).toBeGreaterThan(100);
      // records only: ORB alone cannot see a mirror ...
      expect(verifyFeatures({ orb: p.a.orb }, { orb: p.b.orb }).verdict).toBe('unrelated');
      // ... the dihedral pHash can
      const records = verifyFeatures(p.a, p.b);
      expect(records).toMatchObject({ verdict: 'near_duplicate', transform: { mirrored: true, rotation_deg: 0 } });
      expect(records.reasons[0]).toBe('mirrored');
    }
  });

  it('scale 0.5 and JPEG q50: near duplicates, "resized or recompressed copy", scale measured', () => {
    for (const p of [...each('scale50'), ...each('jpeg50')]) {
      const r = verify(p);
      expect(r.verdict, p.name).toBe('near_duplicate');
      expect(r.reasons).toEqual(['resized or recompressed copy']);
      expect(r.transform!.scale).toBeCloseTo(p.edit === 'scale50' ? 0.5 : 1, 1);
      expect(r.overlap!.a).toBeGreaterThan(0.95);
    }
  });

  it('overlay of a patch of another image: derived, shares a region — with the source and with the patch image', () => {
    for (const p of each('overlay')) {
      const r = verify(p);
      expect(r.verdict, p.name).toBe('derived');
      expect(r.reasons).toEqual(['shares a region (overlay or splice)']);
    }
  });

  it('splice of halves: derived, shares a region, overlap well under the whole image', () => {
    for (const p of each('splice')) {
      const r = verify(p);
      expect(r.verdict).toBe('derived');
      expect(r.reasons).toEqual(['shares a region (overlay or splice)']);
      // the left half is shared; the inliers' hull stays inside it, short of the borders and the seam
      expect(r.overlap!.a).toBeGreaterThan(0.15);
      expect(r.overlap!.a).toBeLessThan(0.55);
    }
  });

  it('the image a patch or half came from also shares a region with the edit', async () => {
    const a = await texturedPng(100);
    const other = await texturedPng(101);
    const { edit } = await import('./edits.js');
    const fo = await verifyFeaturesOf(other);
    for (const e of ['overlay', 'splice'] as const) {
      const r = verifyFeatures(fo, await verifyFeaturesOf(await edit(e, a, other)));
      expect(r.verdict, e).toBe('derived');
      expect(r.reasons, e).toEqual(['shares a region (overlay or splice)']);
    }
  });

  it('unrelated images are unrelated, even with the mirror pass', () => {
    for (const p of each('unrelated')) {
      const r = verify(p);
      expect(r).toMatchObject({ verdict: 'unrelated', reasons: ['no shared content found'], transform: null, overlap: null });
      expect(r.inliers).toBeLessThan(15);
    }
  });

  it('a low-texture image gives "not enough texture to decide", not a plain "unrelated"', async () => {
    const flat = await verifyFeaturesOf(await lowTexturePng());
    const r = verifyFeatures({ orb: flat.orb }, pairs[0]!.a);
    expect(r.verdict).toBe('unrelated');
    expect(r.reasons).toEqual(['not enough texture to decide']);
  });

  it('the same file is identical', () => {
    const p = pairs[0]!;
    expect(verifyFeatures(p.a, p.a)).toMatchObject({ verdict: 'identical', reasons: ['identical file'] });
  });
});
