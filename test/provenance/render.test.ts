/** renderMatches: a PNG with both images side by side, inlier lines and matched regions. */
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderMatches } from '../../src/index.js';
import { edit, SIZE, texturedPng } from './edits.js';

let a: Buffer;
let other: Buffer;
beforeAll(async () => {
  [a, other] = await Promise.all([texturedPng(100), texturedPng(101)]);
});

/** Pixels of the inlier-line colour (#39ff14; the generated images hold a few such pixels by chance). */
async function linePixels(png: Buffer): Promise<number> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let i = 0; i < data.length; i += info.channels) if (data[i]! < 80 && data[i + 1]! > 230 && data[i + 2]! < 60) n++;
  return n;
}

describe('renderMatches', () => {
  it('draws a crop: both images at the common height, side by side, with inlier lines', async () => {
    const crop = await edit('crop50', a, other);
    const png = await renderMatches(a, crop, { height: 300 });
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    const cropMeta = await sharp(crop).metadata();
    const widthA = Math.round((SIZE.width * 300) / SIZE.height);
    const widthB = Math.round((cropMeta.width * 300) / cropMeta.height);
    expect(meta.width).toBe(widthA + 16 + widthB);
    expect(meta.height).toBe(300 + 56);
    expect(await linePixels(png)).toBeGreaterThan(2000);
  });

  it('draws no lines for unrelated images, and honours maxLines', async () => {
    expect(await linePixels(await renderMatches(a, other, { height: 200 }))).toBeLessThan(100);
    const few = await linePixels(await renderMatches(a, await edit('jpeg50', a, other), { height: 200, maxLines: 3 }));
    const many = await linePixels(await renderMatches(a, await edit('jpeg50', a, other), { height: 200 }));
    expect(few).toBeGreaterThan(100);
    expect(few * 5).toBeLessThan(many);
  });

  it('rejects bad input with typed errors', async () => {
    await expect(renderMatches(Buffer.from('not an image'), a)).rejects.toMatchObject({ code: 'INVALID_IMAGE' });
    await expect(renderMatches(a, a, { height: 5 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
