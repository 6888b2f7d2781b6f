/**
 * Generated images with real texture drawn in plain JavaScript, seeded: the
 * distractors of the scale bench (bench/provenance/scale.ts), which needs
 * 100,000 of them. The same recipe as textures.ts (a colour-noise background of
 * two scales with random rectangles, ellipses, polygons and strokes over it), but
 * rasterised into an RGB buffer here instead of by librsvg: ~40 ms of SVG
 * rendering per 0.1 MP image becomes a few ms. Two seeds never share content.
 *
 * Resolution-independent: every position and size is a fraction of the frame, so
 * the same seed drawn at 320 x 240 and at 1024 x 768 is the same picture at two
 * resolutions (the bench indexes the small one and pastes donors into the large one).
 */
import sharp from 'sharp';
import { mulberry32 } from '../lib/prng.js';

/** Bump when the drawing changes: it keys the bench's feature cache. */
export const DRAWN_TEXTURE_VERSION = 1;

export interface DrawnTextureOptions {
  /** @default 320 */
  width?: number;
  /** @default 240 */
  height?: number;
  /** Shapes drawn over the noise. @default 90 */
  shapes?: number;
}

export interface RawImage {
  /** RGB, 3 bytes per pixel, row-major. */
  data: Buffer;
  width: number;
  height: number;
}

type Rand = () => number;

/** Bilinear colour noise of `cells` cells along the longer side (values in 0..255 per channel). */
function noise(rand: Rand, width: number, height: number, cells: number): Float32Array {
  const long = Math.max(width, height);
  const cw = Math.max(2, Math.round((cells * width) / long)) + 1;
  const ch = Math.max(2, Math.round((cells * height) / long)) + 1;
  const grid = new Float32Array(cw * ch * 3);
  for (let i = 0; i < grid.length; i++) grid[i] = rand() * 255;
  const xs = new Int32Array(width);
  const fxs = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const gx = (x / Math.max(1, width - 1)) * (cw - 1);
    xs[x] = Math.min(cw - 2, Math.floor(gx));
    fxs[x] = gx - xs[x]!;
  }
  const out = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const gy = (y / Math.max(1, height - 1)) * (ch - 1);
    const y0 = Math.min(ch - 2, Math.floor(gy));
    const fy = gy - y0;
    for (let x = 0; x < width; x++) {
      const fx = fxs[x]!;
      const a = (y0 * cw + xs[x]!) * 3;
      const c = a + cw * 3;
      const o = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) {
        const top = grid[a + k]! + (grid[a + 3 + k]! - grid[a + k]!) * fx;
        const bottom = grid[c + k]! + (grid[c + 3 + k]! - grid[c + k]!) * fx;
        out[o + k] = top + (bottom - top) * fy;
      }
    }
  }
  return out;
}

/** Blends `rgb` at `opacity` into pixel (x, y). */
function plot(px: Float32Array, width: number, x: number, y: number, rgb: readonly number[], opacity: number): void {
  const o = (y * width + x) * 3;
  for (let k = 0; k < 3; k++) px[o + k] = px[o + k]! + (rgb[k]! - px[o + k]!) * opacity;
}

/** Fills every pixel of the box [x0, x1] x [y0, y1] (clipped) for which `inside(x, y)` holds. */
function fill(
  px: Float32Array,
  width: number,
  height: number,
  box: [number, number, number, number],
  inside: (x: number, y: number) => boolean,
  rgb: readonly number[],
  opacity: number,
): void {
  const x0 = Math.max(0, Math.floor(box[0]));
  const y0 = Math.max(0, Math.floor(box[1]));
  const x1 = Math.min(width - 1, Math.ceil(box[2]));
  const y1 = Math.min(height - 1, Math.ceil(box[3]));
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) if (inside(x + 0.5, y + 0.5)) plot(px, width, x, y, rgb, opacity);
}

