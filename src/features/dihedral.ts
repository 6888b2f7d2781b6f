/**
 * Dihedral pHash: the pHash of the image under each of the 8 rotations and mirrorings
 * (the dihedral group of the square), all from ONE DCT — the idea Meta's PDQ uses for
 * its dihedral hashes. With `C[k][l]` the 2-D DCT-II of the 32x32 grey image (`k`
 * vertical, `l` horizontal frequency):
 *
 * - a horizontal mirror (x -> N-1-x) multiplies column `l` by (-1)^l;
 * - a vertical flip multiplies row `k` by (-1)^k;
 * - a transpose (swap of x and y) transposes C.
 *
 * Every orientation is a transpose or not, then sign flips of odd rows and/or odd
 * columns; the median and the bits are then taken as for pHash. Index 0 is pHash itself.
 * Orientation `o` names the transform applied to the image: `rot90` is the pHash of the
 * image rotated 90° clockwise; `mirror_rot90` of the image mirrored, then rotated 90°
 * clockwise.
 */
import { bitsToHex } from './hex.js';
import { bitsOfBlock, PHASH_SIZE } from './phash.js';

/** The 8 orientations in phash_dihedral order (index 0 = identity = phash). */
export const DIHEDRAL_ORIENTATIONS = Object.freeze([
  'identity',
  'rot90',
  'rot180',
  'rot270',
  'mirror',
  'mirror_rot90',
  'mirror_rot180',
  'mirror_rot270',
] as const);

export type DihedralOrientation = (typeof DIHEDRAL_ORIENTATIONS)[number];

/** How each orientation changes the DCT block: transpose first, then negate odd rows / odd columns. */
interface BlockTransform {
  readonly transpose: boolean;
  readonly oddRows: boolean;
  readonly oddCols: boolean;
}

// rot90 (clockwise) = mirror(transpose); rot270 = vertical flip(transpose); rot180 = both flips;
// the mirrored ones compose these with a mirror applied first.
const TRANSFORMS: Readonly<Record<DihedralOrientation, BlockTransform>> = Object.freeze({
  identity: { transpose: false, oddRows: false, oddCols: false },
  rot90: { transpose: true, oddRows: false, oddCols: true },
  rot180: { transpose: false, oddRows: true, oddCols: true },
  rot270: { transpose: true, oddRows: true, oddCols: false },
  mirror: { transpose: false, oddRows: false, oddCols: true },
  mirror_rot90: { transpose: true, oddRows: true, oddCols: true },
  mirror_rot180: { transpose: false, oddRows: true, oddCols: false },
  mirror_rot270: { transpose: true, oddRows: false, oddCols: false },
});

/** The low-frequency block of the image under orientation `o`, from the block of the image. */
export function orientBlock(block: ArrayLike<number>, o: DihedralOrientation, size = PHASH_SIZE): Float64Array {
  const t = TRANSFORMS[o];
  const out = new Float64Array(size * size);
  for (let k = 0; k < size; k++) {
    for (let l = 0; l < size; l++) {
      let v = t.transpose ? block[l * size + k]! : block[k * size + l]!;
      if ((t.oddRows && k % 2 === 1) !== (t.oddCols && l % 2 === 1)) v = -v;
      out[k * size + l] = v;
    }
  }
  return out;
}

/** The 8 dihedral pHashes (16 hex digits each, DIHEDRAL_ORIENTATIONS order) from one pHash block. */
export function dihedralHashes(block: ArrayLike<number>): string[] {
  return DIHEDRAL_ORIENTATIONS.map((o) => bitsToHex(bitsOfBlock(orientBlock(block, o))));
}
