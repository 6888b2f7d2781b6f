/** extractFeatures: decode once, then run the selected extractors on the same pixels. */
import { averageHash } from './ahash.js';
import { averageColorFromLevels } from './avg-color.js';
import { colorHash } from './colorhash.js';
import { contentHash } from './content-hash.js';
import { decodeImage, type DecodedImage } from './decode.js';
import { differenceHash } from './dhash.js';
import { EXTRACTORS, type ExtractorName } from './extractors.js';
import { rgbToGrey, type GreyImage } from './grey.js';
import { histogramFromLevels } from './histogram.js';
import { channelLevels } from './levels.js';
import { positiveInteger, resolveExtractOptions, type ExtractOptions, type ResolvedExtractOptions } from './options.js';
import { DEFAULT_ORB_KEYPOINTS, MAX_ORB_KEYPOINTS, orbFromGrey, type OrbFeatures } from './orb.js';
import { dihedralHashes } from './dihedral.js';
import { bitsToHex } from './hex.js';
import { bitsOfBlock, perceptualHashBlock } from './phash.js';
import { waveletHash } from './whash.js';
import { appearanceThumb, thumbLongSide, type ThumbFeatures } from './thumb.js';

/**
 * Everything extractFeatures can write (all of it with the default selection). A type
 * alias, so a result can be passed to `cache.set` as `Features`.
 */
export type ExtractedFeatures = {
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
  /** Stored dimensions (EXIF orientation not applied); first page of multi-page images (extractor `meta`). */
  width: number;
  height: number;
  /** sharp's format name (`jpeg`, `png`, `webp`, `gif`, `tiff`, `avif`, `heif`...) (extractor `meta`). */
  format: string;
  /** Grid-spread ORB keypoints and descriptors of the analysed frame (docs/FEATURES.md). */
  orb: OrbFeatures;
  /** pHash of the image under the 8 rotations/mirrorings, DIHEDRAL_ORIENTATIONS order; [0] equals `phash`. */
  phash_dihedral: string[];
  /** imagehash-compatible wavelet hash (haar, hash_size 8), 16 lowercase hex digits. */
  whash: string;
  /** imagehash-compatible colour hash (binbits 3), 11 lowercase hex digits (42 bits). */
  colorhash: string;
  /** SHA-256 of the input bytes, 64 lowercase hex digits. */
  content_hash: string;
  /**
   * Colour thumbnail for appearance matching of texture-poor images: 32 px longer side,
   * or 12 px when `orb` holds 60 keypoints or more (docs/FEATURES.md).
   */
  thumb: ThumbFeatures;
};

/** The feature fields an extractor writes. */
type FieldsOf<N extends ExtractorName> = N extends 'meta' ? 'width' | 'height' | 'format' : Extract<N, keyof ExtractedFeatures>;

/** The features a selection of extractors writes. */
export type SelectedFeatures<N extends ExtractorName> = Pick<ExtractedFeatures, FieldsOf<N>>;

/** The decoded image with what extractors derive from it, each computed at most once. */
class Pixels {
  private greyImage: GreyImage | undefined;
  private levelCounts: Uint32Array | undefined;
  private phashDct: Float64Array | undefined;

  constructor(
    readonly decoded: DecodedImage,
    readonly opts: ResolvedExtractOptions,
  ) {}

  /** Pillow-compatible luma at full size. */
  grey(): GreyImage {
    this.greyImage ??= rgbToGrey(this.decoded.rgb, this.decoded.width, this.decoded.height);
    return this.greyImage;
  }

  /** Per-channel level counts (the colour features' one pass). */
  levels(): Uint32Array {
    this.levelCounts ??= channelLevels(this.decoded.rgb);
    return this.levelCounts;
  }

  /** pHash's 8x8 low-frequency DCT block (shared by phash and phash_dihedral). */
  phashBlock(): Float64Array {
    this.phashDct ??= perceptualHashBlock(this.grey());
    return this.phashDct;
  }
}

type Writer = (p: Pixels, out: Partial<ExtractedFeatures>) => void | Promise<void>;

