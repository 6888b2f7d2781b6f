/**
 * Generated textured images and the provenance edits made of them with sharp
 * (crop 70% / 50%, rotate 10° / 90°, mirror, scale 0.5, JPEG q50, a patch of
 * another image pasted in, halves of two images spliced), with their features.
 * The edits are bench/provenance/edits.ts's (one generator for tests and benches).
 * Shared by the verification tests and bench/verify-matchers.ts. No photographs.
 */
import sharp from 'sharp';
import { applyEdit, EDITS, type EditName } from '../../bench/provenance/edits.js';
import { extractFeatures, extractOrb } from '../../src/features/index.js';
import type { OrbFeatures } from '../../src/features/orb.js';
import { prng } from '../features/fixtures.js';

export const SIZE = { width: 640, height: 480 };

/** A busy scene of random shapes and text: corners everywhere, different per seed. */
export async function texturedPng(seed: number, width = SIZE.width, height = SIZE.height): Promise<Buffer> {
  const rnd = prng(seed);
  const colour = () => `rgb(${Math.floor(rnd() * 256)},${Math.floor(rnd() * 256)},${Math.floor(rnd() * 256)})`;
  const shapes: string[] = [];
  for (let i = 0; i < 120; i++) {
    const x = rnd() * width;
    const y = rnd() * height;
    const s = 8 + rnd() * 60;
    const kind = i % 4;
    if (kind === 0) shapes.push(`<rect x="${x}" y="${y}" width="${s}" height="${s * (0.4 + rnd())}" fill="${colour()}" transform="rotate(${rnd() * 90} ${x} ${y})"/>`);
    else if (kind === 1) shapes.push(`<circle cx="${x}" cy="${y}" r="${s / 2}" fill="${colour()}" stroke="${colour()}" stroke-width="3"/>`);
    else if (kind === 2) shapes.push(`<polygon points="${x},${y} ${x + s},${y + s * rnd()} ${x + s * rnd()},${y + s}" fill="${colour()}"/>`);
    else shapes.push(`<text x="${x}" y="${y}" font-size="${10 + s / 3}" font-family="sans-serif" fill="${colour()}">${Math.floor(rnd() * 1e6).toString(36)}</text>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="${width}" height="${height}" fill="${colour()}"/>${shapes.join('')}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** A smooth gradient: (almost) no keypoints. */
export async function lowTexturePng(width = SIZE.width, height = SIZE.height): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g"><stop offset="0" stop-color="#203040"/><stop offset="1" stop-color="#a0b0c0"/></linearGradient></defs><rect width="${width}" height="${height}" fill="url(#g)"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export { EDITS, type EditName } from '../../bench/provenance/edits.js';

/** The edit of `img` (PNG out; JPEG for jpeg50); `other` gives the pasted patch and the spliced half. */
export async function edit(name: EditName, img: Buffer, other: Buffer): Promise<Buffer> {
  return applyEdit(name, img, other, { format: 'png' });
}

/** What verification reads from an image (as the cache stores it with these extractors). */
export async function verifyFeaturesOf(image: Buffer) {
  return extractFeatures(image, { extractors: ['orb', 'phash', 'phash_dihedral', 'content_hash', 'meta'] });
}

export type VerifyFixture = Awaited<ReturnType<typeof verifyFeaturesOf>>;

export interface EditPair {
  name: string;
  edit: EditName | 'unrelated';
  imageA: Buffer;
  imageB: Buffer;
  a: VerifyFixture;
  b: VerifyFixture;
  /** ORB of B's mirror image (the mirror pass with the image at hand). */
  bMirrored: OrbFeatures;
}

/**
 * (source, edit) for every edit of `sources` base images (the patch and the
 * other half come from the next base image), and unrelated pairs of base images.
 */
export async function editPairs(sources = 3): Promise<EditPair[]> {
  const bases = await Promise.all(Array.from({ length: sources + 1 }, (_, i) => texturedPng(100 + i)));
  const features = await Promise.all(bases.map(verifyFeaturesOf));
  const pairs: EditPair[] = [];
  for (let s = 0; s < sources; s++) {
    for (const e of EDITS) {
      const imageB = await edit(e, bases[s]!, bases[s + 1]!);
      pairs.push({ name: `${s}-${e}`, edit: e, imageA: bases[s]!, imageB, a: features[s]!, b: await verifyFeaturesOf(imageB), bMirrored: await extractOrb(imageB, { mirror: true }) });
    }
  }
  for (let i = 0; i <= sources; i++) {
    for (let j = i + 1; j <= sources; j++) {
      pairs.push({ name: `${i}-${j}-unrelated`, edit: 'unrelated', imageA: bases[i]!, imageB: bases[j]!, a: features[i]!, b: features[j]!, bMirrored: await extractOrb(bases[j]!, { mirror: true }) });
    }
  }
  return pairs;
}
