/** Hamming distance between hex-encoded hashes. */
import { ErrorCodes, FeatureCacheError } from '../errors.js';

const HEX = /^[0-9a-fA-F]*$/;

/** Number of set bits of a 32-bit integer. */
export function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/**
 * Number of differing bits between two hex hashes of equal length (any length;
 * 16 digits for our 64-bit hashes), compared 32 bits at a time.
 * Throws FeatureCacheError INVALID_ARGUMENT if either is not hex or lengths differ.
 */
export function hammingDistance(a: string, b: string): number {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length !== b.length || !HEX.test(a) || !HEX.test(b)) {
    throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, 'hammingDistance needs two hex strings of equal length', {
      details: { lengths: [typeof a === 'string' ? a.length : null, typeof b === 'string' ? b.length : null] },
    });
  }
  let d = 0;
  for (let i = 0; i < a.length; i += 8) {
    const end = Math.min(i + 8, a.length);
    d += popcount32((parseInt(a.slice(i, end), 16) ^ parseInt(b.slice(i, end), 16)) >>> 0);
  }
  return d;
}
