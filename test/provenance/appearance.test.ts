/**
 * The texture-poor path of verification: smooth generated images (test/provenance/smooth.ts)
 * have no keypoints, so their edits are matched by appearance (`thumb`), and said so.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyEdit, type EditName } from '../../bench/provenance/edits.js';
import { createFeatureCache, verifyFeatures, type FeatureCache } from '../../src/index.js';
import { extractFeatures, THUMB_LONG_SIDE, THUMB_SMALL_LONG_SIDE } from '../../src/features/index.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { texturedPng } from './edits.js';
import { smoothPng } from './smooth.js';

const EXTRACTORS = ['orb', 'phash', 'phash_dihedral', 'content_hash', 'meta', 'thumb'] as const;
const featuresOf = (image: Buffer) => extractFeatures(image, { extractors: [...EXTRACTORS] });
type F = Awaited<ReturnType<typeof featuresOf>>;

const APPEARANCE = /^low texture: matched by appearance — .+ \(no keypoints to confirm geometry\)$/;
const EDITED: EditName[] = ['crop70', 'crop50', 'rotate10', 'overlay', 'splice'];

let source: Buffer;
let sourceF: F;
let other: F;
const edited = new Map<EditName, { image: Buffer; f: F }>();

beforeAll(async () => {
  source = await smoothPng(1);
  sourceF = await featuresOf(source);
  other = await featuresOf(await smoothPng(2));
  const donor = await texturedPng(300, 480, 360);
  for (const e of EDITED) {
    const image = await applyEdit(e, source, donor, { seed: 3 });
    edited.set(e, { image, f: await featuresOf(image) });
  }
}, 60_000);

describe('thumb feature', () => {
  it('is a 32 px colour thumbnail for a texture-poor image, 12 px when ORB fills the record (150 keypoints or more)', async () => {
    expect(sourceF.orb.keypoints.length / 2).toBeLessThan(60);
    expect(sourceF.thumb).toMatchObject({ width: THUMB_LONG_SIDE, height: 24 });
    expect(sourceF.thumb.luma).toBeInstanceOf(Uint8Array);
    expect(sourceF.thumb.luma.length).toBe(32 * 24);
    expect(sourceF.thumb.chroma.length).toBe(2 * 16 * 12);
    const textured = await featuresOf(await texturedPng(301, 480, 360));
    expect(textured.orb.keypoints.length / 2).toBeGreaterThanOrEqual(150);
    expect(textured.thumb).toMatchObject({ width: THUMB_SMALL_LONG_SIDE, height: 9 });
    // without `orb` nothing competes for the record's bytes: the full thumbnail
    expect((await extractFeatures(await texturedPng(301, 480, 360), { extractors: ['thumb'] })).thumb.width).toBe(THUMB_LONG_SIDE);
  });

  it('holds the area-averaged colour: a flat colour gives flat planes of its YCbCr', async () => {
    const red = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#ff0000' } }).png().toBuffer();
    const { thumb } = await extractFeatures(red, { extractors: ['thumb'] });
    expect(new Set(thumb.luma)).toEqual(new Set([76])); // 0.299 x 255
    expect(new Set(thumb.chroma.subarray(0, 16 * 12))).toEqual(new Set([85])); // Cb
    expect(new Set(thumb.chroma.subarray(16 * 12))).toEqual(new Set([255])); // Cr
  });
});

describe('verifyFeatures on texture-poor images', () => {
  it.each(EDITED)('%s of a smooth image: derived, with the appearance reason', (edit) => {
    const b = edited.get(edit)!.f;
    const without = verifyFeatures({ ...sourceF, thumb: undefined }, { ...b, thumb: undefined });
    expect(without).toMatchObject({ verdict: 'unrelated', reasons: ['not enough texture to decide'] });
    const r = verifyFeatures(sourceF, b);
    expect(r.verdict, r.reasons.join()).toBe('derived');
    expect(r.reasons).toHaveLength(1);
    expect(r.reasons[0]).toMatch(APPEARANCE);
    expect(r.inliers).toBe(0);
  });

  it('says what it saw: the crop fraction, the rotation', () => {
    expect(verifyFeatures(sourceF, edited.get('crop50')!.f).reasons[0]).toMatch(/B looks like a (4[6-9]|5[0-4])% crop of A/);
    const rot = verifyFeatures(sourceF, edited.get('rotate10')!.f);
    expect(rot.reasons[0]).toContain('rotated');
    expect(Math.abs(rot.transform!.rotation_deg - 10)).toBeLessThanOrEqual(2);
  });

  it('two different smooth images are unrelated', () => {
    const r = verifyFeatures(sourceF, other);
    expect(r).toMatchObject({ verdict: 'unrelated', reasons: ['not enough texture to decide'] });
    for (const e of EDITED) expect(verifyFeatures(other, edited.get(e)!.f).verdict, e).toBe('unrelated');
  });

  it('a flat image matches nothing by appearance (no structure to match)', async () => {
    const grey = await featuresOf(await sharp({ create: { width: 480, height: 360, channels: 3, background: '#404040' } }).png().toBuffer());
    const darker = await featuresOf(await sharp({ create: { width: 480, height: 360, channels: 3, background: '#414141' } }).jpeg().toBuffer());
    // by their thumbnails alone (two flat images share a pHash)
    const r = verifyFeatures({ orb: grey.orb, thumb: grey.thumb }, { orb: darker.orb, thumb: darker.thumb });
    expect(r).toMatchObject({ verdict: 'unrelated', reasons: ['not enough texture to decide'] });
  });

  it('malformed thumbnails are INVALID_FEATURES naming the field, never a crash', () => {
    const bad: unknown[] = [
      'x',
      [1, 2],
      { width: 32, height: 24, luma: new Uint8Array(10), chroma: new Uint8Array(384) },
      { width: 32, height: 24, luma: new Uint8Array(768), chroma: new Uint16Array(384) },
      { width: 1e9, height: 24, luma: new Uint8Array(768), chroma: new Uint8Array(384) },
      { width: 32.5, height: 24, luma: new Uint8Array(768), chroma: new Uint8Array(384) },
    ];
    for (const thumb of bad) {
      expect(() => verifyFeatures(sourceF, { ...other, thumb }), JSON.stringify(thumb)).toThrow(expect.objectContaining({ code: 'INVALID_FEATURES', details: { field: 'b.thumb' } }));
    }
  });
});

describe('analyzeSet with texture-poor images (real Redis)', () => {
  let redis: TestRedis;
  let cache: FeatureCache;
  beforeAll(async () => {
    redis = await startTestRedis();
    cache = await createFeatureCache({ redis: redis.url, prefix: 'ap', trackExpiry: false });
  });
  afterAll(async () => {
    await cache.close();
    await redis.stop();
  });

  it('proposes and groups the edits of a smooth image, and keeps another smooth image out', async () => {
    await cache.setMany([
      { imageId: 'smooth', features: sourceF },
      { imageId: 'other', features: other },
      ...EDITED.map((e) => ({ imageId: `smooth-${e}`, features: edited.get(e)!.f })),
    ]);
    const r = await cache.analyzeSet(['smooth', 'other', ...EDITED.map((e) => `smooth-${e}`)]);
    expect(r.groups).toEqual([['smooth', ...EDITED.map((e) => `smooth-${e}`)]]);
    // the source's edges rest on appearance (the overlay and the splice also share the textured donor's keypoints)
    const fromSource = r.edges.filter((e) => e.a === 'smooth');
    expect(fromSource.map((e) => e.b).sort()).toEqual(EDITED.map((e) => `smooth-${e}`).sort());
    for (const e of fromSource) expect(e.reasons[0]).toMatch(APPEARANCE);
  });
});