/** How each extractor writes its fields. */
const WRITERS: { readonly [N in ExtractorName]: Writer } = {
  avg_color: (p, out) => {
    out.avg_color = averageColorFromLevels(p.levels());
  },
  ahash: (p, out) => {
    out.ahash = averageHash(p.grey());
  },
  dhash: (p, out) => {
    out.dhash = differenceHash(p.grey());
  },
  phash: (p, out) => {
    out.phash = bitsToHex(bitsOfBlock(p.phashBlock()));
  },
  histogram: (p, out) => {
    out.histogram = histogramFromLevels(p.levels(), p.opts.histogramBins);
  },
  meta: (p, out) => {
    out.width = p.decoded.width;
    out.height = p.decoded.height;
    out.format = p.decoded.format;
  },
  orb: async (p, out) => {
    out.orb = await orbFromGrey(p.grey(), { maxKeypoints: p.opts.orbKeypoints, mirror: p.opts.orbMirror });
  },
  phash_dihedral: (p, out) => {
    out.phash_dihedral = dihedralHashes(p.phashBlock());
  },
  whash: (p, out) => {
    out.whash = waveletHash(p.grey());
  },
  colorhash: (p, out) => {
    out.colorhash = colorHash(p.decoded.rgb, p.grey().data);
  },
  content_hash: (p, out) => {
    out.content_hash = contentHash(p.decoded.bytes);
  },
  thumb: (p, out) => {
    // after `orb` (EXTRACTORS order): its keypoint count sets the size (the record's byte budget)
    const { rgb, width, height } = p.decoded;
    out.thumb = appearanceThumb(rgb, width, height, thumbLongSide(out.orb ? out.orb.keypoints.length / 2 : undefined));
  },
};

/**
 * Extracts features from an image (Buffer or file path): by default every extractor
 * (DEFAULT_EXTRACTORS), or those named in `options.extractors`. The image is decoded
 * once for all of them.
 * Throws FeatureCacheError with code INVALID_IMAGE, UNSUPPORTED_IMAGE_FORMAT,
 * IMAGE_TOO_LARGE or INVALID_OPTIONS (e.g. an unknown extractor name), or
 * COMPUTE_FAILED if OpenCV fails; never crashes on bad input.
 * Decoding runs in libvips' threads; the hashing and ORB (~tens of ms per megapixel)
 * run synchronously on the calling thread — use the extraction pool to spread them.
 */
export function extractFeatures(image: Buffer | string, options?: ExtractOptions & { extractors?: undefined }): Promise<ExtractedFeatures>;
export function extractFeatures<N extends ExtractorName>(
  image: Buffer | string,
  options: ExtractOptions & { extractors: readonly N[] },
): Promise<SelectedFeatures<N>>;
export function extractFeatures(image: Buffer | string, options?: ExtractOptions): Promise<Partial<ExtractedFeatures>>;
export async function extractFeatures(image: Buffer | string, options?: ExtractOptions): Promise<Partial<ExtractedFeatures>> {
  const opts = resolveExtractOptions(options);
  const pixels = new Pixels(await decodeImage(image, opts), opts);
  const out: Partial<ExtractedFeatures> = {};
  for (const { name } of EXTRACTORS) {
    if (opts.extractors.has(name)) await WRITERS[name](pixels, out);
  }
  return out;
}

/** Options of extractOrb: the keypoint budget, the mirror pass and the decoding limits. */
export interface ExtractOrbOptions extends Pick<ExtractOptions, 'maxPixels' | 'maxBytes' | 'allowedFormats'> {
  /** Keypoints kept, 1..5000. @default 430 */
  maxKeypoints?: number;
  /** Analyse the horizontally mirrored image (the verification's mirror pass). @default false */
  mirror?: boolean;
}

/**
 * ORB features of an image alone (the `orb` feature of extractFeatures, or of its
 * mirror image with `mirror: true`). Errors as extractFeatures.
 */
export async function extractOrb(image: Buffer | string, options: ExtractOrbOptions = {}): Promise<OrbFeatures> {
  const { maxKeypoints, mirror, ...limits } = options;
  const budget = positiveInteger('maxKeypoints', maxKeypoints, DEFAULT_ORB_KEYPOINTS, MAX_ORB_KEYPOINTS);
  const opts = resolveExtractOptions({ ...limits, extractors: ['orb'] });
  const { rgb, width, height } = await decodeImage(image, opts);
  return orbFromGrey(rgbToGrey(rgb, width, height), { maxKeypoints: budget, mirror: mirror === true });
}
