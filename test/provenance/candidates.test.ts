import { describe, expect, it } from 'vitest';
import { chunkVotes, inverseOrientation, proposeCandidates, type CandidateInput } from '../../src/provenance/candidates.js';

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomDescriptors(rand: () => number, rows: number): Uint8Array {
  const d = new Uint8Array(rows * 32);
  for (let i = 0; i < d.length; i++) d[i] = Math.floor(rand() * 256);
  return d;
}

/** Rows of `src` (by index), each with `flips` random bits flipped: the descriptors an edited copy would have. */
function takeRows(src: Uint8Array, rows: number[], flips: number, rand: () => number): Uint8Array {
  const out = new Uint8Array(rows.length * 32);
  rows.forEach((r, i) => {
    out.set(src.subarray(r * 32, r * 32 + 32), i * 32);
    for (let f = 0; f < flips; f++) {
      const bit = Math.floor(rand() * 256);
      out[i * 32 + (bit >> 3)]! ^= 1 << (bit & 7);
    }
  });
  return out;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const input = (descriptors: Uint8Array | null, hashes: string[] | null = null, contentHash: string | null = null): CandidateInput => ({
  descriptors,
  hashes,
  contentHash,
});
const pairsOf = (cs: Array<{ a: number; b: number }>) => cs.map((c) => `${c.a}-${c.b}`);

describe('descriptor chunk votes', () => {
  it('propose a crop and both halves of a splice, and no unrelated pair among 60 random images', async () => {
    const rand = rng(1);
    const images = Array.from({ length: 60 }, () => randomDescriptors(rand, 500));
    // 0 <- 1: a crop keeps 40% of the keypoints, each descriptor 20 bits off
    images[1] = takeRows(images[0]!, range(0, 200), 20, rand);
    // 2 = halves of 3 and 4
    images[2] = new Uint8Array([...takeRows(images[3]!, range(0, 250), 12, rand), ...takeRows(images[4]!, range(250, 500), 12, rand)]);
    const candidates = await proposeCandidates(images.map((d) => input(d)));
    expect(pairsOf(candidates).sort()).toEqual(['0-1', '2-3', '2-4']);
    for (const c of candidates) expect(c.votes).toBeGreaterThanOrEqual(10);
  });

  it('count each shared chunk once per pair and ignore chunks held by more images than the stop limit', async () => {
    const rand = rng(2);
    const images = Array.from({ length: 20 }, () => randomDescriptors(rand, 50));
    // a flat-area descriptor (all zeros) in every image: shared by 20 images
    for (const d of images) d.fill(0, 0, 32);
    let votes = await chunkVotes(images, 19);
    expect(votes.size).toBe(0);
    votes = await chunkVotes(images, 20);
    // 8 chunk positions, every one of the 190 pairs
    expect(votes.size).toBe(190);
    expect([...votes.values()].every((v) => v === 8)).toBe(true);
    // a descriptor repeated inside one image still votes once
    const twice = new Uint8Array([...images[0]!.subarray(32, 64), ...images[0]!.subarray(32, 64)]);
    votes = await chunkVotes([twice, images[0]!.subarray(32, 64)], 16);
    expect(votes.get(0 * 2 + 1)).toBe(8);
  });

  it('keep only the strongest vote pairs of each image', async () => {
    const rand = rng(3);
    const src = randomDescriptors(rand, 400);
    // ten copies of the same image: 45 pairs, each pair votes
    const images = Array.from({ length: 10 }, () => takeRows(src, range(0, 400), 4, rand));
    const all = await proposeCandidates(images.map((d) => input(d)));
    expect(all.length).toBe(45);
    const capped = await proposeCandidates(images.map((d) => input(d)), { maxVotePairsPerImage: 2 });
    expect(capped.length).toBeLessThan(45);
    expect(capped.length).toBeGreaterThanOrEqual(5);
  });
});

describe('hash and content evidence', () => {
  const h = (n: number) => n.toString(16).padStart(16, '0');

  it('propose a pair whose hash matches in a rotated orientation, with that orientation', async () => {
    const a = [h(0x1111), h(0xf0f0f0f0f0f0), h(0x2222), h(0x3333), h(0x4444), h(0x5555), h(0x6666), h(0x7777)];
    const b = [h(0xf0f0f0f0f0f1), h(0x1), h(0x2), h(0x3), h(0x4), h(0x5), h(0x6), h(0x7)];
    const far = ['ffffffffffffffff', ...a.slice(1).map(() => 'ffffffff00000000')];
    const [only, ...rest] = await proposeCandidates([input(null, a), input(null, b), input(null, far)], { maxHashDistance: 2 });
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ a: 0, b: 1, hashDistance: 1, orientation: 1, identical: false });
  });

  it('look at b\'s orientations too, inverted', async () => {
    const a = [h(0xabc)];
    const b = [h(0x999999), h(0x1), h(0x2), h(0xabc), h(0x4), h(0x5), h(0x6), h(0x7)];
    const [c] = await proposeCandidates([input(null, a), input(null, b)], { maxHashDistance: 0 });
    expect(c).toMatchObject({ hashDistance: 0, orientation: inverseOrientation(3) });
    expect(inverseOrientation(3)).toBe(1);
    expect(inverseOrientation(5)).toBe(5);
  });

  it('propose every pair of identical files', async () => {
    const cs = await proposeCandidates([input(null, null, 'x'), input(null, null, 'y'), input(null, null, 'x'), input(null, null, 'x')]);
    expect(cs.map((c) => [c.a, c.b, c.identical])).toEqual([
      [0, 2, true],
      [0, 3, true],
      [2, 3, true],
    ]);
  });
});

it('yields to the event loop while it works', async () => {
  const rand = rng(4);
  const images = Array.from({ length: 300 }, () => randomDescriptors(rand, 100));
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  await proposeCandidates(images.map((d) => input(d, ['0123456789abcdef'])));
  clearInterval(timer);
  expect(ticks).toBeGreaterThan(3);
});
