/**
 * RecordCodec: features + createdAt <-> the bytes stored in Redis
 * (6-byte header + msgpack body, lz4-compressed when that saves bytes).
 * Layout and guarantees: src/codec/format.ts and docs/CODEC.md.
 */
import { compressSync, uncompressSync } from 'lz4-napi';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import type { Features } from '../types.js';
import type { CodecOptions } from './options.js';
import { MsgpackReader } from './msgpack-reader.js';
import { BodyTooLargeError, BodyWriter, InvalidValueError } from './body-writer.js';
import {
  FLAG_LZ4,
  FLAG_QUANTIZED,
  FORMAT_MAGIC,
  FORMAT_V1,
  HEADER_BYTES,
  KNOWN_FLAGS,
  MAX_CREATED_AT_SECONDS,
} from './format.js';
import { resolveCodecOptions, type ResolvedCodecOptions } from './options.js';

export interface RecordCodec {
  /** The options in force, defaults filled in. */
  readonly options: ResolvedCodecOptions;
  /**
   * Encodes features and their creation time (ms since the epoch; stored with
   * second precision).
   * @throws FeatureCacheError INVALID_FEATURES (unsupported value, cycle, too deep;
   *   the message names the path, e.g. `features.orb.x`), PAYLOAD_TOO_LARGE
   *   (> maxRecordBytes), INVALID_ARGUMENT (createdAtMs not in 0..2^32 s).
   */
  encode(features: Features, createdAtMs: number): Buffer;
  /**
   * Decodes a record written by encode().
   * @throws FeatureCacheError CORRUPT_RECORD on anything truncated, foreign or hostile.
   */
  decode(bytes: Uint8Array): DecodedRecord;
}

export interface DecodedRecord {
  features: Features;
  /** ms since the epoch, second precision. */
  createdAt: number;
}

/** What a record's header says, without decoding its body. */
export interface RecordHeader {
  format: number;
  flags: number;
  /** ms since the epoch, second precision. */
  createdAt: number;
}

