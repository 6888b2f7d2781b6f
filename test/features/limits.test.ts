/** Hostile and broken inputs: every one is refused with the right FeatureCacheError code. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, FeatureCacheError, type ErrorCode } from '../../src/errors.js';
import { extractFeatures } from '../../src/features/index.js';
import { prng, smoothNoisePng } from './fixtures.js';

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<FeatureCacheError> {
  const err = await p.then(
    () => {
      throw new Error(`expected rejection with ${code}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FeatureCacheError);
  expect((err as FeatureCacheError).code).toBe(code);
  return err as FeatureCacheError;
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A tiny PNG whose header claims width x height (a decompression bomb's calling card). */
function claimedSizePng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(1 + width * 3))), // one row only
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

let dir = '';
let jpeg: Buffer;
let png: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'featcache-features-'));
  const src = await smoothNoisePng(21, 400, 300);
  jpeg = await sharp(src).jpeg({ quality: 85 }).toBuffer();
  png = src;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('invalid images -> INVALID_IMAGE', () => {
  it('the untruncated fixtures decode (control)', async () => {
    await expect(extractFeatures(jpeg)).resolves.toMatchObject({ format: 'jpeg' });
    await expect(extractFeatures(png)).resolves.toMatchObject({ format: 'png' });
  });

  it('truncated JPEG and PNG are refused, not half-decoded', async () => {
    for (const full of [jpeg, png]) {
      for (const frac of [0.5, 0.9]) {
        await expectCode(extractFeatures(full.subarray(0, Math.floor(full.length * frac))), ErrorCodes.INVALID_IMAGE);
      }
    }
    // Header only.
    await expectCode(extractFeatures(jpeg.subarray(0, 200)), ErrorCodes.INVALID_IMAGE);
  });

  it('random bytes, an empty buffer, text, a missing file, a non-buffer', async () => {
    const rnd = prng(99);
    const random = Buffer.from(Array.from({ length: 4096 }, () => Math.floor(rnd() * 256)));
    await expectCode(extractFeatures(random), ErrorCodes.INVALID_IMAGE);
    await expectCode(extractFeatures(Buffer.alloc(0)), ErrorCodes.INVALID_IMAGE);
    await expectCode(extractFeatures(Buffer.from('just some text, not an image')), ErrorCodes.INVALID_IMAGE);
    await expectCode(extractFeatures(join(dir, 'does-not-exist.png')), ErrorCodes.INVALID_IMAGE);
    await expectCode(extractFeatures(dir), ErrorCodes.INVALID_IMAGE); // a directory
    await expectCode(extractFeatures(42 as unknown as Buffer), ErrorCodes.INVALID_IMAGE);
  });

  it('many bad inputs at once all reject cleanly (no crash, no unhandled rejection)', async () => {
    const bad = [Buffer.alloc(0), jpeg.subarray(0, 1000), png.subarray(0, 500), Buffer.from('<svg/>'), Buffer.alloc(100, 0xff)];
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => extractFeatures(bad[i % bad.length]!)));
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(FeatureCacheError);
    }
  });
});

describe('format allow-list -> UNSUPPORTED_IMAGE_FORMAT', () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="20" fill="red"/></svg>';

  it('SVG is refused by default, with or without an XML prologue', async () => {
    for (const text of [svg, `  \n<?xml version="1.0"?>\n${svg}`, `\ufeff${svg}`]) {
      const err = await expectCode(extractFeatures(Buffer.from(text)), ErrorCodes.UNSUPPORTED_IMAGE_FORMAT);
      expect(err.details).toEqual({ format: 'svg' });
    }
  });

  it('SVG decodes when explicitly allowed', async () => {
    const f = await extractFeatures(Buffer.from(svg), { allowedFormats: ['svg'] });
    expect([f.format, f.width, f.height]).toEqual(['svg', 64, 64]);
  });

  it('a narrowed list refuses other real formats', async () => {
    await expectCode(extractFeatures(jpeg, { allowedFormats: ['png'] }), ErrorCodes.UNSUPPORTED_IMAGE_FORMAT);
    await expect(extractFeatures(jpeg, { allowedFormats: ['JPG'] })).resolves.toMatchObject({ format: 'jpeg' });
    const avif = await sharp(png).avif().toBuffer();
    await expectCode(extractFeatures(avif, { allowedFormats: ['heif'] }), ErrorCodes.UNSUPPORTED_IMAGE_FORMAT);
  });
});

describe('size limits -> IMAGE_TOO_LARGE', () => {
  it('a PNG made by sharp over maxPixels is refused before decoding', async () => {
    const big = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#336699' } }).png().toBuffer();
    const err = await expectCode(extractFeatures(big, { maxPixels: 1_000_000 }), ErrorCodes.IMAGE_TOO_LARGE);
    expect(err.details).toMatchObject({ width: 3000, height: 2000, maxPixels: 1_000_000 });
    // Exactly at the limit is allowed.
    await expect(extractFeatures(big, { maxPixels: 6_000_000 })).resolves.toMatchObject({ width: 3000 });
  });

  it('a 10000x10000 PNG bomb (100 MP, ~3 MB compressed) is refused by the default 40 MP limit', async () => {
    const bomb = await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: '#000000' } })
      .png({ compressionLevel: 1 })
      .toBuffer();
    expect(bomb.length).toBeLessThan(8 * 1024 * 1024);
    await expectCode(extractFeatures(bomb), ErrorCodes.IMAGE_TOO_LARGE);
  }, 30_000);

  it('a header claiming 100000x100000 is refused without decoding (tiny file, instant)', async () => {
    const fake = claimedSizePng(100_000, 100_000);
    expect(fake.length).toBeLessThan(1024 * 1024);
    const err = await expectCode(extractFeatures(fake), ErrorCodes.IMAGE_TOO_LARGE);
    expect(err.details).toMatchObject({ width: 100_000, height: 100_000 });
  });

  it('bytes over maxBytes are refused, for buffers and for files (before reading them)', async () => {
    const err = await expectCode(extractFeatures(jpeg, { maxBytes: jpeg.length - 1 }), ErrorCodes.IMAGE_TOO_LARGE);
    expect(err.details).toMatchObject({ bytes: jpeg.length, maxBytes: jpeg.length - 1 });
    await expect(extractFeatures(jpeg, { maxBytes: jpeg.length })).resolves.toMatchObject({ format: 'jpeg' });
    const file = join(dir, 'photo.jpg');
    await writeFile(file, jpeg);
    await expectCode(extractFeatures(file, { maxBytes: 1000 }), ErrorCodes.IMAGE_TOO_LARGE);
    await expect(extractFeatures(file)).resolves.toEqual(await extractFeatures(jpeg));
  });
});
