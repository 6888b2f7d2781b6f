/**
 * Same-frame appearance of textured images (docs/PROVENANCE.md, "Low texture:
 * appearance", same frame): a splice keeps the smooth half of A beside the
 * textured half of a donor, so every keypoint of the splice lies on the donor's
 * half and every keypoint of A on the half the splice replaced — geometry finds
 * nothing shared with A, though half of the picture is A's at the same place.
 * Generated images: a smooth field (test/provenance/smooth.ts) beside a busy
 * textured scene (test/provenance/edits.ts).
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyEdit } from '../../bench/provenance/edits.js';
import { createFeatureCache, verifyFeatures, type FeatureCache } from '../../src/index.js';
import { extractFeatures, THUMB_SMALL_LONG_SIDE } from '../../src/features/index.js';
import { addAppearanceCandidates } from '../../src/provenance/appearance-candidates.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { texturedPng } from './edits.js';
import { smoothPng } from './smooth.js';

const EXTRACTORS = ['orb', 'phash', 'phash_dihedral', 'content_hash', 'meta', 'thumb'] as const;
const featuresOf = (image: Buffer) => extractFeatures(image, { extractors: [...EXTRACTORS] });
type F = Awaited<ReturnType<typeof featuresOf>>;

const SHARES_LEFT = 'B shares its left half with A at the same position, judged by appearance (the keypoints lie elsewhere)';

/** The left half of `left` beside the right half of `right` (the bench's splice). */
const halves = (left: Buffer, right: Buffer) => applyEdit('splice', left, right, { format: 'png' });
/** A smooth field (seed) on the left, a textured scene (seed) on the right. */
const smoothBesideTexture = async (smooth: number, texture: number) => halves(await smoothPng(smooth, 640, 480), await texturedPng(texture));
/** A flat black left half beside a textured scene: nothing to match on the left. */
const blackBesideTexture = async (texture: number) =>
  halves(await sharp({ create: { width: 640, height: 480, channels: 3, background: '#000' } }).png().toBuffer(), await texturedPng(texture));

let a: F;
let donor: F;
let splice: F;
/** Unrelated images of the same kind: another smooth field beside another scene. */
const others: F[] = [];
const black: F[] = [];

beforeAll(async () => {
  const aImage = await smoothBesideTexture(1, 11);
  const donorImage = await texturedPng(12);
  a = await featuresOf(aImage);
  donor = await featuresOf(donorImage);
  splice = await featuresOf(await halves(aImage, donorImage));
  for (const [s, t] of [[2, 21], [3, 22]] as const) others.push(await featuresOf(await smoothBesideTexture(s, t)));
  for (const t of [31, 32]) black.push(await featuresOf(await blackBesideTexture(t)));
}, 60_000);

const keypoints = (f: F) => f.orb.keypoints.length / 2;

describe('verifyFeatures: a splice whose shared half has no keypoints', () => {
  it('the images are textured (geometry, not the texture-poor path, answers first) and geometry finds nothing', () => {
    expect(keypoints(a)).toBeGreaterThanOrEqual(150);
    expect(keypoints(splice)).toBeGreaterThanOrEqual(150);
    expect(a.thumb.width).toBe(THUMB_SMALL_LONG_SIDE);
    const byGeometry = verifyFeatures({ ...a, thumb: undefined }, { ...splice, thumb: undefined });
    expect(byGeometry).toMatchObject({ verdict: 'unrelated', reasons: ['no shared content found'] });
    expect(byGeometry.inliers).toBeLessThan(15);
  });

  it('is derived: B shares its left half with A, judged by appearance at the same position', () => {
    const r = verifyFeatures(a, splice);
    expect(r).toMatchObject({ verdict: 'derived', inliers: 0, overlap: { a: 0.5, b: 0.5 }, transform: { scale: 1, rotation_deg: 0, mirrored: false } });
    expect(r.reasons).toEqual(['shares a region (overlay or splice)', SHARES_LEFT]);
  });

  it('the donor of the other half is still found by geometry', () => {
    const r = verifyFeatures(donor, splice);
    expect(r.verdict).toBe('derived');
    expect(r.inliers).toBeGreaterThanOrEqual(15);
    expect(r.reasons).toContain('shares a region (overlay or splice)');
  });
});

describe('verifyFeatures: unrelated images beside each other are not called related', () => {
  it('a smooth field beside a scene against another smooth field beside another scene: unrelated', () => {
    const all = [a, ...others];
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) {
        const r = verifyFeatures(all[i]!, all[j]!);
        expect(r, `${i}~${j}: ${r.reasons.join()}`).toMatchObject({ verdict: 'unrelated', reasons: ['no shared content found'] });
      }
    }
    for (const o of others) expect(verifyFeatures(o, splice).verdict).toBe('unrelated');
  });

  it('two identical flat black halves prove nothing (no structure to match)', () => {
    const r = verifyFeatures(black[0]!, black[1]!);
    expect(r).toMatchObject({ verdict: 'unrelated', reasons: ['no shared content found'] });
  });
});

describe('analyzeSet proposes and groups the splice with both its sources (real Redis)', () => {
  let redis: TestRedis;
  let cache: FeatureCache;
  beforeAll(async () => {
    redis = await startTestRedis();
    cache = await createFeatureCache({ redis: redis.url, prefix: 'sf', trackExpiry: false });
  });
  afterAll(async () => {
    await cache.close();
    await redis.stop();
  });

  it('the appearance proposer alone pairs the splice with A (no votes, no hash needed), and no look-alike', async () => {
    const pairs = await addAppearanceCandidates([], [a, donor, splice, ...others, ...black]);
    const keys = pairs.map((p) => `${p.a},${p.b}`);
    expect(keys).toContain('0,2');
    // only A~splice and donor~splice (its right half) may be proposed
    expect(keys.filter((k) => k !== '0,2' && k !== '1,2')).toEqual([]);
  });

  it('A, the donor and the splice form one group; the look-alikes stay out', async () => {
    const named: Array<[string, F]> = [['a', a], ['donor', donor], ['splice', splice], ...others.map((f, i): [string, F] => [`other${i}`, f]), ...black.map((f, i): [string, F] => [`black${i}`, f])];
    await cache.setMany(named.map(([imageId, features]) => ({ imageId, features })));
    const r = await cache.analyzeSet(named.map(([id]) => id));
    expect(r.groups).toEqual([['a', 'donor', 'splice']]);
    const edge = r.edges.find((e) => e.a === 'a' && e.b === 'splice');
    expect(edge).toMatchObject({ verdict: 'derived', inliers: 0, reasons: ['shares a region (overlay or splice)', SHARES_LEFT] });
  });
});
