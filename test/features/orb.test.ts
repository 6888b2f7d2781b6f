/** ORB extraction: typed-array layout, frame size, grid spread, mirror pass, low texture, size in Redis. */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, verifyFeatures } from '../../src/index.js';
import { ORB_MAX_SIDE, extractFeatures, extractOrb } from '../../src/features/index.js';
import { selectGridSpread } from '../../src/features/grid-select.js';
import { extractorVersion } from '../../src/features/extractors.js';
import { ORB_DETECTOR, orbFromGrey } from '../../src/features/orb.js';
import { loadOpenCv, opencvError } from '../../src/features/opencv.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { texturedPng } from './fixtures.js';

let textured: Buffer;

beforeAll(async () => {
  textured = await texturedPng(7, 900, 700);
});

/** Share of keypoints whose x lies in the right half of the frame. */
function rightShare(kp: Uint16Array, width: number): number {
  let right = 0;
  for (let i = 0; i < kp.length; i += 2) if (kp[i]! >= width / 2) right++;
  return right / (kp.length / 2);
}

describe('extractOrb', () => {
  it('keeps ~430 keypoints as Uint16 x,y pairs with 32-byte descriptors, deterministically', async () => {
    const f = await extractOrb(textured);
    expect([f.width, f.height]).toEqual([900, 700]);
    expect(f.keypoints).toBeInstanceOf(Uint16Array);
    expect(f.descriptors).toBeInstanceOf(Uint8Array);
    const n = f.keypoints.length / 2;
    expect(n).toBeGreaterThan(400);
    expect(n).toBeLessThanOrEqual(430);
    expect(f.descriptors.length).toBe(32 * n);
    for (let i = 0; i < f.keypoints.length; i += 2) {
      expect(f.keypoints[i]!).toBeLessThan(f.width);
      expect(f.keypoints[i + 1]!).toBeLessThan(f.height);
    }
    expect(await extractOrb(textured)).toEqual(f);
  }, 60_000);

  it('honours maxKeypoints', async () => {
    const f = await extractOrb(textured, { maxKeypoints: 100 });
    expect(f.keypoints.length / 2).toBe(100);
    expect(f.descriptors.length).toBe(3200);
  });

  it(`downscales to a longer side of ${ORB_MAX_SIDE} and never upscales`, async () => {
    const big = await sharp(textured).resize(2048, 1536, { fit: 'fill' }).png().toBuffer();
    expect(await extractOrb(big, { maxKeypoints: 50 })).toMatchObject({ width: 1024, height: 768 });
    const small = await sharp(textured).resize(300, 200, { fit: 'fill' }).png().toBuffer();
    expect(await extractOrb(small, { maxKeypoints: 50 })).toMatchObject({ width: 300, height: 200 });
  });

  it('mirror: true gives the features of the horizontally mirrored image', async () => {
    const mirrored = await sharp(textured).flop().png().toBuffer();
    const a = await extractOrb(textured, { mirror: true });
    const b = await extractOrb(mirrored);
    expect(a).toEqual(b);
    expect(a).not.toEqual(await extractOrb(textured));
  });

  it('spreads keypoints over the grid: a blurred, weakly textured half still gets its share', async () => {
    const right = await sharp(textured).extract({ left: 450, top: 0, width: 450, height: 700 }).blur(3).png().toBuffer();
    const png = await sharp(textured).composite([{ input: right, left: 450, top: 0 }]).png().toBuffer();
    const f = await extractOrb(png);
    // measured on this image: the 500 strongest of the candidates hold 2% in the right
    // half, the grid-spread 500 hold 20%
    expect(rightShare(f.keypoints, f.width)).toBeGreaterThan(0.12);
  });

  it('finds keypoints on a low-contrast image by re-detecting on its CLAHE-equalised frame', async () => {
    // the textured image with its contrast divided by 12: FAST (threshold 20) sees little
    const faint = await sharp(textured).linear(1 / 12, 118).png().toBuffer();
    const { data, info } = await sharp(faint).greyscale().raw().toBuffer({ resolveWithObject: true });
    const grey = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
    const plain = await orbFromGrey(grey, { maxKeypoints: 430, mirror: false, detector: { ...ORB_DETECTOR, contrast: 'none' } });
    expect(plain.keypoints.length / 2).toBeLessThan(60);
    const f = await extractOrb(faint);
    expect(f.keypoints.length / 2).toBeGreaterThan(150); // measured: 219
    expect(f.keypoints.length / 2).toBeGreaterThan(3 * (plain.keypoints.length / 2));
    // and they are the same scene's: the faint copy verifies against the original
    const r = verifyFeatures({ orb: await extractOrb(textured) }, { orb: f });
    expect(r.verdict).not.toBe('unrelated');
    expect(r.inliers).toBeGreaterThan(30);
  });

  it('orbMirror: true makes extractFeatures (and so the pool) give the mirror pass features, under their own version', async () => {
    const f = await extractFeatures(textured, { extractors: ['orb'], orbMirror: true });
    expect(f.orb).toEqual(await extractOrb(textured, { mirror: true }));
    expect(extractorVersion({ extractors: ['orb'], orbMirror: true })).toBe('orb.2-m');
  });

  it('returns what there is on low-texture images, down to no keypoint, without throwing', async () => {
    const flat = await sharp({ create: { width: 200, height: 150, channels: 3, background: '#808080' } }).png().toBuffer();
    const f = await extractOrb(flat);
    expect(f).toMatchObject({ width: 200, height: 150 });
    expect(f.keypoints.length).toBe(0);
    expect(f.descriptors.length).toBe(0);
    const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#102030' } }).png().toBuffer();
    expect((await extractOrb(tiny)).keypoints.length).toBe(0);
    const line = await sharp({ create: { width: 4, height: 1, channels: 3, background: '#102030' } }).png().toBuffer();
    expect(await extractOrb(line)).toMatchObject({ width: 4, height: 1, keypoints: new Uint16Array(0) });
  });

  it('leaves no process-wide listeners of OpenCV behind', async () => {
    const before = [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
    await extractOrb(textured, { maxKeypoints: 10 });
    expect([process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')]).toEqual(before);
  });

  it('gives the orb.2 output bit for bit (the 100,000-image benchmark corpus is keyed by it): no resize, both INTER_AREA paths, mirror, CLAHE', async () => {
    // SHA-256 (first 16 hex) of `${width}x${height}:` + keypoint bytes + descriptor bytes, recorded with the orb.2
    // code (bench/provenance/orb2-reference.ts; ab-orb.ts checks the 190 bench images). A speed-up must keep them;
    // only a new extractor version (and a re-extracted corpus) may change them.
    const digest = (f: { width: number; height: number; keypoints: Uint16Array; descriptors: Uint8Array }) =>
      createHash('sha256').update(`${f.width}x${f.height}:`).update(new Uint8Array(f.keypoints.buffer, f.keypoints.byteOffset, f.keypoints.byteLength)).update(f.descriptors).digest('hex').slice(0, 16);
    const faint = await sharp(textured).linear(1 / 12, 118).png().toBuffer();
    const got = {
      plain: digest(await extractOrb(textured)),
      mirror: digest(await extractOrb(textured, { mirror: true })),
      integerRatio: digest(await extractOrb(await texturedPng(8, 2048, 1536))),
      generalRatio: digest(await extractOrb(await texturedPng(9, 1300, 1000))),
      clahe: digest(await extractOrb(faint)),
    };
    expect(got).toEqual({ plain: 'bc3859075792d60e', mirror: '8cd84ede55a002d7', integerRatio: '8431a56240b2e683', generalRatio: '22c2ec6646466cf1', clahe: '4a80fbb49ae9001f' });
  });

  it('refuses a bad keypoint budget with INVALID_OPTIONS', async () => {
    await expect(extractOrb(textured, { maxKeypoints: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS', details: { option: 'maxKeypoints' } });
    await expect(extractOrb(textured, { maxKeypoints: 1.5 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });
});

describe('OpenCV errors', () => {
  it('become short COMPUTE_FAILED errors: C++ exception pointers are resolved, long texts cut', async () => {
    const { cv } = await loadOpenCv();
    let thrown: unknown;
    const a = new cv.Mat();
    const b = new cv.Mat();
    try {
      cv.resize(a, b, new cv.Size(0, 0), 0, 0, cv.INTER_AREA); // an empty source: OpenCV asserts
    } catch (err) {
      thrown = err;
    } finally {
      a.delete();
      b.delete();
    }
    const err = opencvError('resizing', thrown, cv);
    expect(err).toMatchObject({ code: 'COMPUTE_FAILED', details: { reason: 'OPENCV' } });
    expect(err.message).toMatch(/^OpenCV failed resizing: .*Assertion failed/);
    expect(err.cause).toBeUndefined();
    const long = opencvError('x', new Error('y'.repeat(7_000_000)));
    expect(long.message.length).toBeLessThan(250);
  });
});

describe('selectGridSpread', () => {
  it('gives each cell its quota first, then the strongest left, strongest first', () => {
    // 4 cells (grid 2) on a 10x10 frame, budget 4 -> quota 1 per cell
    const c = [
      { x: 1, y: 1, response: 9 },
      { x: 2, y: 2, response: 8 },
      { x: 3, y: 3, response: 7 },
      { x: 8, y: 1, response: 1 },
      { x: 1, y: 8, response: 2 },
    ];
    expect(selectGridSpread(c, 10, 10, 4, 2)).toEqual([0, 1, 4, 3]);
    expect(selectGridSpread(c, 10, 10, 10, 2)).toEqual([0, 1, 2, 4, 3]);
  });
});

describe('the orb feature in a record', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis();
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
  });

  it('round-trips through the cache as typed arrays in at most 20,000 B (MEMORY USAGE)', async () => {
    const jpeg = await sharp(await texturedPng(21, 1000, 1000)).jpeg({ quality: 85 }).toBuffer();
    const features = await extractFeatures(jpeg);
    expect(features.orb.keypoints.length / 2).toBe(430);
    const cache = await createFeatureCache({ redis: redis.url, prefix: 'orb', trackExpiry: false });
    try {
      await cache.set('img', { ...features });
      const back = await cache.get('img');
      expect(back?.features.orb).toEqual(features.orb);
      const bytes = Number(await redis.raw.call('MEMORY', 'USAGE', 'orb:1.0:img'));
      // ~16 KB of value: within jemalloc's 16 KiB size class, plus the key (500 keypoints took
      // it to the 20 KiB class: 20,680 B)
      expect(bytes).toBeGreaterThan(15 * 1024);
      expect(bytes).toBeLessThanOrEqual(20_000);
    } finally {
      await cache.close();
    }
  });
});
