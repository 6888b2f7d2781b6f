/**
 * The scale bench's distractors (bench/provenance/drawn-textures.ts): seeded,
 * distinct per seed, the same picture at any size, and textured enough that ORB
 * fills its keypoint budget (a smooth distractor would make the index look cheap).
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { drawTexture, drawnTextureJpeg } from '../../bench/provenance/drawn-textures.js';
import { DEFAULT_ORB_KEYPOINTS, extractFeatures } from '../../src/features/index.js';

function meanAbsDiff(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

describe('drawn textures', () => {
  it('are the same for the same seed and differ between seeds', () => {
    expect(drawTexture(7).data.equals(drawTexture(7).data)).toBe(true);
    expect(meanAbsDiff(drawTexture(7).data, drawTexture(8).data)).toBeGreaterThan(40);
  });

  it('draw the same picture at another size', async () => {
    const big = drawTexture(7, { width: 1024, height: 768 });
    const down = await sharp(big.data, { raw: { width: 1024, height: 768, channels: 3 } }).resize(320, 240).raw().toBuffer();
    const same = meanAbsDiff(down, drawTexture(7).data);
    const other = meanAbsDiff(down, drawTexture(8).data);
    expect(same).toBeLessThan(other / 4);
  });

  it('give ORB its full keypoint budget at 320 x 240', async () => {
    const f = await extractFeatures(await drawnTextureJpeg(7), { extractors: ['orb'] });
    expect(f.orb.keypoints.length / 2).toBe(DEFAULT_ORB_KEYPOINTS);
  });
});
