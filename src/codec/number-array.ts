/**
 * Compact lossless forms of plain `number[]` values (they still decode to plain
 * number arrays): bit-packed 0/1 arrays, narrowest-int packing, float32 packing
 * when every element is exactly a float32, else float64. The writer uses one
 * only when it is strictly smaller than the plain msgpack array.
 */
import { Ext } from './format.js';
import { arrayHeaderBytes, extHeaderBytes } from './msgpack-headers.js';

/** Filled in by planNumberArray; one instance is reused by the writer. */
export interface NumberArrayPlan {
  /** Ext type to write. */
  ext: number;
  /** Payload bytes of that ext. */
  payloadBytes: number;
}

/** True for -0. */
export function isNegativeZero(x: number): boolean {
  return x === 0 && 1 / x < 0;
}

/** Bytes msgpack needs for one number, as the body writer writes it. */
export function plainNumberBytes(x: number): number {
  if (Number.isInteger(x) && !isNegativeZero(x)) {
    if (x >= 0) {
      if (x < 0x80) return 1;
      if (x < 0x100) return 2;
      if (x < 0x10000) return 3;
      if (x < 0x100000000) return 5;
    } else {
      if (x >= -0x20) return 1;
      if (x >= -0x80) return 2;
      if (x >= -0x8000) return 3;
      if (x >= -0x80000000) return 5;
    }
  }
  return Math.fround(x) === x ? 5 : 9;
}

/**
 * Decides whether `arr` (length >= 2) is an all-number array with a compact form
 * smaller than plain msgpack; fills `plan` and returns true if so.
 */
export function planNumberArray(arr: readonly unknown[], plan: NumberArrayPlan): boolean {
  const n = arr.length;
  let plain = arrayHeaderBytes(n);
  let allBits = true;
  let allInts = true;
  let allF32 = true;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = arr[i];
    if (typeof x !== 'number') return false;
    plain += plainNumberBytes(x);
    if (x !== 0 && x !== 1) allBits = false;
    if (Number.isInteger(x) && !isNegativeZero(x)) {
      if (x < min) min = x;
      if (x > max) max = x;
    } else {
      allInts = false;
      allBits = false;
    }
    if (allF32 && Math.fround(x) !== x) allF32 = false;
  }
  let ext: number;
  let width: number;
  if (allBits) {
    const bytes = (n + 7) >>> 3;
    ext = Ext.BITS + (bytes * 8 - n);
    width = 0;
    plan.payloadBytes = bytes;
  } else {
    ext = Ext.NUM_FLOAT64;
    width = 8;
    if (allInts) {
      if (min >= 0) {
        if (max < 0x100) { ext = Ext.NUM_UINT8; width = 1; }
        else if (max < 0x10000) { ext = Ext.NUM_UINT16; width = 2; }
        else if (max < 0x100000000) { ext = Ext.NUM_UINT32; width = 4; }
      } else if (min >= -0x80 && max < 0x80) { ext = Ext.NUM_INT8; width = 1; }
      else if (min >= -0x8000 && max < 0x8000) { ext = Ext.NUM_INT16; width = 2; }
      else if (min >= -0x80000000 && max < 0x80000000) { ext = Ext.NUM_INT32; width = 4; }
    }
    if (width === 8 && allF32) { ext = Ext.NUM_FLOAT32; width = 4; }
    plan.payloadBytes = n * width;
  }
  if (extHeaderBytes(plan.payloadBytes) + plan.payloadBytes >= plain) return false;
  plan.ext = ext;
  return true;
}

