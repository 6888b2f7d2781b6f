/**
 * One-pass msgpack writer for a features map: validates, drops `undefined`
 * object values, writes well-known keys as fixints and typed/number arrays as
 * ext types. @msgpack/msgpack's Encoder cannot write integer map keys nor report
 * the path of an unsupported value, so the body is written here; it is plain
 * msgpack, decoded by MsgpackReader (msgpack-reader.ts).
 */
import { Ext, MAX_DEPTH } from './format.js';
import { HOST_IS_LITTLE_ENDIAN, swapBytes } from './endian.js';
import { FIELD_IDS } from './field-names.js';
import { extHeaderBytes, writeArrayHeader, writeBigInt64, writeExtHeader, writeMapHeader, writeStrHeader } from './msgpack-headers.js';
import {
  isNegativeZero,
  planNumberArray,
  writeNumberArrayPayload,
  type NumberArrayPlan,
} from './number-array.js';
import { INT8_HEADER_BYTES, int8Params, writeFloat16s, writeInt8Codes } from './quantize.js';
import { PLANES_MIN_LENGTH, packPlanes, packedBound } from './byte-planes.js';
import type { Quantize, TypedArray } from '../types.js';

/** Thrown for a value that cannot be stored; `segments` is its path, outermost first. */
export class InvalidValueError extends Error {
  readonly segments: Array<string | number> = [];
}

/** Thrown when the body would exceed the writer's byte limit. */
export class BodyTooLargeError extends Error {}

const TYPED_ARRAY_EXT = new Map<unknown, number>([
  [Float32Array, Ext.FLOAT32],
  [Float64Array, Ext.FLOAT64],
  [Int8Array, Ext.INT8],
  [Uint8Array, Ext.UINT8],
  [Buffer, Ext.UINT8],
  [Uint8ClampedArray, Ext.UINT8_CLAMPED],
  [Int16Array, Ext.INT16],
  [Uint16Array, Ext.UINT16],
  [Int32Array, Ext.INT32],
  [Uint32Array, Ext.UINT32],
  [BigInt64Array, Ext.BIGINT64],
  [BigUint64Array, Ext.BIGUINT64],
]);

const UINT64_MAX = 2n ** 64n - 1n;
const INT64_MIN = -(2n ** 63n);
const INITIAL_BYTES = 4096;
/** Scratch buffers larger than this are dropped after use instead of kept. */
const KEEP_BYTES = 1 << 20;

export interface BodyWriterOptions {
  quantize: Quantize;
  quantizeMinLength: number;
  /** Palette-pack the high byte of float vectors (byte-planes.ts). */
  packFloats: boolean;
}

/** Names the kind of an unsupported object for error messages. */
function describe(v: object): string {
  const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? name : 'object with a custom prototype';
}

export class BodyWriter {
  private buf: Buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  private view: DataView = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private pos = 0;
  private limit = 0;
  private readonly ancestors: object[] = [];
  private readonly plan: NumberArrayPlan = { ext: 0, payloadBytes: 0 };
  /** Set when the last body holds at least one quantized vector. */
  quantized = false;

  constructor(private readonly options: BodyWriterOptions) {}

  /**
   * Writes `features` as a msgpack map starting at byte `start`, never past byte
   * `limit`. Returns the end offset; the bytes are read with `bytes()`.
   * @throws InvalidValueError, BodyTooLargeError
   */
  write(features: object, start: number, limit: number): number {
    this.pos = start;
    this.limit = limit;
    this.quantized = false;
    this.ancestors.length = 0;
    this.ensure(0);
    this.writeMap(features as Record<string, unknown>, 1);
    return this.pos;
  }

  /** The internal buffer (valid until the next write). */
  bytes(): Buffer {
    return this.buf;
  }

  /** Drops an oversized scratch buffer after a large record. */
  trim(): void {
    if (this.buf.length > KEEP_BYTES) this.setBuffer(Buffer.allocUnsafe(INITIAL_BYTES));
  }

