/**
 * What the whole-image hashes of two records say: the same file (content
 * hash), the same picture (pHash), the same picture turned or mirrored
 * (dihedral pHash: B equals one of A's eight orientations).
 */
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import { DIHEDRAL_ORIENTATIONS } from '../features/dihedral.js';
import { hammingDistance } from '../features/hamming.js';
import type { VerifyInput } from './types.js';

/**
 * What each `phash_dihedral` orientation (DIHEDRAL_ORIENTATIONS: `rot90`,
 * `mirror_rot270`, ...) does to the image: the mirror (horizontal flip) first,
 * then the clockwise rotation, in (-180, 180].
 */
export const DIHEDRAL_TRANSFORMS: ReadonlyArray<{ rotationDeg: number; mirrored: boolean }> = Object.freeze(
  DIHEDRAL_ORIENTATIONS.map((name) => {
    const deg = Number(/rot(\d+)/.exec(name)?.[1] ?? 0);
    return { rotationDeg: deg > 180 ? deg - 360 : deg, mirrored: name.startsWith('mirror') };
  }),
);

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
