/**
 * The provenance edits, made with sharp: crops keeping 70% and 50% of the area,
 * rotations by 10° and 90°, a mirror, an overlay (a patch of another image pasted
 * in), a splice (halves of two images), a 0.5 downscale and a JPEG q50 re-encode.
 * Shared by bench/provenance and the provenance tests. Seeded: the same inputs
 * give the same edits.
 */
import sharp, { type Region, type Sharp } from 'sharp';
import { mulberry32 } from '../lib/prng.js';

export const EDITS = ['crop70', 'crop50', 'rotate10', 'rotate90', 'mirror', 'overlay', 'splice', 'scale50', 'jpeg50'] as const;
export type EditName = (typeof EDITS)[number];

/** Edits that take a second image (the donor of the patch or of the other half). */
export const NEEDS_DONOR: ReadonlySet<EditName> = new Set(['overlay', 'splice']);

export interface EditOptions {
  /** Output format of every edit but jpeg50. @default 'jpeg' (quality 90) */
  format?: 'jpeg' | 'png';
  /** Seed of the crop and overlay positions. @default 1 */
  seed?: number;
}

async function encode(img: Sharp, format: 'jpeg' | 'png'): Promise<Buffer> {
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 90 }).toBuffer();
}

async function sizeOf(image: Buffer): Promise<{ width: number; height: number }> {
  const m = await sharp(image).metadata();
  return { width: m.width ?? 0, height: m.height ?? 0 };
}

/** A window keeping `area` of the image, at a seeded position. */
function window(width: number, height: number, area: number, rand: () => number): Region {
  const f = Math.sqrt(area);
  const w = Math.max(1, Math.round(width * f));
  const h = Math.max(1, Math.round(height * f));
  return { left: Math.floor(rand() * (width - w + 1)), top: Math.floor(rand() * (height - h + 1)), width: w, height: h };
}

/**
 * Applies `edit` to `image` (any format sharp reads). `donor` is required by
 * overlay (a patch of 40% x 40% of the donor pasted over the image) and splice
 * (the left half of `image`, the right half of the donor resized to the same size).
 */
export async function applyEdit(edit: EditName, image: Buffer, donor?: Buffer, options: EditOptions = {}): Promise<Buffer> {
  const format = options.format ?? 'jpeg';
  const rand = mulberry32(options.seed ?? 1);
  const { width, height } = await sizeOf(image);
  const base = () => sharp(image).rotate(); // honours EXIF orientation
  if (NEEDS_DONOR.has(edit) && donor === undefined) throw new Error(`edit ${edit} needs a donor image`);
  switch (edit) {
    case 'crop70':
    case 'crop50':
      return encode(base().extract(window(width, height, edit === 'crop70' ? 0.7 : 0.5, rand)), format);
    case 'rotate10':
      return encode(base().rotate(10, { background: { r: 0, g: 0, b: 0 } }), format);
    case 'rotate90':
      return encode(base().rotate(90), format);
    case 'mirror':
      return encode(base().flop(), format);
    case 'scale50':
      return encode(base().resize(Math.max(1, Math.round(width / 2)), Math.max(1, Math.round(height / 2))), format);
    case 'jpeg50':
      return base().jpeg({ quality: 50 }).toBuffer();
    case 'overlay': {
      const pw = Math.round(width * 0.4);
      const ph = Math.round(height * 0.4);
      const d = await sizeOf(donor!);
      const from = window(d.width, d.height, 0.4 * 0.4, rand);
      const patch = await sharp(donor).rotate().extract(from).resize(pw, ph, { fit: 'fill' }).png().toBuffer();
      const left = Math.floor(rand() * (width - pw + 1));
      const top = Math.floor(rand() * (height - ph + 1));
      return encode(base().composite([{ input: patch, left, top }]), format);
    }
    case 'splice': {
      const half = Math.floor(width / 2);
      const right = await sharp(donor)
        .rotate()
        .resize(width, height, { fit: 'cover' })
        .extract({ left: half, top: 0, width: width - half, height })
        .png()
        .toBuffer();
      return encode(base().composite([{ input: right, left: half, top: 0 }]), format);
    }
  }
}
