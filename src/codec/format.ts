/**
 * Wire format of a featcache record (format version 1).
 *
 * ```
 * byte 0     format byte: high nibble 0xF = featcache magic, low nibble = format version
 * byte 1     flags (FLAG_*); unknown bits make the record CORRUPT_RECORD
 * bytes 2-5  createdAt, uint32 little-endian, seconds since the epoch
 * bytes 6-   msgpack body (a map), or when FLAG_LZ4 is set an lz4 block of it
 *            preceded by its uncompressed size (uint32 little-endian)
 * ```
 * See docs/CODEC.md for the body (ext types, well-known field ids).
 */

/** High nibble shared by every featcache format byte. */
export const FORMAT_MAGIC = 0xf0;
/** The format byte this codec writes (magic 0xF, version 1). */
export const FORMAT_V1 = 0xf1;
/** Format version carried in the low nibble of FORMAT_V1. */
export const FORMAT_VERSION = 1;

/** The body is an lz4 block with a 4-byte LE size prefix. */
export const FLAG_LZ4 = 0x01;
/** At least one float vector in the body is stored lossily (float16 or int8). */
export const FLAG_QUANTIZED = 0x02;
/** Every flag bit this version understands. */
export const KNOWN_FLAGS = FLAG_LZ4 | FLAG_QUANTIZED;

/** Header length: format byte + flags byte + uint32 createdAt seconds. */
export const HEADER_BYTES = 6;
/** Largest createdAt (in seconds) the uint32 header field holds (year 2106). */
export const MAX_CREATED_AT_SECONDS = 0xffffffff;

/**
 * Deepest nesting of maps/arrays accepted on write and read; the features map
 * itself is depth 1.
 */
export const MAX_DEPTH = 64;

/**
 * msgpack ext type ids used by format version 1 (all in the application range 0..127).
 * Raw typed arrays store their elements little-endian.
 */
export const Ext = {
  FLOAT32: 0,
  FLOAT64: 1,
  INT8: 2,
  UINT8: 3,
  UINT8_CLAMPED: 4,
  INT16: 5,
  UINT16: 6,
  INT32: 7,
  UINT32: 8,
  BIGINT64: 9,
  BIGUINT64: 10,
  /** IEEE half floats, decoded to Float32Array. */
  F16_AS_FLOAT32: 11,
  /** IEEE half floats, decoded to Float64Array. */
  F16_AS_FLOAT64: 12,
  /** float32 min + float32 scale + int8 codes, decoded to Float32Array. */
  Q8_AS_FLOAT32: 13,
  /** float32 min + float32 scale + int8 codes, decoded to Float64Array. */
  Q8_AS_FLOAT64: 14,
  /**
   * Plain array of 0/1 integers, bit-packed LSB first; the ext type is
   * BITS + number of padding bits in the last byte (0..7).
   */
  BITS: 16,
  /** Plain number arrays packed little-endian; decoded to number[]. */
  NUM_INT8: 24,
  NUM_UINT8: 25,
  NUM_INT16: 26,
  NUM_UINT16: 27,
  NUM_INT32: 28,
  NUM_UINT32: 29,
  NUM_FLOAT32: 30,
  NUM_FLOAT64: 31,
  /**
   * A float vector (FLOAT32, FLOAT64 or a float16 kind) stored as byte planes,
   * each raw or palette-packed (byte-planes.ts); decoded to the inner type.
   */
  PLANES: 32,
} as const;
