/**
 * Pillow-compatible Lanczos resize. End-to-end bit-exactness with Pillow is proven by
 * the imagehash reference test; here: identity, invariants, and agreement (within the
 * 8-bit intermediate rounding) with an independent floating-point Lanczos.
 */
import { describe, expect, it } from 'vitest';
import type { GreyImage } from '../../src/features/grey.js';
import { resizeLanczos } from '../../src/features/resize.js';
import { prng } from './fixtures.js';

function lanczos(x: number): number {
  if (x === 0) return 1;
  if (x < -3 || x >= 3) return 0;
  const px = Math.PI * x;
  return (3 * Math.sin(px) * Math.sin(px / 3)) / (px * px);
}

/** Independent float implementation: Pillow's window placement, no intermediate rounding. */
function weights(inSize: number, outSize: number): Array<{ start: number; w: number[] }> {
  const scale = inSize / outSize;
  const fs = Math.max(1, scale);
  const support = 3 * fs;
  return Array.from({ length: outSize }, (_, o) => {
    const center = (o + 0.5) * scale;
    const start = Math.max(0, Math.trunc(center - support + 0.5));
    const end = Math.min(inSize, Math.trunc(center + support + 0.5));
    const w: number[] = [];
    for (let i = start; i < end; i++) w.push(lanczos((i - center + 0.5) / fs));
    const sum = w.reduce((a, b) => a + b, 0);
    return { start, w: w.map((v) => v / sum) };
  });
}

function floatResize(src: GreyImage, outW: number, outH: number): number[] {
  const wx = weights(src.width, outW);
  const wy = weights(src.height, outH);
  const tmp: number[] = [];
  for (let y = 0; y < src.height; y++) {
    for (const { start, w } of wx) tmp.push(w.reduce((acc, k, i) => acc + k * src.data[y * src.width + start + i]!, 0));
  }
  const out: number[] = [];
  for (const { start, w } of wy) {
    for (let x = 0; x < outW; x++) out.push(w.reduce((acc, k, i) => acc + k * tmp[(start + i) * outW + x]!, 0));
  }
  return out.map((v) => Math.min(255, Math.max(0, Math.round(v))));
}

function image(width: number, height: number, f: (x: number, y: number) => number): GreyImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { data, width, height };
}

describe('resizeLanczos', () => {
  it('returns an equal copy when the size does not change', () => {
    const src = image(8, 8, (x, y) => x * 30 + y);
    const out = resizeLanczos(src, 8, 8);
    expect(Array.from(out.data)).toEqual(Array.from(src.data));
    expect(out.data).not.toBe(src.data);
  });

  it('keeps constant images constant at every scale, including the extremes 0 and 255', () => {
    for (const v of [0, 1, 137, 254, 255]) {
      for (const [w, h, ow, oh] of [
        [1200, 600, 8, 8],
        [1200, 600, 9, 8],
        [1200, 600, 32, 32],
        [7, 5, 32, 32],
        [100, 3, 9, 8],
      ] as const) {
        const out = resizeLanczos(image(w, h, () => v), ow, oh);
        expect(new Set(out.data)).toEqual(new Set([v]));
        expect([out.width, out.height, out.data.length]).toEqual([ow, oh, ow * oh]);
      }
    }
  });

  it('agrees with an independent float Lanczos within 1 level (8-bit intermediate rounding)', () => {
    const rnd = prng(7);
    const cases: Array<[number, number, number, number]> = [
      [640, 480, 32, 32],
      [300, 200, 9, 8],
      [257, 511, 8, 8],
      [20, 30, 32, 32], // upscaling
      [64, 8, 9, 8], // horizontal pass only
      [8, 64, 8, 8], // vertical pass only
    ];
    for (const [w, h, ow, oh] of cases) {
      const a = rnd() * 0.2;
      const b = rnd() * 0.2;
      const src = image(w, h, (x, y) => Math.round(127 + 100 * Math.sin(a * x + b * y) * Math.cos(b * x - a * y)));
      const ours = resizeLanczos(src, ow, oh);
      const ref = floatResize(src, ow, oh);
      let maxDiff = 0;
      for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours.data[i]! - ref[i]!));
      expect(maxDiff, `${w}x${h} -> ${ow}x${oh}`).toBeLessThanOrEqual(1);
    }
  });

  it('preserves a left-to-right ramp order (no mirroring or transposition)', () => {
    const out = resizeLanczos(image(900, 400, (x) => Math.floor((x * 255) / 899)), 9, 8);
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) expect(out.data[y * 9 + x + 1]!).toBeGreaterThan(out.data[y * 9 + x]!);
    }
  });

  it('rejects invalid sizes', () => {
    expect(() => resizeLanczos(image(4, 4, () => 0), 0, 4)).toThrow(RangeError);
    expect(() => resizeLanczos({ data: new Uint8Array(3), width: 2, height: 2 }, 1, 1)).toThrow(RangeError);
  });
});
