/** Dihedral pHash: each of the 8 variants equals the pHash of the rotated / mirrored image. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DIHEDRAL_ORIENTATIONS, extractFeatures, hammingDistance, type DihedralOrientation } from '../../src/features/index.js';
import { baseImages, smoothNoisePng, texturedPng } from './fixtures.js';

/** The image under orientation `o`, by sharp: mirrored first (flop), then rotated clockwise. */
async function orient(png: Buffer, o: DihedralOrientation): Promise<Buffer> {
  let out = png;
  if (o.startsWith('mirror')) out = await sharp(out).flop().png().toBuffer();
  const degrees = o.endsWith('rot90') ? 90 : o.endsWith('rot180') ? 180 : o.endsWith('rot270') ? 270 : 0;
  if (degrees !== 0) out = await sharp(out).rotate(degrees).png().toBuffer();
  return out;
}

/** Bits between each dihedral variant and the pHash of the sharp-transformed image. */
async function distances(png: Buffer): Promise<number[]> {
  const f = await extractFeatures(png, { extractors: ['phash', 'phash_dihedral'] });
  expect(f.phash_dihedral).toHaveLength(8);
  expect(f.phash_dihedral[0]).toBe(f.phash);
  const out: number[] = [];
  for (const [i, o] of DIHEDRAL_ORIENTATIONS.entries()) {
    const { phash } = await extractFeatures(await orient(png, o), { extractors: ['phash'] });
    out.push(hammingDistance(f.phash_dihedral[i]!, phash));
  }
  return out;
}

/** Images whose pHash is decided by round-off (docs/FEATURES.md, "Degenerate images"). */
const PHASH_DEGENERATE = new Set(['gradient-h', 'gradient-v', 'gradient-radial', 'checkerboard']);

describe('phash_dihedral', () => {
  it('lists the orientations in the documented order', () => {
    expect(DIHEDRAL_ORIENTATIONS).toEqual(['identity', 'rot90', 'rot180', 'rot270', 'mirror', 'mirror_rot90', 'mirror_rot180', 'mirror_rot270']);
  });

  it('equals the pHash of the rotated / mirrored image exactly on textured images, square or not', async () => {
    for (const png of [await texturedPng(1, 32, 32), await texturedPng(2, 320, 240), await texturedPng(3, 300, 300), await smoothNoisePng(4, 640, 480)]) {
      expect(await distances(png)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    }
  }, 60_000);

  it('is within 2 bits on the other non-degenerate fixtures (resampling order), and the variants differ', async () => {
    for (const img of await baseImages()) {
      if (PHASH_DEGENERATE.has(img.name)) continue;
      for (const d of await distances(img.data)) expect(d, img.name).toBeLessThanOrEqual(2);
    }
    const f = await extractFeatures(await texturedPng(2, 320, 240), { extractors: ['phash_dihedral'] });
    expect(new Set(f.phash_dihedral).size).toBe(8);
  }, 60_000);
});
