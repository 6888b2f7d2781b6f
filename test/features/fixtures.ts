/**
 * Deterministic, varied test images generated with sharp (gradients, shapes, text via
 * SVG, smooth noise, the imagehash test image) and the transformed variants used to
 * check hash robustness. Shared by the feature tests and bench/features-bench.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { mulberry32 } from '../../bench/lib/prng.js';

/**
 * The external ground truth: ../shared/data beside the repository (see its README),
 * else the workspace's /work/shared/data; FEATCACHE_SHARED_DATA, when set, is used as is.
 * When none exists the reference tests fail reading it (never skip).
 */
function sharedData(): string {
  const chosen = process.env.FEATCACHE_SHARED_DATA;
  if (chosen) return chosen;
  const candidates = [join(import.meta.dirname, '..', '..', '..', 'shared', 'data'), '/work/shared/data'];
  return candidates.find((d) => existsSync(join(d, 'imagehash.png'))) ?? candidates[0]!;
}
const SHARED_DATA = sharedData();
export const IMAGEHASH_PNG = join(SHARED_DATA, 'imagehash.png');
export const IMAGEHASH_REFERENCE = join(SHARED_DATA, 'imagehash-reference.json');

export interface NamedImage {
  name: string;
  /** Encoded PNG (or the original file for imagehash.png). */
  data: Buffer;
}

/** A small seeded PRNG, so a failing case can be replayed. */
export const prng = mulberry32;

