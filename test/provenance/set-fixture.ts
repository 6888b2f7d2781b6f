/**
 * A set of generated textured images and edited copies with known relations,
 * shared by the analyzeSet, HTTP and CLI tests (no photographs in `npm test`):
 * - a-source and its crop (70%), free rotation (10°), quarter turn (90°) and mirror image;
 * - b-source, c-source and a splice of their halves (b-c-splice);
 * - d-source with an overlay of a patch of e-source (d-overlay): d, e and the overlay;
 * - f-source and a byte-identical copy (f-copy);
 * - g-source and h-source, related to nothing.
 */
import { applyEdit, type EditName } from '../../bench/provenance/edits.js';
import { texturedImage } from '../../bench/provenance/textures.js';

export interface SetImage {
  id: string;
  data: Buffer;
}

/** The related groups, each in the order of SET_ORDER. */
export const EXPECTED_GROUPS: readonly string[][] = [
  ['a-source', 'a-crop70', 'a-rotate10', 'a-rotate90', 'a-mirror'],
  ['b-source', 'c-source', 'b-c-splice'],
  ['d-source', 'e-source', 'd-overlay'],
  ['f-source', 'f-copy'],
];

/** IDs in the order the tests pass them. */
export const SET_ORDER = [
  'a-source', 'b-source', 'c-source', 'd-source', 'e-source', 'f-source', 'g-source', 'h-source',
  'a-crop70', 'a-rotate10', 'a-rotate90', 'a-mirror', 'b-c-splice', 'd-overlay', 'f-copy',
] as const;

const SIZE = { width: 480, height: 360 };

/** Builds the images (PNG) in SET_ORDER; ~1 s. */
export async function buildSet(): Promise<SetImage[]> {
  const seeds = { a: 11, b: 12, c: 13, d: 14, e: 15, f: 16, g: 17, h: 18 } as const;
  const src: Record<string, Buffer> = {};
  for (const [k, seed] of Object.entries(seeds)) src[k] = await texturedImage(seed, SIZE);
  const edit = (e: EditName, of: string, donor?: string) => applyEdit(e, src[of]!, donor ? src[donor] : undefined, { format: 'png', seed: 3 });
  const byId: Record<string, Buffer> = {
    ...Object.fromEntries(Object.entries(src).map(([k, v]) => [`${k}-source`, v])),
    'a-crop70': await edit('crop70', 'a'),
    'a-rotate10': await edit('rotate10', 'a'),
    'a-rotate90': await edit('rotate90', 'a'),
    'a-mirror': await edit('mirror', 'a'),
    'b-c-splice': await edit('splice', 'b', 'c'),
    'd-overlay': await edit('overlay', 'd', 'e'),
    'f-copy': Buffer.from(src.f!),
  };
  return SET_ORDER.map((id) => ({ id, data: byId[id]! }));
}
