/** Our hashes against the Python imagehash library's published hashes of its test image. */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { averageHash } from '../../src/features/ahash.js';
import { differenceHash } from '../../src/features/dhash.js';
import { rgbToGrey } from '../../src/features/grey.js';
import { extractFeatures } from '../../src/features/index.js';
import { perceptualHash } from '../../src/features/phash.js';
import { IMAGEHASH_PNG, IMAGEHASH_REFERENCE } from './fixtures.js';

const reference = JSON.parse(await readFile(IMAGEHASH_REFERENCE, 'utf8')) as { ahash: string; dhash: string; phash: string };

describe('imagehash reference (imagehash.png, hash_size 8)', () => {
  it('extractFeatures reproduces aHash, dHash and pHash bit-exactly from a path', async () => {
    const f = await extractFeatures(IMAGEHASH_PNG);
    expect({ ahash: f.ahash, dhash: f.dhash, phash: f.phash }).toEqual({
      ahash: reference.ahash,
      dhash: reference.dhash,
      phash: reference.phash,
    });
    expect(reference.ahash).toBe('ffd7918181c9ffff');
    expect(reference.dhash).toBe('0026273b2b19550e');
    expect(reference.phash).toBe('ba8c84536bd3c366');
  });

  it('gives the same result from a Buffer, and reports the stored size and format', async () => {
    const f = await extractFeatures(await readFile(IMAGEHASH_PNG));
    expect(f.ahash).toBe(reference.ahash);
    expect(f.dhash).toBe(reference.dhash);
    expect(f.phash).toBe(reference.phash);
    expect([f.width, f.height, f.format]).toEqual([1200, 600, 'png']);
  });

  it('the hash functions agree on a grey image converted with the Pillow formula', async () => {
    const { data, info } = await sharp(IMAGEHASH_PNG).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const grey = rgbToGrey(new Uint8Array(data), info.width, info.height);
    expect(averageHash(grey)).toBe(reference.ahash);
    expect(differenceHash(grey)).toBe(reference.dhash);
    expect(perceptualHash(grey)).toBe(reference.phash);
  });

  it("libvips' own greyscale (linear light) would not reproduce the reference, so ours is needed", async () => {
    // Guards the design decision: if this ever matched, the custom grey step could go.
    const { data, info } = await sharp(IMAGEHASH_PNG).removeAlpha().greyscale().raw().toBuffer({ resolveWithObject: true });
    const vipsGrey = { data: new Uint8Array(data), width: info.width, height: info.height };
    const ours = rgbToGrey(
      new Uint8Array((await sharp(IMAGEHASH_PNG).removeAlpha().raw().toBuffer())),
      info.width,
      info.height,
    );
    let differing = 0;
    for (let i = 0; i < ours.data.length; i++) if (ours.data[i] !== vipsGrey.data[i]) differing++;
    expect(differing).toBeGreaterThan(0);
  });
});
