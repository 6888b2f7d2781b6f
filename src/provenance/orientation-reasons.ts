/**
 * Plain words for a dihedral orientation (index into the `phash_dihedral`
 * variants: identity, rot90, rot180, rot270 clockwise, mirror, mirror+rot90,
 * mirror+rot180, mirror+rot270; docs/FEATURES.md).
 */
const WORDS: ReadonlyArray<readonly string[]> = [
  [],
  ['rotated 90°'],
  ['rotated 180°'],
  ['rotated 270°'],
  ['mirrored'],
  ['mirrored', 'rotated 90°'],
  ['mirrored', 'rotated 180°'],
  ['mirrored', 'rotated 270°'],
];

/** The reasons that say how an image is turned or flipped relative to another ([] for the identity or an unknown index). */
export function orientationReasons(orientation: number): string[] {
  return [...(WORDS[orientation] ?? [])];
}
