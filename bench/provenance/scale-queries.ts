/**
 * The queries of the scale bench and their true sources:
 * - single edits: every edit of edits.ts applied to every photo (the overlay's
 *   and the splice's donor is the next photo). True sources judged at 10 and 50:
 *   the edited photo (the host), plus the donor photo for a splice (its other
 *   half). The overlay's pasted patch (40% x 40% of the donor) is reported on its
 *   own (`overlay_patch`).
 * - small donors: a quarter-size patch (half the width and half the height) of a
 *   photo pasted, at its own scale, into a host: a drawn texture of 1024 x 768
 *   indexed beside the photos (`host:<i>`, donorHosts()). True source judged at
 *   50: the photo; the host is reported on its own. (A host drawn larger than an
 *   indexed 320 x 240 distractor is not found by descriptors at 3.2x the scale,
 *   and without a verified host there is no second tier.)
 */
import sharp from 'sharp';
import { mulberry32 } from '../lib/prng.js';
import { drawnTextureJpeg } from './drawn-textures.js';
import { applyEdit, EDITS } from './edits.js';
import type { Photo } from './photos.js';

export const DONOR_HOST_SIZE = Object.freeze({ width: 1024, height: 768 });

export interface ScaleQuery {
  id: string;
  /** Edit name, or 'donor' for a pasted quarter-size patch. */
  kind: string;
  image: Buffer;
  /** Photo index of the edited / pasted photo. */
  photo: number;
  /** Image IDs that must be in the top 10 (single edits) or top 50 (donors). */
  sources: string[];
  /** Photo index of each source. */
  sourcePhotos: number[];
  /** Other content the query holds, reported on its own (the overlay's patch, a donor query's host). */
  extra?: { label: string; imageId: string };
}

export const photoId = (p: Photo) => `photo:${p.name}`;
export const distractorId = (k: number) => `distractor:${k}`;

/** The hosts of the donor queries, indexed with the photos: photo i's patch goes into host i. */
export const DONOR_HOST_SEED_BASE = 2_000_000;
export const donorHostId = (i: number) => `host:${i}`;
export const donorHostImage = (i: number) => drawnTextureJpeg(DONOR_HOST_SEED_BASE + i, DONOR_HOST_SIZE);

/** A quarter-size patch of `photo` pasted into `host` (1024 x 768) at a seeded position. */
async function donorComposite(photo: Buffer, host: Buffer, seed: number): Promise<Buffer> {
  const rand = mulberry32(seed);
  const m = await sharp(photo).metadata();
  const w = Math.round((m.width ?? 0) / 2);
  const h = Math.round((m.height ?? 0) / 2);
  const patch = await sharp(photo)
    .extract({ left: Math.floor(rand() * ((m.width ?? 0) - w + 1)), top: Math.floor(rand() * ((m.height ?? 0) - h + 1)), width: w, height: h })
    .resize(Math.min(w, DONOR_HOST_SIZE.width - 64), Math.min(h, DONOR_HOST_SIZE.height - 64), { fit: 'inside' })
    .png()
    .toBuffer();
  const pm = await sharp(patch).metadata();
  const left = Math.floor(rand() * (DONOR_HOST_SIZE.width - (pm.width ?? 0) + 1));
  const top = Math.floor(rand() * (DONOR_HOST_SIZE.height - (pm.height ?? 0) + 1));
  return sharp(host).composite([{ input: patch, left, top }]).jpeg({ quality: 90 }).toBuffer();
}

/** Every query (the donor hosts must be indexed too). */
export async function buildQueries(photos: Photo[]): Promise<ScaleQuery[]> {
  const out: ScaleQuery[] = [];
  for (let i = 0; i < photos.length; i++) {
    const p = photos[i]!;
    const j = (i + 1) % photos.length;
    const d = photos[j]!;
    for (const e of EDITS) {
      const image = await applyEdit(e, p.data, d.data, { seed: i + 1 });
      const q: ScaleQuery = { id: `edit:${p.name}:${e}`, kind: e, image, photo: i, sources: [photoId(p)], sourcePhotos: [i] };
      if (e === 'splice') {
        q.sources.push(photoId(d));
        q.sourcePhotos.push(j);
      }
      if (e === 'overlay') q.extra = { label: 'overlay_patch', imageId: photoId(d) };
      out.push(q);
    }
    out.push({
      id: `donor:${p.name}`,
      kind: 'donor',
      image: await donorComposite(p.data, await donorHostImage(i), 100 + i),
      photo: i,
      sources: [photoId(p)],
      sourcePhotos: [i],
      extra: { label: 'donor_host', imageId: donorHostId(i) },
    });
  }
  return out;
}
