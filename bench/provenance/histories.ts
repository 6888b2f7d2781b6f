/**
 * Synthetic edit histories of real photographs, with their true provenance:
 * starting from a root photo, each step applies one edit to an image already in
 * the history (seeded choice): a crop (35-80% of the area), a JPEG
 * re-compression (q 45-75), a free rotation (6-15°, corners padded black), a
 * downscale (40-70%), a mirror, an overlay (a patch of a donor photo, 25-40% of
 * the side, pasted at a random place) or a splice (the left part of the image
 * and the right part of a donor photo, cut at 40-60%). Donor photos join the
 * history as nodes; the true edges run from each parent (and donor) to the
 * derived image. Used by bench/provenance/graph.ts.
 */
import sharp, { type Sharp } from 'sharp';
import { mulberry32 } from '../lib/prng.js';

export const HISTORY_EDITS = ['crop', 'recompress', 'rotate', 'downscale', 'mirror', 'overlay', 'splice'] as const;
export type HistoryEdit = (typeof HISTORY_EDITS)[number];

export interface HistoryImage {
  id: string;
  data: Buffer;
  /** How it was made ("root", "donor" or the edit). */
  made: 'root' | 'donor' | HistoryEdit;
}

export interface History {
  images: HistoryImage[];
  /** True edges: parent (or donor) -> derived image. */
  edges: Array<{ from: string; to: string }>;
}

export interface HistoryOptions {
  /** Edits applied (derived images). @default 8 */
  steps?: number;
  seed?: number;
  /** ID prefix. */
  prefix?: string;
}

async function size(img: Buffer): Promise<{ width: number; height: number }> {
  const m = await sharp(img).metadata();
  return { width: m.width ?? 1, height: m.height ?? 1 };
}

const jpeg = (s: Sharp, quality = 92): Promise<Buffer> => s.jpeg({ quality }).toBuffer();

/** The edit applied to `img` (`donor` for overlay and splice). */
async function apply(edit: HistoryEdit, img: Buffer, donor: Buffer | null, rand: () => number): Promise<Buffer> {
  const { width, height } = await size(img);
  const between = (lo: number, hi: number) => lo + rand() * (hi - lo);
  switch (edit) {
    case 'crop': {
      const f = Math.sqrt(between(0.35, 0.8));
      const w = Math.round(width * f);
      const h = Math.round(height * f);
      return jpeg(sharp(img).extract({ left: Math.floor(rand() * (width - w + 1)), top: Math.floor(rand() * (height - h + 1)), width: w, height: h }));
    }
    case 'recompress':
      return jpeg(sharp(img), Math.round(between(45, 75)));
    case 'rotate':
      return jpeg(sharp(img).rotate((rand() < 0.5 ? -1 : 1) * between(6, 15), { background: { r: 0, g: 0, b: 0 } }));
    case 'downscale': {
      const f = between(0.4, 0.7);
      return jpeg(sharp(img).resize(Math.round(width * f), Math.round(height * f)));
    }
    case 'mirror':
      return jpeg(sharp(img).flop());
    case 'overlay': {
      const side = between(0.25, 0.4);
      const pw = Math.round(width * side);
      const ph = Math.round(height * side);
      const d = await size(donor!);
      const dw = Math.round(d.width * side);
      const dh = Math.round(d.height * side);
      const patch = await sharp(donor!)
        .extract({ left: Math.floor(rand() * (d.width - dw + 1)), top: Math.floor(rand() * (d.height - dh + 1)), width: dw, height: dh })
        .resize(pw, ph, { fit: 'fill' })
        .png()
        .toBuffer();
      return jpeg(sharp(img).composite([{ input: patch, left: Math.floor(rand() * (width - pw + 1)), top: Math.floor(rand() * (height - ph + 1)) }]));
    }
    case 'splice': {
      const cut = Math.round(width * between(0.4, 0.6));
      const right = await sharp(donor!).resize(width, height, { fit: 'cover' }).extract({ left: cut, top: 0, width: width - cut, height }).png().toBuffer();
      return jpeg(sharp(img).composite([{ input: right, left: cut, top: 0 }]));
    }
  }
}

/**
 * A history grown from `root`; `donors` are taken in turn by overlays and
 * splices (each donor photo is used once; without donors left, those edits are
 * not drawn).
 */
export async function buildHistory(root: Buffer, donors: Buffer[], options: HistoryOptions = {}): Promise<History> {
  const rand = mulberry32(options.seed ?? 1);
  const prefix = options.prefix ?? 'h';
  const images: HistoryImage[] = [{ id: `${prefix}:root`, data: root, made: 'root' }];
  const edges: History['edges'] = [];
  const left = [...donors];
  for (let step = 1; step <= (options.steps ?? 8); step++) {
    const allowed = HISTORY_EDITS.filter((e) => left.length > 0 || (e !== 'overlay' && e !== 'splice'));
    const edit = allowed[Math.floor(rand() * allowed.length)]!;
    // parents: the root and the derived images (a donor is not edited further)
    const parents = images.filter((i) => i.made !== 'donor');
    const parent = parents[Math.floor(rand() * parents.length)]!;
    let donor: HistoryImage | null = null;
    if (edit === 'overlay' || edit === 'splice') {
      donor = { id: `${prefix}:donor${donors.length - left.length + 1}`, data: left.shift()!, made: 'donor' };
      images.push(donor);
    }
    const id = `${prefix}:${step}-${edit}`;
    images.push({ id, data: await apply(edit, parent.data, donor?.data ?? null, rand), made: edit });
    edges.push({ from: parent.id, to: id });
    if (donor) edges.push({ from: donor.id, to: id });
  }
  return { images, edges };
}
