/**
 * zod schemas of the image routes (features, similar, compare): JSON/msgpack
 * bodies, the text fields of uploads (strings, coerced), and the response
 * shapes for the OpenAPI document. Built once per app from the limits.
 */
import { z } from 'zod';
import { INDEXED_FIELDS } from '../config.js';
import { featureFieldRule, hash64Rule } from '../rules.js';
import { SIMILAR_DEFAULTS } from '../search/options.js';
import { DIHEDRAL_ORIENTATIONS } from '../features/dihedral.js';
import { recordSchema, type Schemas } from './schemas.js';

export interface ImageSchemaLimits {
  maxBatch: number;
  /** Largest max_distance of a similarity query (the index's maxRadius). */
  maxRadius: number;
  /** Largest limit of a similarity query (FEATCACHE_SEARCH_MAX_LIMIT). */
  searchMaxLimit: number;
}


const hex64 = hash64Rule;
const sourceSchema = z.enum(['extracted', 'stored']).describe('extracted records (default) or user-stored ones');
const indexedField = z.enum(INDEXED_FIELDS as [string, ...string[]]);
/** Any feature field holding a 16-hex-digit hash (compare needs no index). */
const hashField = featureFieldRule;

const QUERY_KEYS = ['image_id', 'phash', 'dhash', 'hash'] as const;

const orientationsSchema = z
  .enum(['identity', 'all'])
  .describe("'all': also find 90/180/270° rotations and mirror images of the query (its phash_dihedral on the phash index); default 'identity'");

/** Builds the schemas for the configured limits. */
export function buildImageSchemas(base: Schemas, limits: ImageSchemaLimits) {
  const defaultDistance = Math.min(SIMILAR_DEFAULTS.maxDistance, limits.maxRadius);
  const defaultLimit = Math.min(SIMILAR_DEFAULTS.limit, limits.searchMaxLimit);
  const maxDistance = z.number().int().min(0).max(limits.maxRadius, `at most ${limits.maxRadius} (the index's largest radius)`);
  const limit = z.number().int().min(1).max(limits.searchMaxLimit, `at most ${limits.searchMaxLimit} (FEATCACHE_SEARCH_MAX_LIMIT)`);

  // text fields of uploads arrive as strings
  const intText = (inner: z.ZodNumber) => z.string().regex(/^\d+$/, 'must be a non-negative integer').transform(Number).pipe(inner);
  const boolText = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

  const similarBody = z
    .strictObject({
      image_id: base.imageId.optional().describe('a cached image: its hash is the query (itself excluded unless include_self)'),
      phash: hex64.optional(),
      dhash: hex64.optional(),
      hash: hex64.optional().describe('a hash of `field`'),
      field: indexedField.optional().describe('the hash field of `hash` / `image_id` queries (default phash)'),
      max_distance: maxDistance.default(defaultDistance).describe(`largest Hamming distance (default ${defaultDistance})`),
      limit: limit.default(defaultLimit).describe(`most neighbours (default ${defaultLimit})`),
      with_features: z.boolean().default(false).describe("include each neighbour's features"),
      include_self: z.boolean().default(false).describe('include the queried image itself (image_id queries)'),
      orientations: orientationsSchema.default('identity'),
      source: sourceSchema.default('extracted'),
    })
    .superRefine((b, ctx) => {
      const given = QUERY_KEYS.filter((k) => b[k] !== undefined);
      if (given.length !== 1) {
        ctx.addIssue({ code: 'custom', message: `give exactly one of ${QUERY_KEYS.join(', ')}${given.length ? ` (got ${given.join(', ')})` : ''}` });
      }
      if (b.field !== undefined && (b.phash !== undefined || b.dhash !== undefined)) {
        ctx.addIssue({ code: 'custom', path: ['field'], message: 'field goes with hash or image_id; phash and dhash name their field' });
      }
      if (b.orientations === 'all' && b.image_id === undefined) {
        ctx.addIssue({ code: 'custom', path: ['orientations'], message: "orientations 'all' needs image_id (or an uploaded image): a single hash has no rotations" });
      }
    });

  const similarUpload = z.object({
    image_id: base.imageId.optional().describe('store the extracted features under this ID (needs the write scope); absent: extract without storing'),
    field: indexedField.optional().describe('the hash of the image to search by (default phash)'),
    max_distance: intText(maxDistance).optional().describe(`largest Hamming distance (default ${defaultDistance})`),
    limit: intText(limit).optional().describe(`most neighbours (default ${defaultLimit})`),
    with_features: boolText.optional().describe("include each neighbour's features (true/false)"),
    include_self: boolText.optional().describe('include the uploaded image itself when stored under image_id (true/false)'),
    orientations: orientationsSchema.optional(),
    source: sourceSchema.optional(),
  });

  const compareBody = z.strictObject({
    image_ids: z.array(base.imageId).min(1, 'image_ids must not be empty').max(limits.maxBatch, `at most ${limits.maxBatch} image_ids per request`),
    max_distance: z.number().int().min(0).max(64).default(SIMILAR_DEFAULTS.maxDistance).describe(`largest Hamming distance, 0..64 (default ${SIMILAR_DEFAULTS.maxDistance})`),
    field: hashField.default('phash').describe('the 64-bit hash field compared (default phash)'),
    source: sourceSchema.default('extracted'),
  });

  const featuresUpload = z.object({ image_id: base.imageId.describe('the ID the features are cached under (required)') });

  return { similarBody, similarUpload, compareBody, featuresUpload, defaultDistance, defaultLimit };
}

export type ImageSchemas = ReturnType<typeof buildImageSchemas>;

const neighbor = z.object({
  image_id: z.string(),
  distance: z.number().int(),
  hash: z.string(),
  orientation: z
    .enum(DIHEDRAL_ORIENTATIONS)
    .optional()
    .describe("orientations 'all' only: the orientation of the query this image matched (rot90: it looks like the query rotated 90° clockwise)"),
  features: z.record(z.string(), z.unknown()).optional(),
});

/** Response shapes, for the OpenAPI document. */
export const imageResponses = {
  features: z.object({
    success: z.literal(true),
    image_id: z.string(),
    version: z.string(),
    cached: z.boolean().describe('true when the features came from the cache'),
    features: recordSchema.shape.features,
  }),
  similar: z.object({
    success: z.literal(true),
    source: z.enum(['extracted', 'stored']),
    field: z.string(),
    hash: z.string().describe('the query hash'),
    max_distance: z.number().int(),
    neighbors: z.array(neighbor).describe('nearest first; ties by image_id'),
    has_more: z.boolean().describe('more neighbours within max_distance than limit'),
    truncated: z.boolean().describe('a probed bucket was capped (degenerate hash): results may be incomplete'),
    capped_buckets: z.number().int(),
    probes: z.number().int(),
    candidates: z.number().int(),
    orientations: z.literal('all').optional().describe("present with orientations 'all' (probes and candidates are then summed over the 8 searches)"),
    uploaded: z
      .object({ image_id: z.string().nullable(), stored: z.boolean(), cached: z.boolean() })
      .optional()
      .describe('uploads only: whether the image was stored, and whether its features came from the cache'),
  }),
  compare: z.object({
    success: z.literal(true),
    source: z.enum(['extracted', 'stored']),
    field: z.string(),
    max_distance: z.number().int(),
    pairs: z.array(z.object({ a: z.string(), b: z.string(), distance: z.number().int() })).describe('nearest first'),
    missing: z.array(z.string()).describe('IDs without a cached record'),
    without_hash: z.array(z.string()).describe('IDs whose record has no 64-bit hash in field'),
    compared: z.number().int(),
  }),
};
