/**
 * Reading the `thumb` feature (src/features/thumb.ts) out of a record, checked:
 * a malformed value is an INVALID_FEATURES error, never a crash or an
 * out-of-bounds read.
 */
import { featureFields, invalidFeature as invalid } from './feature-input.js';
import { chromaSize, type ThumbFeatures } from '../features/thumb.js';

export type { ThumbFeatures };

/** Largest thumbnail side accepted (a record may come from any writer). */
const MAX_SIDE = 256;

/** The `thumb` value of a record checked for shape, or null when absent. */
export function readThumb(value: unknown, what = 'thumb'): ThumbFeatures | null {
  const fields = featureFields(value, what);
  if (fields === null) return null;
  const { width, height, luma, chroma } = fields;
  if (!Number.isInteger(width) || !Number.isInteger(height) || (width as number) < 1 || (height as number) < 1 || (width as number) > MAX_SIDE || (height as number) > MAX_SIDE) {
    throw invalid(what, `width and height must be integers in 1..${MAX_SIDE}`);
  }
  const w = width as number;
  const h = height as number;
  if (!(luma instanceof Uint8Array) || luma.length !== w * h) throw invalid(what, 'luma must be a Uint8Array of width x height bytes');
  const c = chromaSize(w, h);
  if (!(chroma instanceof Uint8Array) || chroma.length !== 2 * c.width * c.height) {
    throw invalid(what, 'chroma must be a Uint8Array of 2 x ceil(width/2) x ceil(height/2) bytes');
  }
  return { width: w, height: h, luma, chroma };
}
