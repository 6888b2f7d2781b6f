/** extractFeatures output: shape, colour statistics, histogram layout, formats, orientation, alpha, versions. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { DEFAULT_EXTRACTORS, EXTRACTORS, extractFeatures, extractorVersion, type ExtractedFeatures } from '../../src/features/index.js';
import { prng, smoothNoisePng } from './fixtures.js';

const HEX16 = /^[0-9a-f]{16}$/;

/** Features that describe the pixels: all but the content hash (which tells files apart). */
function pixelFeatures(f: ExtractedFeatures): Omit<ExtractedFeatures, 'content_hash'> {
  const { content_hash: _bytes, ...rest } = f;
  return rest;
}

async function rawPng(width: number, height: number, channels: 1 | 3 | 4, pixels: number[]): Promise<Buffer> {
  return sharp(Buffer.from(pixels), { raw: { width, height, channels } }).png().toBuffer();
}

describe('extractFeatures', () => {
  it('returns every feature with the documented shape', async () => {
    const f = await extractFeatures(await smoothNoisePng(11, 120, 80));
    expect(f.ahash).toMatch(HEX16);
    expect(f.dhash).toMatch(HEX16);
    expect(f.phash).toMatch(HEX16);
    expect(f.histogram).toHaveLength(24);
    for (let c = 0; c < 3; c++) {
      const sum = f.histogram.slice(c * 8, c * 8 + 8).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 12);
    }
    expect([f.width, f.height, f.format]).toEqual([120, 80, 'png']);
    expect(f.avg_color).toHaveLength(3);
  });

  it('avg_color equals sharp stats() channel means, rounded to 3 decimals', async () => {
    const png = await smoothNoisePng(12, 97, 61);
    const f = await extractFeatures(png);
    const stats = await sharp(png).stats();
    expect(f.avg_color).toEqual(stats.channels.slice(0, 3).map((c) => Math.round(c.mean * 1000) / 1000));
  });

  it('histogram puts level v in bin floor(v*bins/256), R then G then B', async () => {
    // 4 pixels: R levels 0, 31, 32, 255; G all 128; B 0, 0, 0, 64.
    const png = await rawPng(4, 1, 3, [0, 128, 0, 31, 128, 0, 32, 128, 0, 255, 128, 64]);
    const f = await extractFeatures(png);
    expect(f.histogram).toEqual([
      0.5, 0.25, 0, 0, 0, 0, 0, 0.25, // R
      0, 0, 0, 0, 1, 0, 0, 0, // G
      0.75, 0, 0.25, 0, 0, 0, 0, 0, // B
    ]);
    const f16 = await extractFeatures(png, { histogramBins: 16 });
    expect(f16.histogram).toHaveLength(48);
    expect(f16.histogram.slice(0, 16)).toEqual([0.25, 0.25, 0.25, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.25]);
    const f1 = await extractFeatures(png, { histogramBins: 1 });
    expect(f1.histogram).toEqual([1, 1, 1]);
  });

  it('ignores alpha without compositing (as Pillow RGBA -> L does)', async () => {
    const rnd = prng(3);
    const rgb: number[] = [];
    const rgba: number[] = [];
    for (let i = 0; i < 64 * 48; i++) {
      const px = [Math.floor(rnd() * 256), Math.floor(rnd() * 256), Math.floor(rnd() * 256)];
      rgb.push(...px);
      rgba.push(...px, Math.floor(rnd() * 256));
    }
    const a = await extractFeatures(await rawPng(64, 48, 3, rgb));
    const b = await extractFeatures(await rawPng(64, 48, 4, rgba));
    expect(pixelFeatures(b)).toEqual(pixelFeatures(a));
  });

  it('a 1-channel grey PNG gives the same features as the equal RGB image', async () => {
    const rnd = prng(4);
    const grey = Array.from({ length: 50 * 40 }, () => Math.floor(rnd() * 256));
    const a = await extractFeatures(await rawPng(50, 40, 1, grey));
    const b = await extractFeatures(await rawPng(50, 40, 3, grey.flatMap((v) => [v, v, v])));
    expect(pixelFeatures(a)).toEqual(pixelFeatures(b));
  });

  it('does not apply EXIF orientation: stored size and pixels are used', async () => {
    const base = sharp(await smoothNoisePng(13, 80, 40));
    const plain = await base.clone().jpeg({ quality: 90 }).toBuffer();
    const rotatedTag = await base.clone().jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(rotatedTag).metadata()).orientation).toBe(6);
    const a = await extractFeatures(plain);
    const b = await extractFeatures(rotatedTag);
    expect([b.width, b.height]).toEqual([80, 40]);
    expect(pixelFeatures(b)).toEqual(pixelFeatures(a));
  });

  it('decodes the allowed formats and names them (avif told apart from heif)', async () => {
    const src = sharp(await smoothNoisePng(14, 64, 64));
    const encoded: Array<[string, Buffer]> = [
      ['jpeg', await src.clone().jpeg().toBuffer()],
      ['png', await src.clone().png().toBuffer()],
      ['webp', await src.clone().webp().toBuffer()],
      ['gif', await src.clone().gif().toBuffer()],
      ['tiff', await src.clone().tiff().toBuffer()],
      ['avif', await src.clone().avif().toBuffer()],
    ];
    for (const [format, buf] of encoded) {
      const f = await extractFeatures(buf);
      expect(f.format).toBe(format);
      expect([f.width, f.height]).toEqual([64, 64]);
    }
  });

  it('is deterministic', async () => {
    const png = await smoothNoisePng(15, 200, 150);
    expect(await extractFeatures(png)).toEqual(await extractFeatures(png));
  });

  it('refuses invalid options with INVALID_OPTIONS', async () => {
    const png = await smoothNoisePng(16, 16, 16);
    for (const opts of [{ histogramBins: 0 }, { histogramBins: 257 }, { maxPixels: -1 }, { maxBytes: 1.5 }]) {
      await expect(extractFeatures(png, opts)).rejects.toMatchObject({ code: ErrorCodes.INVALID_OPTIONS });
    }
  });
});

describe('extractor versions', () => {
  it('names every extractor with its own version', () => {
    expect(EXTRACTORS.map((e) => e.name)).toEqual(DEFAULT_EXTRACTORS);
    for (const e of EXTRACTORS) expect(e.version).toMatch(/^\d+$/);
    expect(extractorVersion()).toBe(EXTRACTORS.map((e) => `${e.name}.${e.version}`).join('+'));
  });

  it('a non-default histogram bin count or ORB budget yields a different version string', () => {
    expect(extractorVersion({ histogramBins: 8, orbKeypoints: 430 })).toBe(extractorVersion());
    expect(extractorVersion({ histogramBins: 16 })).toContain('+histogram.1-b16+');
    expect(extractorVersion({ orbKeypoints: 1000 })).toContain('+orb.2-k1000');
  });
});
