/**
 * Generated texture-poor images, seeded: the scale bench's texture-poor
 * distractors (the false candidates of the texture-poor tier are measured
 * against them). Three kinds, by seed: a linear or radial gradient of two or
 * three colours; a gradient under soft Gaussian blobs; soft colour noise (a sum
 * of a few low-frequency waves per channel). No edges, so ORB finds (almost) no
 * keypoints, like the smooth wallpapers of mate-backgrounds (Storm, Silk, Waves).
 * Rasterised in plain JavaScript (a few ms per 0.08 MP image).
 */
import sharp from 'sharp';
import { mulberry32 } from '../lib/prng.js';

/** Bump when the drawing changes: it keys the bench's feature cache. */
export const SMOOTH_TEXTURE_VERSION = 1;

type Rgb = [number, number, number];
const KINDS = ['gradient', 'blobs', 'waves'] as const;

/** The kind of smooth image seed `seed` draws. */
export const smoothKind = (seed: number) => KINDS[seed % KINDS.length]!;

function colour(rand: () => number): Rgb {
  return [20 + rand() * 215, 20 + rand() * 215, 20 + rand() * 215];
}

/** RGB pixels of a smooth image, the same for the same seed (resolution-independent). */
export function drawSmooth(seed: number, width = 320, height = 240): Buffer {
  const rand = mulberry32(seed * 104729 + 7);
  const kind = smoothKind(seed);
  const stops = [colour(rand), colour(rand), colour(rand)];
  const radial = rand() < 0.4;
  const angle = rand() * Math.PI * 2;
  const [cx, cy] = [rand(), rand()];
  const blobs = kind === 'blobs' ? Array.from({ length: 3 + Math.floor(rand() * 4) }, () => ({ x: rand(), y: rand(), r: 0.12 + rand() * 0.25, c: colour(rand), a: 0.5 + rand() * 0.5 })) : [];
  const waves =
    kind === 'waves'
      ? Array.from({ length: 3 }, () => Array.from({ length: 3 }, () => ({ fx: (rand() - 0.5) * 4, fy: (rand() - 0.5) * 4, p: rand() * 6.283, amp: 20 + rand() * 40 })))
      : [];
  const out = Buffer.alloc(width * height * 3);
  const long = Math.max(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / long;
      const v = y / long;
      // gradient position t in 0..1
      const t = radial ? Math.min(1, Math.hypot(u - cx, v - cy) * 1.2) : Math.min(1, Math.max(0, 0.5 + ((u - 0.5) * Math.cos(angle) + (v - 0.4) * Math.sin(angle))));
      const [a, b] = t < 0.5 ? [stops[0]!, stops[1]!] : [stops[1]!, stops[2]!];
      const f = t < 0.5 ? t * 2 : t * 2 - 1;
      const px: Rgb = [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
      for (const bl of blobs) {
        const w = bl.a * Math.exp(-((u - bl.x) ** 2 + (v - bl.y) ** 2) / (2 * bl.r * bl.r));
        for (let c = 0; c < 3; c++) px[c] = px[c]! * (1 - w) + bl.c[c]! * w;
      }
      waves.forEach((channel, c) => {
        for (const w of channel) px[c] = px[c]! + w.amp * Math.sin(2 * Math.PI * (w.fx * u + w.fy * v) + w.p);
      });
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) out[i + c] = Math.max(0, Math.min(255, Math.round(px[c]!)));
    }
  }
  return out;
}

/** drawSmooth encoded as JPEG (quality 90). */
export async function smoothJpeg(seed: number, size: { width: number; height: number }): Promise<Buffer> {
  return sharp(drawSmooth(seed, size.width, size.height), { raw: { width: size.width, height: size.height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}
