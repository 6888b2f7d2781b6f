/**
 * wHash and colorhash (and aHash/dHash/pHash once more) against values computed by the
 * Python imagehash library itself, on imagehash.png and on procedural images of several
 * sizes (how the values were produced: the `about` of the JSON file).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { pillowHsv } from '../../src/features/colorhash.js';
import { extractFeatures } from '../../src/features/index.js';
import { proceduralPng } from './fixtures.js';

interface Reference {
  images: Record<
    string,
    { source: string | { generator: 'proceduralPng'; seed: number; width: number; height: number } } & Record<'ahash' | 'dhash' | 'phash' | 'whash' | 'colorhash', string>
  >;
  pillow_hsv_sha256: string;
}

const reference = JSON.parse(await readFile(new URL('./imagehash-extra-reference.json', import.meta.url), 'utf8')) as Reference;

describe('imagehash reference: whash (haar) and colorhash (binbits 3)', () => {
  for (const [name, ref] of Object.entries(reference.images)) {
    it(`${name}: all five hashes equal imagehash's`, async () => {
      const s = ref.source;
      const image = typeof s === 'string' ? await readFile(s) : await proceduralPng(s.seed, s.width, s.height);
      const f = await extractFeatures(image, { extractors: ['ahash', 'dhash', 'phash', 'whash', 'colorhash'] });
      expect(f).toEqual({ ahash: ref.ahash, dhash: ref.dhash, phash: ref.phash, whash: ref.whash, colorhash: ref.colorhash });
    });
  }

  it("pillowHsv equals Pillow's convert('HSV') on all 2^24 colours", () => {
    const out = Buffer.alloc(3 * 256 * 256 * 256);
    let i = 0;
    for (let r = 0; r < 256; r++) {
      for (let g = 0; g < 256; g++) {
        for (let b = 0; b < 256; b++, i += 3) {
          const [h, s, v] = pillowHsv(r, g, b);
          out[i] = h;
          out[i + 1] = s;
          out[i + 2] = v;
        }
      }
    }
    expect(createHash('sha256').update(out).digest('hex')).toBe(reference.pillow_hsv_sha256);
  }, 60_000);
});
