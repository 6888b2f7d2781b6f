/** Codec options: one zod schema holds their defaults, bounds and descriptions; merged once at construction. */
import { z } from 'zod';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import { HEADER_BYTES } from './format.js';

/** Largest maxRecordBytes accepted (Redis's own string limit). */
export const MAX_RECORD_BYTES_LIMIT = 512 * 1024 * 1024;

export const codecOptionsSchema = z.object({
  compression: z.enum(['lz4', 'none']).default('lz4').describe('Compression of record bodies.'),
  compressionThreshold: z
    .number()
    .int()
    .min(0)
    .max(MAX_RECORD_BYTES_LIMIT)
    .default(256)
    .describe('Bodies shorter than this many bytes are never compressed.'),
  quantize: z.enum(['none', 'float16', 'int8']).default('none').describe('Lossy storage of Float32Array/Float64Array values (docs/CODEC.md).'),
  quantizeMinLength: z.number().int().min(1).max(2 ** 32).default(16).describe('Only typed float arrays with at least this many elements are quantized.'),
  maxRecordBytes: z
    .number()
    .int()
    .min(HEADER_BYTES + 64)
    .max(MAX_RECORD_BYTES_LIMIT)
    .default(16 * 1024 * 1024)
    .describe('Largest encoded record accepted on write and decoded size accepted on read.'),
  packFloats: z
    .boolean()
    .default(true)
    .describe('Lossless palette packing of the high byte of float vectors of 64+ elements (a 512-float32 embedding: ~1,820 bytes instead of 2,060; docs/CODEC.md).'),
});

/** What createCodec accepts; every field optional (undefined means the default). */
export type CodecOptions = z.input<typeof codecOptionsSchema>;
export type ResolvedCodecOptions = Readonly<z.output<typeof codecOptionsSchema>>;

/** The message of an option's first failed check: `invalid option <name>: <why>`. */
export function invalidOptions(error: z.ZodError, what = 'option'): FeatureCacheError {
  const issue = error.issues[0];
  const where = issue?.path.join('.') || 'options';
  return new FeatureCacheError(ErrorCodes.INVALID_OPTIONS, `invalid ${what} ${where}: ${issue?.message ?? 'invalid'}`, {
    details: { option: where },
  });
}

export const DEFAULT_CODEC_OPTIONS: ResolvedCodecOptions = Object.freeze(codecOptionsSchema.parse({}));

/**
 * Fills in defaults (undefined means default) and validates.
 * @throws FeatureCacheError INVALID_OPTIONS naming the option.
 */
export function resolveCodecOptions(options: CodecOptions = {}): ResolvedCodecOptions {
  const parsed = codecOptionsSchema.safeParse(options);
  if (!parsed.success) throw invalidOptions(parsed.error);
  return Object.freeze(parsed.data);
}
