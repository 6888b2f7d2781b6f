/**
 * Turns featcache ext types back into typed arrays (always a fresh, aligned
 * copy), for MsgpackReader; packed number arrays it reads itself
 * (number-array.ts). Any other ext type, or a payload of the wrong length, throws.
 */
import { Ext } from './format.js';
import { HOST_IS_LITTLE_ENDIAN, swapBytes } from './endian.js';
import { INT8_HEADER_BYTES, readFloat16s, readInt8Codes } from './quantize.js';
import { unpackPlanes } from './byte-planes.js';

const EMPTY_VIEW = new DataView(new ArrayBuffer(0));

type TypedArrayCtor = { new (length: number): ArrayBufferView; readonly BYTES_PER_ELEMENT: number };

const RAW_TYPES: ReadonlyArray<TypedArrayCtor> = [
  Float32Array, // Ext.FLOAT32
  Float64Array,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array, // Ext.BIGUINT64
];

function readRaw(ctor: TypedArrayCtor, data: Uint8Array): ArrayBufferView {
  const width = ctor.BYTES_PER_ELEMENT;
  if (data.length % width !== 0) throw new RangeError(`typed array payload of ${data.length} bytes is not a multiple of ${width}`);
  const out = new ctor(data.length / width);
  // A fresh buffer: aligned whatever the offset in the record, and not sharing
  // memory with the (possibly pooled or reused) input.
  const bytes = new Uint8Array(out.buffer, 0, data.length);
  bytes.set(data);
  if (!HOST_IS_LITTLE_ENDIAN) swapBytes(bytes, 0, data.length, width);
  return out;
}

/** Decoder-side extension codec; `allowQuantized` mirrors the record's flag. */
export class FeatureExtensions {
  /** Quantized ext types are accepted only in records flagged as quantized. */
  allowQuantized = false;

  /** @param maxBytes largest decoded payload (bounds what a small PLANES payload may expand to) */
  constructor(private readonly maxBytes: number) {}
  /** DataView over the ArrayBuffer of the last payload: records usually share one. */
  private view: DataView = EMPTY_VIEW;

  private viewOf(data: Uint8Array): DataView {
    if (this.view.buffer !== data.buffer) this.view = new DataView(data.buffer);
    return this.view;
  }

  /** Forgets a large input buffer after a decode, so it is not kept alive. */
  release(): void {
    if (this.view.byteLength > 65536) this.view = EMPTY_VIEW;
  }

  decode(data: Uint8Array, type: number): unknown {
    if (type === Ext.PLANES) {
      const { innerType, buffer } = unpackPlanes(data, this.maxBytes);
      // a fresh, aligned buffer: no second copy for the lossless kinds
      if (innerType === Ext.FLOAT32) return new Float32Array(buffer);
      if (innerType === Ext.FLOAT64) return new Float64Array(buffer);
      return this.decode(new Uint8Array(buffer), innerType); // float16 kinds (checks allowQuantized)
    }
    const raw = RAW_TYPES[type];
    if (raw !== undefined) return readRaw(raw, data);
    if (type >= Ext.F16_AS_FLOAT32 && type <= Ext.Q8_AS_FLOAT64) {
      if (!this.allowQuantized) throw new RangeError('quantized vector in a record not flagged as quantized');
      const asF32 = type === Ext.F16_AS_FLOAT32 || type === Ext.Q8_AS_FLOAT32;
      if (type === Ext.F16_AS_FLOAT32 || type === Ext.F16_AS_FLOAT64) {
        if (data.length % 2 !== 0) throw new RangeError('float16 payload of an odd length');
        const n = data.length / 2;
        const out = asF32 ? new Float32Array(n) : new Float64Array(n);
        readFloat16s(this.viewOf(data), data.byteOffset, out);
        return out;
      }
      if (data.length < INT8_HEADER_BYTES) throw new RangeError('int8 payload shorter than its header');
      const n = data.length - INT8_HEADER_BYTES;
      const out = asF32 ? new Float32Array(n) : new Float64Array(n);
      readInt8Codes(this.viewOf(data), data.byteOffset, out);
      return out;
    }
    throw new RangeError(`unknown ext type ${type}`);
  }
}
