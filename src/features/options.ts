/** Options of feature extraction, their defaults and their validation (merged once per call). */
import { FeatureCacheError, ErrorCodes } from '../errors.js';
import { DEFAULT_EXTRACTORS, resolveExtractorSelection, type ExtractorName } from './extractors.js';
import { DEFAULT_ORB_KEYPOINTS, MAX_ORB_KEYPOINTS } from './orb.js';

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
  /**
   * The extractors to run, by name (EXTRACTORS); the features written are theirs only.
   * An unknown name is INVALID_OPTIONS. @default DEFAULT_EXTRACTORS (all)
   */
  extractors?: readonly ExtractorName[];
  /** ORB keypoints kept per image, 1..5000. @default 430 */
  orbKeypoints?: number;
  /**
   * `orb` of the horizontally mirrored image (verification's mirror pass, as
   * extractOrb(image, { mirror: true })), e.g. in the extraction pool. Named in the
   * feature version (`orb.N-m`): such features never pass for the image's own. @default false
   */
  orbMirror?: boolean;
}

/** ExtractOptions with every default applied. */
export interface ResolvedExtractOptions {
  maxPixels: number;
  maxBytes: number;
  allowedFormats: ReadonlySet<string>;
  histogramBins: number;
  extractors: ReadonlySet<ExtractorName>;
  orbKeypoints: number;
  orbMirror: boolean;
}

export const DEFAULT_MAX_PIXELS = 40_000_000;
export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;
export const DEFAULT_HISTOGRAM_BINS = 8;

/** Common spellings mapped to sharp's format names. */
const FORMAT_ALIASES: Readonly<Record<string, string>> = { jpg: 'jpeg', tif: 'tiff', heic: 'heif' };

const DEFAULT_LIMITS = Object.freeze({
  maxPixels: DEFAULT_MAX_PIXELS,
  maxBytes: DEFAULT_MAX_BYTES,
  allowedFormats: new Set(DEFAULT_ALLOWED_FORMATS),
  histogramBins: DEFAULT_HISTOGRAM_BINS,
});

// built on first use: extractors.ts and this module import each other
let defaults: ResolvedExtractOptions | undefined;

function resolvedDefaults(): ResolvedExtractOptions {
  defaults ??= Object.freeze({
    ...DEFAULT_LIMITS,
    extractors: new Set(DEFAULT_EXTRACTORS),
    orbKeypoints: DEFAULT_ORB_KEYPOINTS,
    orbMirror: false,
  });
  return defaults;
}

/** `value` if an integer in 1..max, `fallback` if undefined; else INVALID_OPTIONS naming `name`. */
export function positiveInteger(name: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
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
  const fallback = resolvedDefaults();
  if (options === undefined) return fallback;
  let allowedFormats = fallback.allowedFormats;
  if (options.allowedFormats !== undefined) {
    if (!Array.isArray(options.allowedFormats) || options.allowedFormats.some((f) => typeof f !== 'string')) {
      throw new FeatureCacheError(ErrorCodes.INVALID_OPTIONS, 'allowedFormats must be an array of format names', {
        details: { option: 'allowedFormats' },
      });
    }
    allowedFormats = new Set(options.allowedFormats.map((f: string) => FORMAT_ALIASES[f.toLowerCase()] ?? f.toLowerCase()));
  }
  return {
    maxPixels: positiveInteger('maxPixels', options.maxPixels, fallback.maxPixels),
    maxBytes: positiveInteger('maxBytes', options.maxBytes, fallback.maxBytes),
    allowedFormats,
    histogramBins: positiveInteger('histogramBins', options.histogramBins, fallback.histogramBins, 256),
    extractors: options.extractors === undefined ? fallback.extractors : resolveExtractorSelection(options.extractors),
    orbKeypoints: positiveInteger('orbKeypoints', options.orbKeypoints, fallback.orbKeypoints, MAX_ORB_KEYPOINTS),
    orbMirror: options.orbMirror === true,
  };
}
