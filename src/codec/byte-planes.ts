/**
 * Lossless packing of the high byte of float vectors (Ext.PLANES).
 *
 * In an embedding the most significant byte of each element — the sign and the
 * top exponent bits — takes only a handful of distinct values (a unit-length
 * 512-float32 vector: ~6-8; float16: a few dozen), while the lower bytes look
 * random. The high bytes are stored as a palette of their distinct values plus
 * k-bit indices (k = bits the palette needs), the lower bytes as they are. lz4
 * cannot do this: it finds repeated sequences, not skewed byte distributions
 * (measured: 2,061 -> 2,046 bytes even on a byte-shuffled embedding). Here a
 * unit-length 512-float32 embedding drops from 2,048 to ~1,730 bytes and a
 * float16 one from 1,024 to ~880: each record moves into a smaller Redis
 * allocation class.
 *
 * Payload: inner ext type (1 byte: FLOAT32, FLOAT64, F16_AS_FLOAT32, F16_AS_FLOAT64),
 * element count n (uint32 LE), k (1 byte, 0..7), palette length - 1 (1 byte),
 * the palette, ceil(n*k/8) bytes of indices packed LSB first, then the
 * (width - 1) low bytes of every element, little-endian, element after element.
 * Assumes a little-endian host (the writer does not pack on big-endian hosts).
 */
import { Ext } from './format.js';

/** Vectors shorter than this are stored as they are. */
export const PLANES_MIN_LENGTH = 64;

export function elementWidth(innerType: number): number {
  switch (innerType) {
    case Ext.FLOAT32:
      return 4;
    case Ext.FLOAT64:
      return 8;
    case Ext.F16_AS_FLOAT32:
    case Ext.F16_AS_FLOAT64:
      return 2;
    default:
      return 0;
  }
}

const seen = new Uint8Array(256);
const slotOf = new Uint8Array(256);

/** Bytes packPlanes may write for `byteLength` input bytes. */
export function packedBound(byteLength: number): number {
  return 8 + 256 + byteLength;
}

/**
 * Packs `bytes` (n little-endian elements of `width` bytes) into `out` at `offset`.
 * Returns the payload length, or -1 when packing would not save at least 8 bytes.
 * `out` needs packedBound(bytes.length) bytes from `offset`.
 */
export function packPlanes(bytes: Uint8Array, width: number, innerType: number, out: Uint8Array, offset: number): number {
  const n = bytes.length / width;
  const hi = width - 1;
  seen.fill(0);
  let distinct = 0;
  for (let i = hi; i < bytes.length; i += width) {
    const v = bytes[i]!;
    if (seen[v] === 0) {
      seen[v] = 1;
      distinct++;
    }
  }
  const k = distinct <= 1 ? 0 : 32 - Math.clz32(distinct - 1);
  if (k >= 7) return -1; // an index of 7-8 bits plus a palette saves nothing
  const length = 7 + distinct + Math.ceil((n * k) / 8) + n * hi;
  if (length + 8 > bytes.length) return -1;
  let p = offset;
  out[p++] = innerType;
  out[p++] = n & 0xff;
  out[p++] = (n >>> 8) & 0xff;
  out[p++] = (n >>> 16) & 0xff;
  out[p++] = (n >>> 24) & 0xff;
  out[p++] = k;
  out[p++] = distinct - 1;
  let slot = 0;
  for (let v = 0; v < 256; v++) {
    if (seen[v] === 1) {
      slotOf[v] = slot++;
      out[p++] = v;
    }
  }
  if (k > 0) {
    let acc = 0;
    let bits = 0;
    for (let i = hi; i < bytes.length; i += width) {
      acc |= slotOf[bytes[i]!]! << bits;
      bits += k;
      if (bits >= 8) {
        out[p++] = acc & 0xff;
        acc >>>= 8;
        bits -= 8;
      }
    }
    if (bits > 0) out[p++] = acc & 0xff;
  }
  // the low bytes, element after element
  if (width === 4) {
    for (let i = 0; i < bytes.length; i += 4) {
      out[p] = bytes[i]!;
      out[p + 1] = bytes[i + 1]!;
      out[p + 2] = bytes[i + 2]!;
      p += 3;
    }
  } else {
    for (let i = 0; i < bytes.length; i += width) {
      for (let b = 0; b < hi; b++) out[p++] = bytes[i + b]!;
    }
  }
  return p - offset;
}

/**
 * Unpacks a PLANES payload into a fresh, aligned buffer of little-endian elements.
 * @param maxBytes largest output accepted (a small payload may declare a huge n)
 * @throws RangeError on anything malformed
 */
export function unpackPlanes(data: Uint8Array, maxBytes: number): { innerType: number; buffer: ArrayBuffer } {
  if (data.length < 7) throw new RangeError('planes payload shorter than its header');
  const innerType = data[0]!;
  const width = elementWidth(innerType);
  if (width === 0) throw new RangeError(`planes of unknown element type ${innerType}`);
  const n = data[1]! + data[2]! * 0x100 + data[3]! * 0x10000 + data[4]! * 0x1000000;
  if (n * width > maxBytes) throw new RangeError(`planes declare ${n * width} bytes (limit ${maxBytes})`);
  const k = data[5]!;
  if (k > 6) throw new RangeError(`planes index width ${k}`);
  const paletteLength = data[6]! + 1;
  if (paletteLength > 1 << k) throw new RangeError('planes palette longer than its indices allow');
  const hi = width - 1;
  const indexBytes = Math.ceil((n * k) / 8);
  const expected = 7 + paletteLength + indexBytes + n * hi;
  if (data.length !== expected) throw new RangeError(`planes payload of ${data.length} bytes, expected ${expected}`);
  const palette = data.subarray(7, 7 + paletteLength);
  const buffer = new ArrayBuffer(n * width);
  let q = 7 + paletteLength; // indices
  let low = q + indexBytes; // low bytes
  const mask = (1 << k) - 1;
  let acc = 0;
  let bits = 0;
  if (width === 4) {
    // the common case (float32 embeddings): one 32-bit store per element; a bad
    // index is detected once after the loop (bad < 0), not branched on per element
    const out32 = new Uint32Array(buffer);
    const top = new Uint32Array(1 << k);
    for (let i = 0; i < paletteLength; i++) top[i] = palette[i]! << 24;
    const last = paletteLength - 1;
    let bad = 0;
    for (let i = 0; i < n; i++) {
      if (bits < k) {
        acc |= data[q++]! << bits;
        bits += 8;
      }
      const slot = acc & mask;
      acc >>>= k;
      bits -= k;
      bad |= last - slot;
      out32[i] = (data[low]! | (data[low + 1]! << 8) | (data[low + 2]! << 16) | top[slot]!) >>> 0;
      low += 3;
    }
    if (bad < 0) throw new RangeError('planes index beyond its palette');
    return { innerType, buffer };
  }
  const out = new Uint8Array(buffer);
  for (let o = 0; o < out.length; o += width) {
    let slot = 0;
    if (k > 0) {
      if (bits < k) {
        acc |= data[q++]! << bits;
        bits += 8;
      }
      slot = acc & mask;
      acc >>>= k;
      bits -= k;
      if (slot >= paletteLength) throw new RangeError('planes index beyond its palette');
    }
    for (let b = 0; b < hi; b++) out[o + b] = data[low++]!;
    out[o + hi] = palette[slot]!;
  }
  return { innerType, buffer };
}

