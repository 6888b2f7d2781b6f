/** Record codec: features <-> bytes. See docs/CODEC.md. */
export { createCodec, readHeader, formatPath } from './codec.js';
export type { RecordCodec, DecodedRecord, RecordHeader } from './codec.js';
export { DEFAULT_CODEC_OPTIONS, MAX_RECORD_BYTES_LIMIT, resolveCodecOptions } from './options.js';
export type { ResolvedCodecOptions } from './options.js';
export {
  FORMAT_MAGIC,
  FORMAT_V1,
  FORMAT_VERSION,
  FLAG_LZ4,
  FLAG_QUANTIZED,
  KNOWN_FLAGS,
  HEADER_BYTES,
  MAX_CREATED_AT_SECONDS,
  MAX_DEPTH,
  Ext,
} from './format.js';
export { FIELD_NAMES, FIELD_IDS, FIELD_TABLE_LENGTH } from './field-names.js';
export {
  FLOAT16_MAX,
  FLOAT16_MIN_NORMAL,
  FLOAT16_MAX_RELATIVE_ERROR,
  FLOAT16_MAX_SUBNORMAL_ERROR,
  toFloat16Bits,
  fromFloat16Bits,
  roundToFloat16,
} from './float16.js';
export { INT8_ERROR_DIVISOR, int8MaxAbsError } from './quantize.js';