function corrupt(reason: string, cause?: unknown): FeatureCacheError {
  return new FeatureCacheError(ErrorCodes.CORRUPT_RECORD, `corrupt feature record: ${reason}`, { cause });
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `features.orb.x`, `features.embedding[3]`, `features["a b"]`. */
export function formatPath(segments: ReadonlyArray<string | number>): string {
  let path = 'features';
  for (const s of segments) {
    path += typeof s === 'number' ? `[${s}]` : IDENTIFIER.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  }
  return path;
}

/**
 * Reads and checks a record header (format byte, flags) without the body.
 * @throws FeatureCacheError CORRUPT_RECORD
 */
export function readHeader(bytes: Uint8Array): RecordHeader {
  if (!(bytes instanceof Uint8Array)) throw corrupt('not a byte array');
  if (bytes.length <= HEADER_BYTES) throw corrupt(`${bytes.length} bytes is shorter than a record`);
  const format = bytes[0]!;
  if ((format & 0xf0) !== FORMAT_MAGIC) throw corrupt('not a featcache record (bad format byte)');
  if (format !== FORMAT_V1) throw corrupt(`unsupported format version ${format & 0x0f}`);
  const flags = bytes[1]!;
  if ((flags & ~KNOWN_FLAGS) !== 0) throw corrupt(`unknown flags 0x${flags.toString(16)}`);
  const seconds = (bytes[2]! | (bytes[3]! << 8) | (bytes[4]! << 16)) + bytes[5]! * 0x1000000;
  return { format, flags, createdAt: seconds * 1000 };
}

const LZ4_MISS_STREAK = 8;
const LZ4_SKIP = 64;

class Codec implements RecordCodec {
  readonly options: ResolvedCodecOptions;
  private readonly writer: BodyWriter;
  private readonly reader: MsgpackReader;
  private writing = false;

  /**
   * Adaptive lz4: bodies of random floats (embeddings) do not compress, and an
   * attempt costs ~10x the rest of the encoding. After LZ4_MISS_STREAK attempts
   * in a row that save less than 1/16 of the body, the next LZ4_SKIP bodies are
   * stored raw without trying; then lz4 is probed again. Worst case: up to
   * LZ4_SKIP compressible records stored uncompressed after a run of
   * incompressible ones.
   */
  private lz4Misses = 0;
  private lz4Skip = 0;

  private shouldTryLz4(): boolean {
    if (this.lz4Skip === 0) return true;
    this.lz4Skip--;
    return false;
  }

  private noteLz4(packed: number, body: number): void {
    if (packed <= body - (body >> 4)) {
      this.lz4Misses = 0;
      return;
    }
    if (++this.lz4Misses >= LZ4_MISS_STREAK) {
      this.lz4Misses = 0;
      this.lz4Skip = LZ4_SKIP;
    }
  }

  constructor(options: ResolvedCodecOptions) {
    this.options = options;
    this.writer = new BodyWriter(options);
    this.reader = new MsgpackReader(options.maxRecordBytes);
  }

  encode(features: Features, createdAtMs: number): Buffer {
    const seconds = Math.floor(createdAtMs / 1000);
    if (!(seconds >= 0 && seconds <= MAX_CREATED_AT_SECONDS)) {
      throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `createdAt ${createdAtMs} is not a time in 1970..2106`);
    }
    if (typeof features !== 'object' || features === null || Array.isArray(features)) {
      throw new FeatureCacheError(ErrorCodes.INVALID_FEATURES, 'features must be a plain object');
    }
    // Re-entrant use (a getter calling encode) gets a private writer.
    const writer = this.writing ? new BodyWriter(this.options) : this.writer;
    this.writing = true;
    try {
      return this.encodeWith(writer, features, seconds);
    } finally {
      if (writer === this.writer) this.writing = false;
    }
  }

  private encodeWith(writer: BodyWriter, features: Features, seconds: number): Buffer {
    const { maxRecordBytes, compression, compressionThreshold } = this.options;
    let end: number;
    try {
      end = writer.write(features, HEADER_BYTES, maxRecordBytes);
    } catch (err) {
      writer.trim();
      if (err instanceof InvalidValueError) {
        const path = formatPath(err.segments);
        throw new FeatureCacheError(ErrorCodes.INVALID_FEATURES, `${path}: ${err.message}`, { details: { path } });
      }
      if (err instanceof BodyTooLargeError) {
        throw new FeatureCacheError(ErrorCodes.PAYLOAD_TOO_LARGE, `encoded features exceed maxRecordBytes (${maxRecordBytes})`, {
          details: { maxRecordBytes },
        });
      }
      throw err;
    }
    const scratch = writer.bytes();
    const bodyLength = end - HEADER_BYTES;
    let flags = writer.quantized ? FLAG_QUANTIZED : 0;
    let out: Buffer | undefined;
    if (compression === 'lz4' && bodyLength >= compressionThreshold && this.shouldTryLz4()) {
      const packed = compressSync(scratch.subarray(HEADER_BYTES, end));
      this.noteLz4(packed.length, bodyLength);
      if (packed.length < bodyLength) {
        out = Buffer.allocUnsafe(HEADER_BYTES + packed.length);
        packed.copy(out, HEADER_BYTES);
        flags |= FLAG_LZ4;
      }
    }
    if (out === undefined) {
      out = Buffer.allocUnsafe(end);
      scratch.copy(out, HEADER_BYTES, HEADER_BYTES, end);
    }
    writer.trim();
    out[0] = FORMAT_V1;
    out[1] = flags;
    out.writeUInt32LE(seconds, 2);
    return out;
  }

  decode(bytes: Uint8Array): DecodedRecord {
    const { flags, createdAt } = readHeader(bytes);
    const max = this.options.maxRecordBytes;
    if (bytes.length > max) throw corrupt(`${bytes.length} bytes exceed maxRecordBytes (${max})`);
    let body = bytes;
    let start = HEADER_BYTES;
    if ((flags & FLAG_LZ4) !== 0) {
      body = bytes.subarray(HEADER_BYTES);
      if (body.length < 5) throw corrupt('lz4 body too short');
      const declared = (body[0]! | (body[1]! << 8) | (body[2]! << 16)) + body[3]! * 0x1000000;
      if (declared === 0 || declared > max - HEADER_BYTES) {
        throw corrupt(`lz4 body declares ${declared} bytes (limit ${max - HEADER_BYTES})`);
      }
      let inflated: Buffer;
      try {
        inflated = uncompressSync(body);
      } catch (err) {
        throw corrupt('lz4 body does not decompress', err);
      }
      if (inflated.length !== declared) throw corrupt('lz4 body has the wrong decompressed size');
      body = inflated;
      start = 0;
    }
    try {
      const features = this.reader.read(body, (flags & FLAG_QUANTIZED) !== 0, start);
      return { features, createdAt };
    } catch (err) {
      throw corrupt(err instanceof Error ? err.message : 'undecodable body', err);
    }
  }
}

/**
 * Creates a codec. Reuse it: it owns its scratch buffer and decoders.
 * @throws FeatureCacheError INVALID_OPTIONS
 */
export function createCodec(options: CodecOptions = {}): RecordCodec {
  return new Codec(resolveCodecOptions(options));
}
