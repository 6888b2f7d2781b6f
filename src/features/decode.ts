/**
 * Untrusted image input -> packed 8-bit sRGB pixels, with libvips (sharp) and limits:
 * size in bytes, format allow-list, pixel count (checked from the header before any
 * pixel is decoded, and enforced again by sharp's `limitInputPixels`), and refusal of
 * truncated or corrupt data (`failOn: 'error'`). Every failure is a FeatureCacheError.
 *
 * Semantics chosen to match Pillow/imagehash:
 * - EXIF orientation is NOT applied (Pillow's `Image.open` does not rotate either);
 *   width/height are the stored dimensions;
 * - alpha is dropped without compositing (as Pillow's RGBA -> L / RGB conversion);
 * - multi-page images (GIF, WebP, TIFF, HEIF) use their first page only.
 */
import { readFile, stat } from 'node:fs/promises';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import type { ResolvedExtractOptions } from './options.js';

export interface DecodedImage {
  /** The input's bytes, as read (for the content hash). */
  readonly bytes: Buffer;
  /** Packed RGB, 3 bytes per pixel, row-major. */
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** sharp's format name, with AV1-coded HEIF reported as `avif`. */
  readonly format: string;
}

/**
 * libvips' sensitivity to bad pixel data: 'error' refuses truncated files and decode
 * errors but tolerates benign libjpeg warnings (e.g. extraneous bytes) that Pillow accepts.
 */
const FAIL_ON = 'error';

function invalid(message: string, cause?: unknown): FeatureCacheError {
  return new FeatureCacheError(ErrorCodes.INVALID_IMAGE, message, { cause });
}

function tooLarge(message: string, details: Record<string, unknown>): FeatureCacheError {
  return new FeatureCacheError(ErrorCodes.IMAGE_TOO_LARGE, message, { details });
}

async function readInput(image: Buffer | Uint8Array | string, maxBytes: number): Promise<Buffer> {
  if (typeof image === 'string') {
    let size: number;
    try {
      const st = await stat(image);
      if (!st.isFile()) throw new Error('not a regular file');
      size = st.size;
    } catch (err) {
      throw invalid('image file cannot be read', err);
    }
    if (size > maxBytes) throw tooLarge(`image file is ${size} bytes, over maxBytes ${maxBytes}`, { bytes: size, maxBytes });
    let buf: Buffer;
    try {
      buf = await readFile(image);
    } catch (err) {
      throw invalid('image file cannot be read', err);
    }
    return checkBytes(buf, maxBytes);
  }
  if (!(image instanceof Uint8Array)) throw invalid('image must be a Buffer, a Uint8Array or a file path');
  const buf = Buffer.isBuffer(image) ? image : Buffer.from(image.buffer, image.byteOffset, image.byteLength);
  return checkBytes(buf, maxBytes);
}

function checkBytes(buf: Buffer, maxBytes: number): Buffer {
  if (buf.length === 0) throw invalid('image is empty');
  if (buf.length > maxBytes) throw tooLarge(`image is ${buf.length} bytes, over maxBytes ${maxBytes}`, { bytes: buf.length, maxBytes });
  return buf;
}

/** True when the bytes look like XML/SVG text (so librsvg is never reached when SVG is not allowed). */
function looksLikeXml(buf: Buffer): boolean {
  let i = 0;
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3; // UTF-8 BOM
  while (i < buf.length && i < 1024 && (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0a || buf[i] === 0x0d)) i++;
  return buf[i] === 0x3c; // '<'
}

function formatName(meta: Metadata): string {
  const format = String(meta.format ?? 'unknown');
  return format === 'heif' && meta.compression === 'av1' ? 'avif' : format;
}

/** Reads, checks and decodes an image; see the module comment for the rules. */
export async function decodeImage(image: Buffer | Uint8Array | string, opts: ResolvedExtractOptions): Promise<DecodedImage> {
  const buf = await readInput(image, opts.maxBytes);
  if (!opts.allowedFormats.has('svg') && looksLikeXml(buf)) {
    throw new FeatureCacheError(ErrorCodes.UNSUPPORTED_IMAGE_FORMAT, 'image format svg is not allowed', {
      details: { format: 'svg' },
    });
  }

  let meta: Metadata;
  try {
    meta = await sharp(buf, { failOn: FAIL_ON, limitInputPixels: false }).metadata();
  } catch (err) {
    throw invalid('image cannot be decoded (not an image, or an unknown format)', err);
  }
  const format = formatName(meta);
  if (!opts.allowedFormats.has(format)) {
    throw new FeatureCacheError(ErrorCodes.UNSUPPORTED_IMAGE_FORMAT, `image format ${format} is not allowed`, {
      details: { format },
    });
  }
  const width = meta.width;
  const height = meta.pageHeight ?? meta.height;
  if (!(width > 0) || !(height > 0)) throw invalid('image has no dimensions');
  if (width * height > opts.maxPixels) {
    throw tooLarge(`image is ${width}x${height} pixels, over maxPixels ${opts.maxPixels}`, {
      width,
      height,
      maxPixels: opts.maxPixels,
    });
  }

  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await sharp(buf, { failOn: FAIL_ON, limitInputPixels: opts.maxPixels, sequentialRead: true })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    if (err instanceof Error && /pixel limit/i.test(err.message)) {
      throw tooLarge(`image exceeds maxPixels ${opts.maxPixels}`, { maxPixels: opts.maxPixels });
    }
    throw invalid('image data is truncated or corrupt', err);
  }
  const { info, data } = out;
  if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
    throw invalid(`unexpected decoded layout: ${info.channels} channels, ${data.length} bytes`);
  }
  return {
    bytes: buf,
    rgb: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
    format,
  };
}
