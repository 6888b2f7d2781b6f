/**
 * Generated images with real texture, seeded: a multi-scale colour-noise
 * background with random shapes and strokes on it, so that ORB finds corners all
 * over the frame (like a photo) and two seeds never share content. The
 * provenance tests use them instead of photographs; the bench uses them as
 * distractors.
 */
import sharp from 'sharp';
import { mulberry32 } from '../lib/prng.js';

/** Colour noise of `cells` x `cells` random values upscaled to width x height. */
async function noiseLayer(rand: () => number, width: number, height: number, cells: number): Promise<Buffer> {
  const cw = Math.max(2, Math.round((cells * width) / Math.max(width, height)));
  const ch = Math.max(2, Math.round((cells * height) / Math.max(width, height)));
  const raw = Buffer.alloc(cw * ch * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(rand() * 256);
  return sharp(raw, { raw: { width: cw, height: ch, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    .png()
    .toBuffer();
}

function colour(rand: () => number): string {
  return `rgb(${Math.floor(rand() * 256)},${Math.floor(rand() * 256)},${Math.floor(rand() * 256)})`;
}

/** An SVG of `count` random rectangles, ellipses, polygons and strokes. */
function shapesSvg(rand: () => number, width: number, height: number, count: number): Buffer {
  const s = Math.min(width, height);
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const x = rand() * width;
    const y = rand() * height;
    const r = s * (0.01 + rand() * 0.08);
    const fill = colour(rand);
    const opacity = (0.5 + rand() * 0.5).toFixed(2);
    switch (Math.floor(rand() * 4)) {
      case 0:
        parts.push(`<rect x="${x}" y="${y}" width="${r * 2}" height="${r * (0.5 + rand() * 2)}" fill="${fill}" opacity="${opacity}" transform="rotate(${rand() * 90} ${x} ${y})"/>`);
        break;
      case 1:
        parts.push(`<ellipse cx="${x}" cy="${y}" rx="${r}" ry="${r * (0.3 + rand())}" fill="${fill}" opacity="${opacity}"/>`);
        break;
      case 2: {
        const pts = Array.from({ length: 3 + Math.floor(rand() * 3) }, () => `${x + (rand() - 0.5) * r * 3},${y + (rand() - 0.5) * r * 3}`);
        parts.push(`<polygon points="${pts.join(' ')}" fill="${fill}" opacity="${opacity}"/>`);
        break;
      }
      default:
        parts.push(
          `<line x1="${x}" y1="${y}" x2="${x + (rand() - 0.5) * r * 6}" y2="${y + (rand() - 0.5) * r * 6}" stroke="${fill}" stroke-width="${1 + rand() * 4}"/>`,
        );
    }
  }
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`);
}

export interface TextureOptions {
  /** @default 640 */
  width?: number;
  /** @default 480 */
  height?: number;
  /** Random shapes drawn over the noise. @default 160 */
  shapes?: number;
  /** @default 'png' */
  format?: 'png' | 'jpeg';
}

/** A textured image, the same for the same seed. */
export async function texturedImage(seed: number, options: TextureOptions = {}): Promise<Buffer> {
  const width = options.width ?? 640;
  const height = options.height ?? 480;
  const rand = mulberry32(seed * 7919 + 17);
  const coarse = await noiseLayer(rand, width, height, 6);
  const fine = await noiseLayer(rand, width, height, 48);
  const img = sharp(coarse).composite([
    { input: fine, blend: 'soft-light' },
    { input: shapesSvg(rand, width, height, options.shapes ?? 160) },
  ]);
  return options.format === 'jpeg' ? img.jpeg({ quality: 90 }).toBuffer() : img.png().toBuffer();
}
