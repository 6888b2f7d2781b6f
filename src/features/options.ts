/** Options of feature extraction, their defaults and their validation (merged once per call). */
import { FeatureCacheError, ErrorCodes } from '../errors.js';

/** Formats libvips may decode for us unless the caller narrows the list. */
export const DEFAULT_ALLOWED_FORMATS: readonly string[] = Object.freeze([
  'jpeg',
  'png',
  'webp',
  'gif',
  'tiff',
  'avif',
  'heif',
]);

export interface ExtractOptions {
  /** Largest accepted width x height (first page); larger images are refused before decoding. @default 40_000_000 */
  maxPixels?: number;
  /** Largest accepted encoded size in bytes. @default 52_428_800 (50 MiB) */
  maxBytes?: number;
  /** Formats accepted, as sharp names them (`avif` is told apart from `heif`; `jpg`, `tif`, `heic` are aliases). @default ['jpeg','png','webp','gif','tiff','avif','heif'] */
  allowedFormats?: readonly string[];
  /** Histogram bins per channel, 1..256. @default 8 */
  histogramBins?: number;
}

/** ExtractOptions with every default applied. */
export interface ResolvedExtractOptions {
  maxPixels: number;
  maxBytes: number;
  allowedFormats: ReadonlySet<string>;
  histogramBins: number;
}

export const DEFAULT_MAX_PIXELS = 40_000_000;
export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;
export const DEFAULT_HISTOGRAM_BINS = 8;

/** Common spellings mapped to sharp's format names. */
const FORMAT_ALIASES: Readonly<Record<string, string>> = { jpg: 'jpeg', tif: 'tiff', heic: 'heif' };

const DEFAULTS: ResolvedExtractOptions = Object.freeze({
  maxPixels: DEFAULT_MAX_PIXELS,
  maxBytes: DEFAULT_MAX_BYTES,
  allowedFormats: new Set(DEFAULT_ALLOWED_FORMATS),
  histogramBins: DEFAULT_HISTOGRAM_BINS,
});

function positiveInteger(name: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new FeatureCacheError(ErrorCodes.INVALID_OPTIONS, `${name} must be an integer in 1..${max}, got ${String(value)}`, {
      details: { option: name },
    });
  }
  return value;
}

/**
 * Applies defaults and validates; throws FeatureCacheError INVALID_OPTIONS on a bad value.
 * Without options the shared frozen defaults are returned (no allocation on the hot path).
 */
export function resolveExtractOptions(options: ExtractOptions | undefined): ResolvedExtractOptions {
  if (options === undefined) return DEFAULTS;
  let allowedFormats = DEFAULTS.allowedFormats;
  if (options.allowedFormats !== undefined) {
    if (!Array.isArray(options.allowedFormats) || options.allowedFormats.some((f) => typeof f !== 'string')) {
      throw new FeatureCacheError(ErrorCodes.INVALID_OPTIONS, 'allowedFormats must be an array of format names', {
        details: { option: 'allowedFormats' },
      });
    }
    allowedFormats = new Set(options.allowedFormats.map((f) => FORMAT_ALIASES[f.toLowerCase()] ?? f.toLowerCase()));
  }
  return {
    maxPixels: positiveInteger('maxPixels', options.maxPixels, DEFAULTS.maxPixels),
    maxBytes: positiveInteger('maxBytes', options.maxBytes, DEFAULTS.maxBytes),
    allowedFormats,
    histogramBins: positiveInteger('histogramBins', options.histogramBins, DEFAULTS.histogramBins, 256),
  };
}
