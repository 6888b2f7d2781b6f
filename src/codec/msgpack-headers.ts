/**
 * msgpack headers (map, array, str, bin, ext) and 64-bit integers, written into
 * a Buffer at a position: shared by the record codec's BodyWriter and the HTTP
 * response encoder, which differ in what they write between the headers. Each
 * writer returns the position after what it wrote; the caller has made room
 * (at most 6 bytes for a header, 9 for an integer).
 */

/** Bytes of a msgpack array (or map) header for `n` elements. */
export function arrayHeaderBytes(n: number): number {
  return n < 16 ? 1 : n < 0x10000 ? 3 : 5;
}

/** Bytes of a msgpack ext header (incl. the type byte) for a payload of `size`. */
export function extHeaderBytes(size: number): number {
  if (size === 1 || size === 2 || size === 4 || size === 8 || size === 16) return 2;
  return size < 0x100 ? 3 : size < 0x10000 ? 4 : 6;
}

/** A 16-bit (`c16`) or 32-bit (`c32`) length header. */
function writeWide(b: Buffer, p: number, n: number, c16: number, c32: number): number {
  if (n < 0x10000) {
    b[p] = c16;
    b.writeUInt16BE(n, p + 1);
    return p + 3;
  }
  b[p] = c32;
  b.writeUInt32BE(n, p + 1);
  return p + 5;
}

/** fix / 16-bit / 32-bit length header (maps and arrays). */
function writeCount(b: Buffer, p: number, n: number, fix: number, c16: number, c32: number): number {
  if (n >= 16) return writeWide(b, p, n, c16, c32);
  b[p] = fix | n;
  return p + 1;
}

/** 8 / 16 / 32-bit length header (str8.., bin8.., ext8..). */
function writeSized(b: Buffer, p: number, n: number, c8: number, c16: number, c32: number): number {
  if (n >= 0x100) return writeWide(b, p, n, c16, c32);
  b[p] = c8;
  b[p + 1] = n;
  return p + 2;
}

export function writeMapHeader(b: Buffer, p: number, n: number): number {
  return writeCount(b, p, n, 0x80, 0xde, 0xdf);
}

export function writeArrayHeader(b: Buffer, p: number, n: number): number {
  return writeCount(b, p, n, 0x90, 0xdc, 0xdd);
}

/** Header of a string of `n` UTF-8 bytes. */
export function writeStrHeader(b: Buffer, p: number, n: number): number {
  if (n < 32) {
    b[p] = 0xa0 | n;
    return p + 1;
  }
  return writeSized(b, p, n, 0xd9, 0xda, 0xdb);
}

/** Header of a bin of `n` bytes. */
export function writeBinHeader(b: Buffer, p: number, n: number): number {
  return writeSized(b, p, n, 0xc4, 0xc5, 0xc6);
}

/** Header of an ext of `size` payload bytes and type `type` (fixext when the size allows). */
export function writeExtHeader(b: Buffer, p: number, size: number, type: number): number {
  const fixext = size === 1 ? 0xd4 : size === 2 ? 0xd5 : size === 4 ? 0xd6 : size === 8 ? 0xd7 : size === 16 ? 0xd8 : 0;
  let q: number;
  if (fixext !== 0) {
    b[p] = fixext;
    q = p + 1;
  } else q = writeSized(b, p, size, 0xc7, 0xc8, 0xc9);
  b[q] = type;
  return q + 1;
}

/** A bigint as uint64 (>= 0) or int64; the caller checks the range. */
export function writeBigInt64(b: Buffer, p: number, v: bigint): number {
  if (v >= 0n) {
    b[p] = 0xcf;
    b.writeBigUInt64BE(v, p + 1);
  } else {
    b[p] = 0xd3;
    b.writeBigInt64BE(v, p + 1);
  }
  return p + 9;
}
