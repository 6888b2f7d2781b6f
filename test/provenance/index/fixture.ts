/**
 * Shared fixture of the provenance-index tests: generated textured sources
 * (bench/provenance/textures.ts), their records as the cache stores extracted
 * features, and edits of them (test/provenance/edits.ts) as queries.
 */
import { extractFeatures } from '../../../src/features/index.js';
import type { Features } from '../../../src/types.js';
import { texturedImage } from '../../../bench/provenance/textures.js';
import { QUERY_EXTRACTORS } from '../../../src/provenance/index/query-features.js';

export interface Source {
  imageId: string;
  image: Buffer;
  features: Features;
}

export async function featuresOf(image: Buffer): Promise<Features> {
  return (await extractFeatures(image, { extractors: [...QUERY_EXTRACTORS] }));
}

/** `count` textured images with their features, IDs src-<i>. */
export async function sources(count: number, seed = 700): Promise<Source[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const image = await texturedImage(seed + i);
      return { imageId: `src-${i}`, image, features: await featuresOf(image) };
    }),
  );
}
