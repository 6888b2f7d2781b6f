/**
 * ExplainedPoints (the donor tier's filter): a query keypoint is the host's when
 * it lies near an inlier, or when the host's homography maps it onto a host
 * keypoint with a similar descriptor (host content that matching left out).
 */
import { describe, expect, it } from 'vitest';
import { ExplainedPoints, HOST_DESCRIPTOR_MAX_BITS } from '../../../src/provenance/index/explained.js';
import { invert } from '../../../src/provenance/homography.js';
import { randomOrb } from './synthetic.js';

/** Descriptor `k` of `d` with its first `bits` bits flipped. */
function flipped(d: Uint8Array, k: number, bits: number): Uint8Array {
  const out = d.slice(32 * k, 32 * k + 32);
  for (let b = 0; b < bits; b++) out[b >> 3]! ^= 1 << (b & 7);
  return out;
}

describe('ExplainedPoints', () => {
  const host = randomOrb(5);
  // host -> query: a shift of (+30, -12)
  const h = Float64Array.from([1, 0, 30, 0, 1, -12, 0, 0, 1]);
  const explained = new ExplainedPoints();
  explained.add([100, 100]);
  explained.addHost(host, invert(h)!);
  const at = (j: number) => [host.keypoints[2 * j]! + 30, host.keypoints[2 * j + 1]! - 12] as const;

  it('near an inlier: explained, whatever the descriptor', () => {
    expect(explained.explains(103, 98, randomOrb(6).descriptors, 0)).toBe(true);
    expect(explained.covers(103, 98)).toBe(true);
  });

  it('where the homography puts a host keypoint with a similar descriptor: explained', () => {
    const [x, y] = at(7);
    expect(explained.covers(x, y)).toBe(false);
    expect(explained.explains(x + 2, y + 1, flipped(host.descriptors, 7, 40), 0)).toBe(true);
    expect(explained.explains(x, y, flipped(host.descriptors, 7, HOST_DESCRIPTOR_MAX_BITS), 0)).toBe(true);
  });

  it('a different descriptor there, or the same one elsewhere: not explained (a pasted patch keeps its keypoints)', () => {
    const [x, y] = at(7);
    expect(explained.explains(x, y, flipped(host.descriptors, 7, HOST_DESCRIPTOR_MAX_BITS + 8), 0)).toBe(false);
    expect(explained.explains(x, y, randomOrb(8).descriptors, 3)).toBe(false);
    expect(explained.explains(x + 40, y + 40, flipped(host.descriptors, 7, 10), 0)).toBe(false);
  });
});
