/**
 * 64-bit perceptual hashes (16 hex digits, as extractFeatures writes them):
 * parsing, byte packing and popcount helpers shared by the index and compareSet.
 */
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import { HASH64_HEX } from '../rules.js';

/** True when `v` is a 64-bit hash as 16 hex digits. */
export function isHash64(v: unknown): v is string {
  return typeof v === 'string' && HASH64_HEX.test(v);
}

/** Parses 16 hex digits into a bigint; throws INVALID_ARGUMENT otherwise. */
export function parseHash64(hex: unknown, what = 'hash'): bigint {
  if (!isHash64(hex)) {
    throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `${what} must be 16 hex digits (a 64-bit hash)`, {
      details: { field: what },
    });
  }
  return BigInt(`0x${hex}`);
}

/** The hash as 16 lowercase hex digits. */
export function hashToHex(h: bigint): string {
  return h.toString(16).padStart(16, '0');
}

/** The hash as 8 big-endian bytes. */
export function hashToBytes(h: bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(h);
  return b;
}

/** 8 big-endian bytes at `offset` -> hash. */
export function bytesToHash(b: Buffer, offset = 0): bigint {
  return b.readBigUInt64BE(offset);
}

/** Bits set in each byte value. */
export const POPCOUNT8: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let i = 1; i < 256; i++) t[i] = (i & 1) + t[i >> 1]!;
  return t;
})();

/** Bits set in a 32-bit integer. */
export function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** Hamming distance of two hashes. */
export function hamming64(a: bigint, b: bigint): number {
  const x = a ^ b;
  return popcount32(Number(x >> 32n)) + popcount32(Number(x & 0xffffffffn));
}

/** The high 32 bits of a hash (unsigned). */
export function hashHi(h: bigint): number {
  return Number(h >> 32n);
}

/** The low 32 bits of a hash (unsigned). */
export function hashLo(h: bigint): number {
  return Number(h & 0xffffffffn);
}

/** (hi, lo) halves -> hash. */
export function partsToHash(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** (hi, lo) halves -> 16 lowercase hex digits. */
export function partsToHex(hi: number, lo: number): string {
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}
