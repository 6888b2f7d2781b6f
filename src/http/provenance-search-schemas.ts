/**
 * zod schemas of POST /analysis/provenance (searchProvenance over HTTP): the
 * JSON body, the upload fields and the response shape.
 */
import { z } from 'zod';
import { PROVENANCE_SEARCH_DEFAULTS } from '../provenance/index/options.js';
import type { Schemas } from './schemas.js';

const verdict = z.enum(['identical', 'near_duplicate', 'derived', 'unrelated']);

export function buildProvenanceSearchSchemas(base: Schemas, limits: { maxLimit: number }) {
  const limit = z.number().int().min(1).max(limits.maxLimit);
  const verify = z.union([z.number().int().min(0).max(limits.maxLimit), z.literal(false)]);
  const intText = (inner: z.ZodNumber) => z.string().regex(/^\d+$/, 'must be a non-negative integer').transform(Number).pipe(inner);
  const boolText = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
  const descriptions = {
    limit: `most candidates of each tier (default ${PROVENANCE_SEARCH_DEFAULTS.limit}, at most ${limits.maxLimit})`,
    verify: 'at most how many top-ranked candidates to verify geometrically (default: limit; false: none; hosts stop early at a clear winner; up to twice as many more are screened when no host among them is related)',
    donors: 'two-tier search: search again with the keypoints the verified hosts do not explain (default true)',
    texture_poor: 'texture-poor tier: images with few or no ORB keypoints proposed by colour statistics and verified by appearance (default true)',
  };
  const body = z.strictObject({
    image_id: base.imageId.describe('a cached image (extracted record): where does it come from? (itself excluded)'),
    limit: limit.optional().describe(descriptions.limit),
    verify: verify.optional().describe(descriptions.verify),
    donors: z.boolean().optional().describe(descriptions.donors),
    texture_poor: z.boolean().optional().describe(descriptions.texture_poor),
  });
  const upload = z.object({
    limit: intText(limit).optional().describe(descriptions.limit),
    verify: z
      .union([z.literal('false').transform(() => false as const), intText(z.number().int().min(0).max(limits.maxLimit))])
      .optional()
      .describe(descriptions.verify),
    donors: boolText.optional().describe(descriptions.donors),
    texture_poor: boolText.optional().describe(descriptions.texture_poor),
  });
  return { body, upload };
}

export const provenanceSearchResponse = z.object({
  success: z.literal(true),
  image_id: z.string().nullable().describe('the queried image; null for uploads'),
  candidates: z
    .array(
      z.object({
        image_id: z.string(),
        votes: z.number().int().describe('exact descriptor chunks shared with the query (identity or mirrored query, the better)'),
        tier: z
          .enum(['host', 'donor', 'appearance'])
          .describe('found by the first search, by the search with the keypoints the hosts do not explain, or by the texture-poor tier (appearance, 0 votes)'),
        verdict: verdict.optional().describe('present when verified (the candidate as A, the query as B)'),
        inliers: z.number().int().optional(),
        reasons: z.array(z.string()).optional().describe('plain words: "cropped: B is 52% of A", "mirrored", "shares a region (overlay or splice)", ...'),
      }),
    )
    .describe('related (verified) candidates first by inliers, then the others by rarity-weighted votes'),
  timings_ms: z.object({
    extract: z.number().optional(),
    index: z.number(),
    verify: z.number(),
    donors: z.number().optional(),
    appearance: z.number().optional(),
    total: z.number(),
  }),
});