/** Writes the payload planned for `arr` at `offset` of `out`. */
export function writeNumberArrayPayload(arr: readonly number[], ext: number, out: DataView, offset: number): void {
  const n = arr.length;
  if (ext >= Ext.BITS && ext < Ext.BITS + 8) {
    const bytes = (n + 7) >>> 3;
    for (let b = 0; b < bytes; b++) {
      let byte = 0;
      const end = Math.min(8, n - b * 8);
      for (let j = 0; j < end; j++) if (arr[b * 8 + j] === 1) byte |= 1 << j;
      out.setUint8(offset + b, byte);
    }
    return;
  }
  switch (ext) {
    case Ext.NUM_UINT8: for (let i = 0; i < n; i++) out.setUint8(offset + i, arr[i]!); return;
    case Ext.NUM_INT8: for (let i = 0; i < n; i++) out.setInt8(offset + i, arr[i]!); return;
    case Ext.NUM_UINT16: for (let i = 0; i < n; i++) out.setUint16(offset + 2 * i, arr[i]!, true); return;
    case Ext.NUM_INT16: for (let i = 0; i < n; i++) out.setInt16(offset + 2 * i, arr[i]!, true); return;
    case Ext.NUM_UINT32: for (let i = 0; i < n; i++) out.setUint32(offset + 4 * i, arr[i]!, true); return;
    case Ext.NUM_INT32: for (let i = 0; i < n; i++) out.setInt32(offset + 4 * i, arr[i]!, true); return;
    case Ext.NUM_FLOAT32: for (let i = 0; i < n; i++) out.setFloat32(offset + 4 * i, arr[i]!, true); return;
    default: for (let i = 0; i < n; i++) out.setFloat64(offset + 8 * i, arr[i]!, true);
  }
}

/** Element width of a packed number-array ext type (0 = bit-packed); -1 if not one. */
export function numberArrayWidth(ext: number): number {
  if (ext >= Ext.BITS && ext < Ext.BITS + 8) return 0;
  switch (ext) {
    case Ext.NUM_UINT8: case Ext.NUM_INT8: return 1;
    case Ext.NUM_UINT16: case Ext.NUM_INT16: return 2;
    case Ext.NUM_UINT32: case Ext.NUM_INT32: case Ext.NUM_FLOAT32: return 4;
    case Ext.NUM_FLOAT64: return 8;
    default: return -1;
  }
}

/**
 * Reads a packed number array from `size` bytes at `offset` of `b` (bytes are
 * indexed directly and wider elements read with Buffer's LE readers: cheaper
 * than a DataView, which needs the ArrayBuffer behind the record).
 * Throws RangeError on a malformed payload.
 */
export function readNumberArray(ext: number, b: Buffer, offset: number, size: number): number[] {
  const width = numberArrayWidth(ext);
  if (width === 0) {
    const pad = ext - Ext.BITS;
    if (size === 0) throw new RangeError('empty bit array');
    // One byte read per 8 bits, pushed in order: a packed SMI array, the
    // cheapest kind for V8 to build and for callers to read.
    const out: number[] = [];
    const whole = pad === 0 ? size : size - 1;
    for (let k = 0; k < whole; k++) {
      const byte = b[offset + k]!;
      out.push(byte & 1, (byte >>> 1) & 1, (byte >>> 2) & 1, (byte >>> 3) & 1, (byte >>> 4) & 1, (byte >>> 5) & 1, (byte >>> 6) & 1, byte >>> 7);
    }
    if (pad !== 0) {
      const byte = b[offset + whole]!;
      for (let j = 0; j < 8 - pad; j++) out.push((byte >>> j) & 1);
    }
    return out;
  }
  if (width < 0 || size % width !== 0) throw new RangeError(`ext ${ext}: ${size} bytes is not a whole number of elements`);
  const n = size / width;
  const out: number[] = [];
  const o = offset;
  switch (ext) {
    case Ext.NUM_UINT8: for (let i = 0; i < n; i++) out.push(b[o + i]!); break;
    case Ext.NUM_INT8: for (let i = 0; i < n; i++) out.push(b.readInt8(o + i)); break;
    case Ext.NUM_UINT16: for (let i = 0; i < n; i++) out.push(b.readUInt16LE(o + 2 * i)); break;
    case Ext.NUM_INT16: for (let i = 0; i < n; i++) out.push(b.readInt16LE(o + 2 * i)); break;
    case Ext.NUM_UINT32: for (let i = 0; i < n; i++) out.push(b.readUInt32LE(o + 4 * i)); break;
    case Ext.NUM_INT32: for (let i = 0; i < n; i++) out.push(b.readInt32LE(o + 4 * i)); break;
    case Ext.NUM_FLOAT32: for (let i = 0; i < n; i++) out.push(b.readFloatLE(o + 4 * i)); break;
    default: for (let i = 0; i < n; i++) out.push(b.readDoubleLE(o + 8 * i));
  }
  return out;
}