  private setBuffer(buf: Buffer): void {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need > this.limit) throw new BodyTooLargeError(`record body exceeds ${this.limit} bytes`);
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.min(Math.max(need, this.buf.length * 2), this.limit));
    this.buf.copy(next, 0, 0, this.pos);
    this.setBuffer(next);
  }

  private u8(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  private writeValue(v: unknown, depth: number): void {
    switch (typeof v) {
      case 'number':
        return this.writeNumber(v);
      case 'string':
        return this.writeString(v);
      case 'boolean':
        return this.u8(v ? 0xc3 : 0xc2);
      case 'bigint':
        return this.writeBigInt(v);
      case 'undefined': // only reachable inside arrays (holes, undefined): null, like JSON
        return this.u8(0xc0);
      case 'object':
        if (v === null) return this.u8(0xc0);
        if (Array.isArray(v)) return this.writeArray(v, depth);
        if (ArrayBuffer.isView(v)) return this.writeTypedArray(v);
        {
          const proto: unknown = Object.getPrototypeOf(v);
          if (proto === Object.prototype || proto === null) return this.writeMap(v as Record<string, unknown>, depth);
        }
        throw new InvalidValueError(`${describe(v)} is not supported (use plain objects, arrays and typed arrays)`);
      default:
        throw new InvalidValueError(`a ${typeof v} is not supported`);
    }
  }

  private enter(v: object, depth: number): void {
    if (depth > MAX_DEPTH) {
      throw new InvalidValueError(
        this.ancestors.includes(v) ? 'circular reference' : `nesting deeper than ${MAX_DEPTH} levels`,
      );
    }
    this.ancestors.push(v);
  }

  private writeMap(obj: Record<string, unknown>, depth: number): void {
    this.enter(obj, depth);
    const keys = Object.keys(obj);
    let count = 0;
    for (let i = 0; i < keys.length; i++) if (obj[keys[i]!] !== undefined) count++;
    this.ensure(5);
    this.pos = writeMapHeader(this.buf, this.pos, count);
    let i = 0;
    let written = 0;
    try {
      for (; i < keys.length; i++) {
        const key = keys[i]!;
        const value = obj[key];
        if (value === undefined) continue;
        this.writeKey(key);
        this.writeValue(value, depth + 1);
        written++;
      }
    } catch (err) {
      if (err instanceof InvalidValueError) err.segments.unshift(keys[i]!);
      throw err;
    }
    if (written !== count) throw new InvalidValueError('object changed while it was being encoded');
    this.ancestors.pop();
  }

  private writeKey(key: string): void {
    const id = FIELD_IDS.get(key);
    if (id !== undefined) return this.u8(id);
    if (key === '__proto__') throw new InvalidValueError('the key "__proto__" is not allowed');
    this.writeString(key);
  }

  private writeArray(arr: unknown[], depth: number): void {
    this.enter(arr, depth);
    const n = arr.length;
    if (n >= 2 && planNumberArray(arr, this.plan)) {
      this.writeExtHeader(this.plan.payloadBytes, this.plan.ext);
      writeNumberArrayPayload(arr as number[], this.plan.ext, this.view, this.pos);
      this.pos += this.plan.payloadBytes;
    } else {
      this.ensure(5);
      this.pos = writeArrayHeader(this.buf, this.pos, n);
      let i = 0;
      try {
        for (; i < n; i++) this.writeValue(arr[i], depth + 1);
      } catch (err) {
        if (err instanceof InvalidValueError) err.segments.unshift(i);
        throw err;
      }
    }
    this.ancestors.pop();
  }

  private writeNumber(x: number): void {
    this.ensure(9);
    const b = this.buf;
    const p = this.pos;
    if (Number.isInteger(x) && !isNegativeZero(x) && x >= -0x80000000 && x < 0x100000000) {
      if (x >= 0 ? x < 0x80 : x >= -0x20) {
        b[p] = x & 0xff; // positive / negative fixint
        this.pos += 1;
      } else if (x >= 0 ? x < 0x100 : x >= -0x80) {
        b[p] = x >= 0 ? 0xcc : 0xd0;
        b[p + 1] = x & 0xff;
        this.pos += 2;
      } else if (x >= 0 ? x < 0x10000 : x >= -0x8000) {
        b[p] = x >= 0 ? 0xcd : 0xd1;
        b.writeUInt16BE(x & 0xffff, p + 1);
        this.pos += 3;
      } else {
        b[p] = x >= 0 ? 0xce : 0xd2;
        b.writeUInt32BE(x >>> 0, p + 1);
        this.pos += 5;
      }
    } else if (Math.fround(x) === x) {
      // Exactly a float32 (incl. -0, +/-Infinity, big powers of two): 5 bytes.
      // Integers beyond 32 bits are never written as msgpack int64, which reads back as bigint.
      b[p] = 0xca;
      b.writeFloatBE(x, p + 1);
      this.pos += 5;
    } else {
      b[p] = 0xcb;
      b.writeDoubleBE(x, p + 1);
      this.pos += 9;
    }
  }

  private writeBigInt(v: bigint): void {
    if (v > UINT64_MAX || v < INT64_MIN) throw new InvalidValueError('bigint outside the 64-bit range');
    this.ensure(9);
    this.pos = writeBigInt64(this.buf, this.pos, v);
  }

  private writeString(s: string): void {
    const len = s.length;
    if (len < 11) {
      // At most 30 UTF-8 bytes: always a fixstr. ASCII fast path, no native call.
      this.ensure(1 + 3 * len);
      const b = this.buf;
      const start = this.pos + 1;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[start + i] = c;
      }
      let n = i;
      if (i < len) {
        if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) throw new InvalidValueError('string holds a lone UTF-16 surrogate');
        n = b.write(s, start, 'utf8');
      }
      b[this.pos] = 0xa0 | n;
      this.pos = start + n;
      return;
    }
    if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) throw new InvalidValueError('string holds a lone UTF-16 surrogate');
    const n = Buffer.byteLength(s, 'utf8');
    this.ensure(5 + n);
    this.pos = writeStrHeader(this.buf, this.pos, n);
    this.pos += this.buf.write(s, this.pos, n, 'utf8');
  }

  /** Writes an ext header and reserves room for its payload. */
  private writeExtHeader(size: number, type: number): void {
    this.ensure(extHeaderBytes(size) + size);
    this.pos = writeExtHeader(this.buf, this.pos, size, type);
  }

  private writeTypedArray(v: ArrayBufferView): void {
    const type = TYPED_ARRAY_EXT.get(v.constructor);
    if (type === undefined) {
      throw new InvalidValueError(`${describe(v)} is not supported (use one of the standard typed arrays)`);
    }
    if (
      (type === Ext.FLOAT32 || type === Ext.FLOAT64) &&
      this.options.quantize !== 'none' &&
      (v as Float32Array | Float64Array).length >= this.options.quantizeMinLength &&
      this.writeQuantized(v as Float32Array | Float64Array, type === Ext.FLOAT32)
    ) {
      return;
    }
    const size = v.byteLength;
    if ((type === Ext.FLOAT32 || type === Ext.FLOAT64) && this.writePlanes(new Uint8Array(v.buffer, v.byteOffset, size), type)) return;
    this.writeExtHeader(size, type);
    this.buf.set(new Uint8Array(v.buffer, v.byteOffset, size), this.pos);
    if (!HOST_IS_LITTLE_ENDIAN) swapBytes(this.buf, this.pos, size, (v as TypedArray).BYTES_PER_ELEMENT);
    this.pos += size;
  }

  private planeBuf = Buffer.alloc(0);

  /** A reusable scratch buffer of at least `size` bytes (not the body buffer). */
  private scratch(size: number): Buffer {
    if (this.planeBuf.length < size) this.planeBuf = Buffer.alloc(Math.max(size, this.planeBuf.length * 2));
    return this.planeBuf;
  }

  /**
   * Writes a float vector's little-endian bytes as a PLANES ext when that is at
   * least 8 bytes smaller; false (nothing written) otherwise.
   */
  private writePlanes(bytes: Uint8Array, innerType: number): boolean {
    const width = innerType === Ext.FLOAT64 ? 8 : innerType === Ext.FLOAT32 ? 4 : 2;
    const n = bytes.length / width;
    if (n < PLANES_MIN_LENGTH || !this.options.packFloats || !HOST_IS_LITTLE_ENDIAN) return false;
    // packed output goes after the input in the scratch buffer (the input may live there)
    const inScratch = bytes.buffer === this.planeBuf.buffer;
    const start = inScratch ? bytes.byteOffset + bytes.length : 0;
    const needed = start + packedBound(bytes.length);
    if (this.planeBuf.length < needed) {
      const grown = Buffer.alloc(Math.max(needed, this.planeBuf.length * 2));
      if (inScratch) {
        grown.set(bytes, bytes.byteOffset);
        bytes = grown.subarray(bytes.byteOffset, bytes.byteOffset + bytes.length);
      }
      this.planeBuf = grown;
    }
    const length = packPlanes(bytes, width, innerType, this.planeBuf, start);
    if (length < 0) return false;
    this.writeExtHeader(length, Ext.PLANES);
    this.buf.set(this.planeBuf.subarray(start, start + length), this.pos);
    this.pos += length;
    return true;
  }

  private writeQuantized(v: Float32Array | Float64Array, isF32: boolean): boolean {
    if (this.options.quantize === 'float16') {
      const size = v.length * 2;
      const type = isF32 ? Ext.F16_AS_FLOAT32 : Ext.F16_AS_FLOAT64;
      const halves = this.scratch(size);
      writeFloat16s(v, new DataView(halves.buffer, halves.byteOffset, size), 0);
      if (!this.writePlanes(halves.subarray(0, size), type)) {
        this.writeExtHeader(size, type);
        this.buf.set(halves.subarray(0, size), this.pos);
        this.pos += size;
      }
    } else {
      const params = int8Params(v);
      if (params === null) return false; // non-finite values: stored losslessly
      const size = INT8_HEADER_BYTES + v.length;
      this.writeExtHeader(size, isF32 ? Ext.Q8_AS_FLOAT32 : Ext.Q8_AS_FLOAT64);
      writeInt8Codes(v, params, this.view, this.pos);
      this.pos += size;
    }
    this.quantized = true;
    return true;
  }
}