function svg(width: number, height: number, body: string): Buffer {
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${body}</svg>`,
  );
}

async function svgPng(width: number, height: number, body: string): Promise<Buffer> {
  return sharp(svg(width, height, body)).flatten({ background: '#ffffff' }).png().toBuffer();
}

/** Low-frequency colour noise: a coarse random grid upscaled smoothly. */
export async function smoothNoisePng(seed: number, width: number, height: number, cells = 12): Promise<Buffer> {
  const rnd = prng(seed);
  const raw = Buffer.alloc(cells * cells * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(rnd() * 256);
  return sharp(raw, { raw: { width: cells, height: cells, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    .png()
    .toBuffer();
}

/** Pixel-level white noise (hard case: nothing survives downscaling but the mean). */
export async function whiteNoisePng(seed: number, width: number, height: number): Promise<Buffer> {
  const rnd = prng(seed);
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(rnd() * 256);
  return sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** The varied base set (all distinct content), `size` x `size` except imagehash.png. */
export async function baseImages(size = 256): Promise<NamedImage[]> {
  const s = size;
  const h = s / 2;
  const out: NamedImage[] = [
    {
      name: 'gradient-h',
      data: await svgPng(s, s, `<defs><linearGradient id="g"><stop offset="0" stop-color="#102030"/><stop offset="1" stop-color="#f0e0a0"/></linearGradient></defs><rect width="${s}" height="${s}" fill="url(#g)"/>`),
    },
    {
      name: 'gradient-v',
      data: await svgPng(s, s, `<defs><linearGradient id="g" x2="0" y2="1"><stop offset="0" stop-color="#ff2000"/><stop offset="1" stop-color="#0020ff"/></linearGradient></defs><rect width="${s}" height="${s}" fill="url(#g)"/>`),
    },
    {
      name: 'gradient-radial',
      data: await svgPng(s, s, `<defs><radialGradient id="g"><stop offset="0" stop-color="#ffffff"/><stop offset="1" stop-color="#203020"/></radialGradient></defs><rect width="${s}" height="${s}" fill="url(#g)"/>`),
    },
    {
      name: 'shapes-circles',
      data: await svgPng(s, s, `<rect width="${s}" height="${s}" fill="#e8e8e8"/><circle cx="${s * 0.3}" cy="${s * 0.3}" r="${s * 0.2}" fill="#c02020"/><circle cx="${s * 0.7}" cy="${s * 0.65}" r="${s * 0.25}" fill="#2040c0"/>`),
    },
    {
      name: 'shapes-polygons',
      data: await svgPng(s, s, `<rect width="${s}" height="${s}" fill="#202020"/><polygon points="${s * 0.1},${s * 0.9} ${h},${s * 0.1} ${s * 0.9},${s * 0.9}" fill="#f0c000"/><rect x="${s * 0.6}" y="${s * 0.05}" width="${s * 0.3}" height="${s * 0.3}" fill="#00a0a0"/>`),
    },
    {
      name: 'text-hello',
      data: await svgPng(s, s, `<rect width="${s}" height="${s}" fill="#ffffff"/><text x="${s * 0.05}" y="${s * 0.45}" font-family="sans-serif" font-size="${s * 0.18}" fill="#000">Hello</text><text x="${s * 0.05}" y="${s * 0.8}" font-family="serif" font-size="${s * 0.2}" fill="#303090">featcache</text>`),
    },
    {
      name: 'text-provenance',
      data: await svgPng(s, s, `<rect width="${s}" height="${s}" fill="#fff8e0"/><text x="${h}" y="${h}" text-anchor="middle" font-family="monospace" font-size="${s * 0.3}" fill="#800000" transform="rotate(-30 ${h} ${h})">2024</text>`),
    },
    {
      name: 'stripes-diagonal',
      data: await svgPng(s, s, `<defs><pattern id="p" width="${s / 4}" height="${s / 4}" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="${s / 8}" height="${s / 4}" fill="#406080"/></pattern></defs><rect width="${s}" height="${s}" fill="#f0f0f0"/><rect width="${s}" height="${s}" fill="url(#p)"/>`),
    },
    {
      name: 'checkerboard',
      data: await svgPng(s, s, `<defs><pattern id="c" width="${s / 4}" height="${s / 4}" patternUnits="userSpaceOnUse"><rect width="${s / 8}" height="${s / 8}" fill="#000"/><rect x="${s / 8}" y="${s / 8}" width="${s / 8}" height="${s / 8}" fill="#000"/></pattern></defs><rect width="${s}" height="${s}" fill="#fff"/><rect width="${s}" height="${s}" fill="url(#c)"/>`),
    },
    { name: 'noise-smooth-1', data: await smoothNoisePng(1, s, s) },
    { name: 'noise-smooth-2', data: await smoothNoisePng(2, s, s) },
    { name: 'noise-smooth-3', data: await smoothNoisePng(3, s, s, 6) },
  ];
  const { readFile } = await import('node:fs/promises');
  out.push({ name: 'imagehash', data: await readFile(IMAGEHASH_PNG) });
  return out;
}

export type TransformName = 'resize-50' | 'jpeg-q70' | 'brightness-1.08';

/** The transformed variants a near-duplicate detector must tolerate. */
export async function transformed(image: Buffer): Promise<Array<{ transform: TransformName; data: Buffer }>> {
  const meta = await sharp(image).metadata();
  const w = Math.max(1, Math.round(meta.width / 2));
  return [
    { transform: 'resize-50', data: await sharp(image).resize(w, null, { kernel: 'lanczos3' }).png().toBuffer() },
    { transform: 'jpeg-q70', data: await sharp(image).flatten({ background: '#000000' }).jpeg({ quality: 70 }).toBuffer() },
    { transform: 'brightness-1.08', data: await sharp(image).modulate({ brightness: 1.08 }).png().toBuffer() },
  ];
}

/** A 1-megapixel (1000x1000) JPEG with varied content, for throughput measurements. */
export async function megapixelJpeg(index: number): Promise<Buffer> {
  const kind = index % 4;
  const size = 1000;
  let png: Buffer;
  if (kind === 0) png = await smoothNoisePng(1000 + index, size, size, 8 + (index % 9));
  else if (kind === 1) {
    const rnd = prng(index);
    const shapes = Array.from({ length: 12 }, () => {
      const col = `rgb(${Math.floor(rnd() * 256)},${Math.floor(rnd() * 256)},${Math.floor(rnd() * 256)})`;
      return `<circle cx="${rnd() * size}" cy="${rnd() * size}" r="${20 + rnd() * 200}" fill="${col}"/>`;
    }).join('');
    png = await svgPng(size, size, `<rect width="${size}" height="${size}" fill="#f4f4f4"/>${shapes}`);
  } else if (kind === 2) {
    png = await svgPng(size, size, `<defs><linearGradient id="g" x2="${index % 2}" y2="1"><stop offset="0" stop-color="#${(index * 7919).toString(16).padStart(6, '0').slice(-6)}"/><stop offset="1" stop-color="#f0f0f0"/></linearGradient></defs><rect width="${size}" height="${size}" fill="url(#g)"/><text x="60" y="${300 + index * 10}" font-size="140" font-family="sans-serif">img ${index}</text>`);
  } else {
    // Smooth noise with fine texture on top, closer to a photo's spectrum.
    const base = await smoothNoisePng(5000 + index, size, size, 24);
    const grain = await whiteNoisePng(index, size, size);
    png = await sharp(base).composite([{ input: grain, blend: 'soft-light' }]).png().toBuffer();
  }
  return sharp(png).jpeg({ quality: 85 }).toBuffer();
}

/**
 * A textured, asymmetric image (smooth colour noise, random shapes, text): plenty of
 * ORB keypoints everywhere, and no rotation or mirror symmetry. PNG, `width` x `height`.
 */
export async function texturedPng(seed: number, width: number, height: number): Promise<Buffer> {
  const rnd = prng(seed);
  const colour = () => `rgb(${Math.floor(rnd() * 256)},${Math.floor(rnd() * 256)},${Math.floor(rnd() * 256)})`;
  const shapes: string[] = [];
  for (let i = 0; i < 60; i++) {
    const x = rnd() * width;
    const y = rnd() * height;
    const r = 4 + rnd() * Math.min(width, height) * 0.08;
    shapes.push(
      i % 3 === 0
        ? `<circle cx="${x}" cy="${y}" r="${r}" fill="${colour()}"/>`
        : i % 3 === 1
          ? `<rect x="${x}" y="${y}" width="${r * 1.7}" height="${r}" fill="${colour()}" transform="rotate(${rnd() * 90} ${x} ${y})"/>`
          : `<text x="${x}" y="${y}" font-family="sans-serif" font-size="${r}" fill="${colour()}">F${i}q</text>`,
    );
  }
  const base = await smoothNoisePng(seed, width, height, 10);
  const overlay = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`);
  return sharp(base).composite([{ input: overlay }]).png().toBuffer();
}

/**
 * A procedural RGB image computed pixel by pixel (no SVG, fonts or resampling, so the
 * same bytes on every machine): sinusoidal colour waves whose saturation grows from
 * the left (grey) to the right edge, a dark band at the top and a white block — every
 * bin of colorhash gets pixels. Lossless PNG, `width` x `height`.
 */
export async function proceduralPng(seed: number, width: number, height: number): Promise<Buffer> {
  const rnd = prng(seed);
  const f = Array.from({ length: 9 }, () => 0.005 + rnd() * 0.08);
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const wave = (k: number) => Math.sin(x * f[k]! + y * f[k + 1]! + f[k + 2]! * 50);
      const sat = width > 1 ? x / (width - 1) : 0;
      const light = 128 + 100 * wave(0);
      const dark = y < height / 8 ? 0.1 : 1;
      const white = x > width * 0.8 && y > height * 0.8;
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const v = white ? 255 : (light + sat * 120 * wave(c * 3 % 7)) * dark;
        raw[i + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer();
}
