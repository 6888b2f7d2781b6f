/**
 * A small edit history of generated textured images with its true provenance,
 * shared by the provenanceGraph library and HTTP tests (no photographs in `npm test`):
 * - s -> crop (70%) -> crop-jpeg (re-encoded at JPEG q50: no measurable order);
 * - s -> small (0.5 downscale), s -> rot (10° with blank corners);
 * - p + q -> splice (halves of each), u + a patch of p -> overlay (two composites;
 *   p gives content to both, and is no composite itself);
 * - lone: related to nothing.
 */
import { applyEdit } from '../../bench/provenance/edits.js';
import { texturedImage } from '../../bench/provenance/textures.js';

const SIZE = { width: 480, height: 360 };

/** IDs in the order the tests pass them. */
export const HISTORY_ORDER = ['s', 'crop', 'crop-jpeg', 'small', 'rot', 'p', 'q', 'splice', 'u', 'overlay', 'lone'] as const;

/** The true edges, source first. */
export const HISTORY_EDGES: ReadonlyArray<{ from: string; to: string }> = [
  { from: 's', to: 'crop' },
  { from: 'crop', to: 'crop-jpeg' },
  { from: 's', to: 'small' },
  { from: 's', to: 'rot' },
  { from: 'p', to: 'splice' },
  { from: 'q', to: 'splice' },
  { from: 'u', to: 'overlay' },
  { from: 'p', to: 'overlay' },
];

/** Builds the images in HISTORY_ORDER (~1 s). */
export async function buildHistory(): Promise<Array<{ id: string; data: Buffer }>> {
  const [s, p, q, u, lone] = await Promise.all([21, 22, 23, 24, 25].map((seed) => texturedImage(seed, SIZE)));
  const png = { format: 'png' as const };
  const crop = await applyEdit('crop70', s!, undefined, { ...png, seed: 2 });
  const byId: Record<(typeof HISTORY_ORDER)[number], Buffer> = {
    s: s!,
    crop,
    'crop-jpeg': await applyEdit('jpeg50', crop),
    small: await applyEdit('scale50', s!, undefined, png),
    rot: await applyEdit('rotate10', s!, undefined, png),
    p: p!,
    q: q!,
    splice: await applyEdit('splice', p!, q, png),
    u: u!,
    overlay: await applyEdit('overlay', u!, p, { ...png, seed: 5 }),
    lone: lone!,
  };
  return HISTORY_ORDER.map((id) => ({ id, data: byId[id] }));
}
