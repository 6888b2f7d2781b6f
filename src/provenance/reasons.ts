/** Plain-words reasons of a verdict, each phrase written once. */

export const REASON = Object.freeze({
  identicalFile: 'identical file',
  resizedCopy: 'resized or recompressed copy',
  mirrored: 'mirrored',
  sharesRegion: 'shares a region (overlay or splice)',
  lowTexture: 'not enough texture to decide',
  nothingShared: 'no shared content found',
  viewpoint: 'geometry alone cannot tell the same scene seen from another angle from an edited copy',
});

/** "cropped: B is 52% of A" (`part` is the fraction of `whole` it shows). */
export function croppedReason(part: 'A' | 'B', whole: 'A' | 'B', fraction: number): string {
  return `cropped: ${part} is ${Math.round(fraction * 100)}% of ${whole}`;
}

/** "rotated 90°", "rotated 10° counterclockwise"; null for no rotation. */
export function rotatedReason(rotationDeg: number): string | null {
  const r = Math.round(rotationDeg);
  if (r === 0) return null;
  if (Math.abs(r) === 180) return 'rotated 180°';
  return r > 0 ? `rotated ${r}°` : `rotated ${-r}° counterclockwise`;
}

/** "judged by perceptual hash (distance 4 of 64)": the verdict rests on a whole-image hash only. */
export function hashReason(distance: number): string {
  return `judged by perceptual hash (distance ${distance} of 64)`;
}

/** "low texture: matched by appearance — B looks like a 50% crop of A (no keypoints to confirm geometry)". */
export function appearanceReason(seen: string): string {
  return `low texture: matched by appearance — ${seen} (no keypoints to confirm geometry)`;
}

/**
 * A same-frame appearance match of two textured images (beside "shares a region"):
 * "B shares its left half with A at the same position, judged by appearance (the keypoints lie elsewhere)".
 */
export function sameFrameReason(match: { kind: 'overlay' } | { kind: 'splice'; half: 'left' | 'right' | 'top' | 'bottom' }): string {
  const seen = match.kind === 'splice' ? `B shares its ${match.half} half with A at the same position` : 'B is A but for a region (a pasted patch)';
  return `${seen}, judged by appearance (the keypoints lie elsewhere)`;
}
