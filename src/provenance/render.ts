/**
 * renderMatches: a picture of a verification, because people judge provenance
 * by looking. Both images side by side at a common height, a line for each
 * inlier (up to `maxLines`), each image's matched region outlined, and the
 * verdict with its reasons in a band underneath. sharp composites an SVG
 * overlay onto the two images; the result is a PNG.
 */
import sharp from 'sharp';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import { decodeImage, type DecodedImage } from '../features/decode.js';
import { extractFeatures, extractOrb } from '../features/extract.js';
import { resolveExtractOptions } from '../features/options.js';
import type { OrbFeatures } from '../features/orb.js';
import type { Polygon } from './geometry.js';
import type { VerifyInput, VerifyOptions } from './types.js';
import { verifyDetailed } from './verify.js';

export interface RenderOptions extends Omit<VerifyOptions, 'mirroredB'> {
  /** Height of both images in the picture, px (10..4096). @default 480 */
  height?: number;
  /** Most inlier lines drawn (evenly chosen). @default 150 */
  maxLines?: number;
  /**
   * Features already extracted (what verifyFeatures reads, and `mirroredB`: the ORB of B's
   * mirror image, `extractOrb(imageB, { mirror: true })`); extracted here when absent.
   */
  features?: { a?: VerifyInput; b?: VerifyInput; mirroredB?: OrbFeatures };
}

const GAP = 16;
const BAND = 56;
const COLOURS = { line: '#39ff14', halo: '#000000', regionA: '#00e5ff', regionB: '#ff4fd8', text: '#ffffff', background: '#202124' };
/** What the picture needs from each image (the features verification reads). */
const EXTRACTORS = ['orb', 'phash', 'phash_dihedral', 'content_hash', 'meta', 'thumb'] as const;

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function points(poly: Polygon, sx: number, sy: number, dx: number): string {
  const out: string[] = [];
  for (let i = 0; i < poly.length; i += 2) out.push(`${(poly[i]! * sx + dx).toFixed(1)},${(poly[i + 1]! * sy).toFixed(1)}`);
  return out.join(' ');
}

function positiveInt(name: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `renderMatches option ${name} must be an integer 0..${max}`, { details: { option: name } });
  }
  return value;
}

/** The image scaled to `height`, as PNG pixels sharp can composite. */
async function scaled(img: DecodedImage, height: number): Promise<{ png: Buffer; width: number }> {
  const width = Math.max(1, Math.round((img.width * height) / img.height));
  const png = await sharp(img.rgb, { raw: { width: img.width, height: img.height, channels: 3 } }).resize(width, height, { fit: 'fill' }).png().toBuffer();
  return { png, width };
}

/**
 * A PNG showing how `imageB` relates to `imageA` (Buffers or file paths).
 * Errors as extractFeatures for undecodable images, INVALID_ARGUMENT for bad options.
 */
export async function renderMatches(imageA: Buffer | string, imageB: Buffer | string, opts: RenderOptions = {}): Promise<Buffer> {
  const { height: h, maxLines: ml, features, ...verifyOpts } = opts;
  const height = positiveInt('height', h, 480, 4096);
  if (height < 10) throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, 'renderMatches option height must be at least 10', { details: { option: 'height' } });
  const maxLines = positiveInt('maxLines', ml, 150, 10_000);
  const limits = resolveExtractOptions({});
  const [decA, decB, fa, fb, mirroredB] = await Promise.all([
    decodeImage(imageA, limits),
    decodeImage(imageB, limits),
    features?.a ?? extractFeatures(imageA, { extractors: EXTRACTORS }),
    features?.b ?? extractFeatures(imageB, { extractors: EXTRACTORS }),
    features?.mirroredB ?? extractOrb(imageB, { mirror: true }),
  ]);
  const { result, geometry } = verifyDetailed(fa, fb, { ...verifyOpts, mirroredB });
  const [a, b] = await Promise.all([scaled(decA, height), scaled(decB, height)]);
  const width = a.width + GAP + b.width;
  const svg: string[] = [];
  if (geometry) {
    // analysed-frame px -> picture px, per image
    const ax = a.width / geometry.frameA.width;
    const ay = height / geometry.frameA.height;
    const bx = b.width / geometry.frameB.width;
    const by = height / geometry.frameB.height;
    const dx = a.width + GAP;
    svg.push(`<polygon points="${points(geometry.regionA, ax, ay, 0)}" fill="${COLOURS.regionA}" fill-opacity="0.12" stroke="${COLOURS.regionA}" stroke-width="3"/>`);
    svg.push(`<polygon points="${points(geometry.regionB, bx, by, dx)}" fill="${COLOURS.regionB}" fill-opacity="0.12" stroke="${COLOURS.regionB}" stroke-width="3"/>`);
    const n = geometry.inliersA.length / 2;
    const step = Math.max(1, n / Math.max(1, maxLines));
    for (let k = 0; maxLines > 0 && k < n; k += step) {
      const i = Math.floor(k);
      const x1 = geometry.inliersA[2 * i]! * ax;
      const y1 = geometry.inliersA[2 * i + 1]! * ay;
      const x2 = geometry.inliersB[2 * i]! * bx + dx;
      const y2 = geometry.inliersB[2 * i + 1]! * by;
      const seg = `x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}"`;
      // a dark halo under a bright line: readable on light and dark pictures alike
      svg.push(`<line ${seg} stroke="${COLOURS.halo}" stroke-opacity="0.6" stroke-width="3"/><line ${seg} stroke="${COLOURS.line}" stroke-width="1.2"/>`);
      for (const [cx, cy] of [[x1, y1], [x2, y2]] as const) {
        svg.push(`<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="3" fill="${COLOURS.line}" stroke="${COLOURS.halo}" stroke-width="1"/>`);
      }
    }
  }
  const title = `${result.verdict.replace('_', ' ')} — ${result.inliers} inliers of ${result.matches} matches`;
  svg.push(`<text x="10" y="${height + 22}" font-family="sans-serif" font-size="16" font-weight="bold" fill="${COLOURS.text}">A | B: ${escapeXml(title)}</text>`);
  svg.push(`<text x="10" y="${height + 44}" font-family="sans-serif" font-size="14" fill="${COLOURS.text}">${escapeXml(result.reasons.join('; '))}</text>`);
  const overlay = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + BAND}">${svg.join('')}</svg>`);
  return sharp({ create: { width, height: height + BAND, channels: 3, background: COLOURS.background } })
    .composite([
      { input: a.png, left: 0, top: 0 },
      { input: b.png, left: a.width + GAP, top: 0 },
      { input: overlay, left: 0, top: 0 },
    ])
    .png()
    .toBuffer();
}
