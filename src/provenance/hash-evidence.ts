/**
 * What the whole-image hashes of two records say: the same file (content
 * hash), the same picture (pHash), the same picture turned or mirrored
 * (dihedral pHash: B equals one of A's eight orientations).
 */
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import { hammingDistance } from '../features/hamming.js';
import type { VerifyInput } from './types.js';

/**
 * The eight orientations of `phash_dihedral`, in the contract's order: the
 * transform that turns the image into that variant (mirror = horizontal flip,
 * applied before the clockwise rotation).
 */
export const DIHEDRAL_TRANSFORMS: ReadonlyArray<{ rotationDeg: number; mirrored: boolean }> = Object.freeze([
  { rotationDeg: 0, mirrored: false },
  { rotationDeg: 90, mirrored: false },
  { rotationDeg: 180, mirrored: false },
  { rotationDeg: -90, mirrored: false },
  { rotationDeg: 0, mirrored: true },
  { rotationDeg: 90, mirrored: true },
  { rotationDeg: 180, mirrored: true },
  { rotationDeg: -90, mirrored: true },
]);

const HASH64 = /^[0-9a-f]{16}$/;

export interface HashEvidence {
  /** Both records carry a content hash and they are equal. */
  identicalFile: boolean;
  /** pHash distance as the images stand (null: a record has no pHash). */
  phashDistance: number | null;
  /** The nearest turned or mirrored orientation of A, when nearer than A as it stands. */
  orientation: { rotationDeg: number; mirrored: boolean; distance: number } | null;
}

function hash64(value: unknown, what: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !HASH64.test(value)) {
    throw new FeatureCacheError(ErrorCodes.INVALID_FEATURES, `${what} must be 16 lowercase hex digits`, { details: { field: what } });
  }
  return value;
}

function dihedral(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.length !== DIHEDRAL_TRANSFORMS.length) {
    throw new FeatureCacheError(ErrorCodes.INVALID_FEATURES, `phash_dihedral must hold ${DIHEDRAL_TRANSFORMS.length} hashes`, {
      details: { field: 'phash_dihedral' },
    });
  }
  return value.map((v, i) => hash64(v, `phash_dihedral[${i}]`)!);
}

export function hashEvidence(a: VerifyInput, b: VerifyInput): HashEvidence {
  const ca = a['content_hash'];
  const cb = b['content_hash'];
  const identicalFile = typeof ca === 'string' && ca.length > 0 && ca === cb;
  const da = dihedral(a['phash_dihedral']);
  const db = dihedral(b['phash_dihedral']);
  const pa = da?.[0] ?? hash64(a['phash'], 'phash');
  const pb = db?.[0] ?? hash64(b['phash'], 'phash');
  const phashDistance = pa !== null && pb !== null ? hammingDistance(pa, pb) : null;
  let orientation: HashEvidence['orientation'] = null;
  if (da && pb !== null) {
    // B compared with each orientation of A: B = orientation_i(A)
    for (let i = 1; i < da.length; i++) {
      const distance = hammingDistance(da[i]!, pb);
      if ((phashDistance === null || distance < phashDistance) && (!orientation || distance < orientation.distance)) {
        orientation = { ...DIHEDRAL_TRANSFORMS[i]!, distance };
      }
    }
  }
  return { identicalFile, phashDistance, orientation };
}
