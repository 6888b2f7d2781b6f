/** Codec options: defaults and validation, merged once at construction. */
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import type { CodecOptions } from '../types.js';
import { HEADER_BYTES } from './format.js';

export type ResolvedCodecOptions = Readonly<Required<CodecOptions>>;

/** Largest maxRecordBytes accepted (Redis's own string limit). */
export const MAX_RECORD_BYTES_LIMIT = 512 * 1024 * 1024;

export const DEFAULT_CODEC_OPTIONS: ResolvedCodecOptions = Object.freeze({
  compression: 'lz4',
  compressionThreshold: 256,
  quantize: 'none',
  quantizeMinLength: 16,
  maxRecordBytes: 16 * 1024 * 1024,
  packFloats: true,
});

function invalid(message: string): FeatureCacheError {
  return new FeatureCacheError(ErrorCodes.INVALID_OPTIONS, message);
}

function isCount(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/**
 * Fills in defaults (undefined means default) and validates.
 * @throws FeatureCacheError INVALID_OPTIONS naming the option.
 */
export function resolveCodecOptions(options: CodecOptions = {}): ResolvedCodecOptions {
  const o = { ...DEFAULT_CODEC_OPTIONS };
  for (const key of Object.keys(DEFAULT_CODEC_OPTIONS) as Array<keyof CodecOptions>) {
    if (options[key] !== undefined) (o as Record<string, unknown>)[key] = options[key];
  }
  if (o.compression !== 'lz4' && o.compression !== 'none') throw invalid(`compression must be 'lz4' or 'none'`);
  if (o.quantize !== 'none' && o.quantize !== 'float16' && o.quantize !== 'int8') {
    throw invalid(`quantize must be 'none', 'float16' or 'int8'`);
  }
  if (typeof o.packFloats !== 'boolean') throw invalid('packFloats must be a boolean');
  if (!isCount(o.compressionThreshold, 0, MAX_RECORD_BYTES_LIMIT)) throw invalid('compressionThreshold must be an integer >= 0');
  if (!isCount(o.quantizeMinLength, 1, 2 ** 32)) throw invalid('quantizeMinLength must be an integer >= 1');
  if (!isCount(o.maxRecordBytes, HEADER_BYTES + 64, MAX_RECORD_BYTES_LIMIT)) {
    throw invalid(`maxRecordBytes must be an integer in ${HEADER_BYTES + 64}..${MAX_RECORD_BYTES_LIMIT}`);
  }
  return Object.freeze(o);
}
