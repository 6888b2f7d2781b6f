/** extractFeatures: decode once, then run every extractor on the same pixels. */
import { averageHash } from './ahash.js';
import { averageColorFromLevels } from './avg-color.js';
import { decodeImage } from './decode.js';
import { differenceHash } from './dhash.js';
import { rgbToGrey } from './grey.js';
import { histogramFromLevels } from './histogram.js';
import { channelLevels } from './levels.js';
import { resolveExtractOptions, type ExtractOptions } from './options.js';
import { perceptualHash } from './phash.js';

export interface ExtractedFeatures {
  /** Mean R, G, B (0..255, 3 decimals) of the decoded sRGB pixels, alpha ignored. */
  avg_color: [number, number, number];
  /** imagehash-compatible average hash, 16 lowercase hex digits. */
  ahash: string;
  /** imagehash-compatible difference hash (horizontal), 16 lowercase hex digits. */
  dhash: string;
  /** imagehash-compatible perceptual hash (DCT), 16 lowercase hex digits. */
  phash: string;
  /** `histogramBins * 3` values: R bins, then G, then B; each channel sums to 1. */
  histogram: number[];
  /** Stored dimensions (EXIF orientation not applied); first page of multi-page images. */
  width: number;
  height: number;
  /** sharp's format name (`jpeg`, `png`, `webp`, `gif`, `tiff`, `avif`, `heif`...). */
  format: string;
}

/**
 * Extracts colour, hash and histogram features from an image (Buffer or file path).
 * Throws FeatureCacheError with code INVALID_IMAGE, UNSUPPORTED_IMAGE_FORMAT,
 * IMAGE_TOO_LARGE or INVALID_OPTIONS; never crashes on bad input.
 * Decoding runs in libvips' threads; the hashing (~tens of ms for a few megapixels)
 * runs synchronously on the calling thread.
 */
export async function extractFeatures(image: Buffer | string, options?: ExtractOptions): Promise<ExtractedFeatures> {
  const opts = resolveExtractOptions(options);
  const { rgb, width, height, format } = await decodeImage(image, opts);
  const grey = rgbToGrey(rgb, width, height);
  const levels = channelLevels(rgb);
  return {
    avg_color: averageColorFromLevels(levels),
    ahash: averageHash(grey),
    dhash: differenceHash(grey),
    phash: perceptualHash(grey),
    histogram: histogramFromLevels(levels, opts.histogramBins),
    width,
    height,
    format,
  };
}