/** Even-odd point-in-polygon test. */
function inPolygon(pts: ReadonlyArray<readonly [number, number]>, x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [xi, yi] = pts[i]!;
    const [xj, yj] = pts[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function boxOf(pts: ReadonlyArray<readonly [number, number]>): [number, number, number, number] {
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/** One random shape (rectangle, ellipse, polygon or stroke), sizes relative to the frame. */
function drawShape(px: Float32Array, width: number, height: number, rand: Rand): void {
  const s = Math.min(width, height);
  const x = rand() * width;
  const y = rand() * height;
  const r = s * (0.01 + rand() * 0.08);
  const rgb = [rand() * 255, rand() * 255, rand() * 255];
  const opacity = 0.5 + rand() * 0.5;
  switch (Math.floor(rand() * 4)) {
    case 0: {
      const w = r * 2;
      const h = r * (0.5 + rand() * 2);
      const t = (rand() * Math.PI) / 2;
      const [c, si] = [Math.cos(t), Math.sin(t)];
      const pts = ([[0, 0], [w, 0], [w, h], [0, h]] as const).map(([u, v]) => [x + u * c - v * si, y + u * si + v * c] as const);
      fill(px, width, height, boxOf(pts), (qx, qy) => inPolygon(pts, qx, qy), rgb, opacity);
      break;
    }
    case 1: {
      const ry = r * (0.3 + rand());
      fill(px, width, height, [x - r, y - ry, x + r, y + ry], (qx, qy) => ((qx - x) / r) ** 2 + ((qy - y) / ry) ** 2 <= 1, rgb, opacity);
      break;
    }
    case 2: {
      const pts = Array.from({ length: 3 + Math.floor(rand() * 3) }, () => [x + (rand() - 0.5) * r * 3, y + (rand() - 0.5) * r * 3] as const);
      fill(px, width, height, boxOf(pts), (qx, qy) => inPolygon(pts, qx, qy), rgb, opacity);
      break;
    }
    default: {
      const x2 = x + (rand() - 0.5) * r * 6;
      const y2 = y + (rand() - 0.5) * r * 6;
      const half = ((1 + rand() * 4) * s) / 480 / 2 + 0.5;
      const dx = x2 - x;
      const dy = y2 - y;
      const len2 = Math.max(1e-9, dx * dx + dy * dy);
      const near = (qx: number, qy: number) => {
        const t = Math.min(1, Math.max(0, ((qx - x) * dx + (qy - y) * dy) / len2));
        return (qx - x - t * dx) ** 2 + (qy - y - t * dy) ** 2 <= half * half;
      };
      fill(px, width, height, [Math.min(x, x2) - half, Math.min(y, y2) - half, Math.max(x, x2) + half, Math.max(y, y2) + half], near, [...rgb], 1);
    }
  }
}

/** The RGB pixels of a drawn texture, the same for the same seed (at any size). */
export function drawTexture(seed: number, options: DrawnTextureOptions = {}): RawImage {
  const width = options.width ?? 320;
  const height = options.height ?? 240;
  const rand = mulberry32(seed * 7919 + 23);
  const coarse = noise(rand, width, height, 6);
  const fine = noise(rand, width, height, 48);
  // soft light of the fine layer over the coarse one: texture at two scales
  for (let i = 0; i < coarse.length; i++) {
    const a = coarse[i]! / 255;
    const b = fine[i]! / 255;
    coarse[i] = 255 * (b < 0.5 ? 2 * a * b + a * a * (1 - 2 * b) : 2 * a * (1 - b) + Math.sqrt(a) * (2 * b - 1));
  }
  const shapes = options.shapes ?? 90;
  for (let k = 0; k < shapes; k++) drawShape(coarse, width, height, rand);
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(coarse[i]!)));
  return { data, width, height };
}

/** drawTexture encoded as JPEG (quality 90), as a camera or a website would store it. */
export async function drawnTextureJpeg(seed: number, options: DrawnTextureOptions = {}): Promise<Buffer> {
  const { data, width, height } = drawTexture(seed, options);
  return sharp(data, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}
