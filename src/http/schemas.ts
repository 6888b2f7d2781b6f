/**
 * zod schemas of every path parameter, query and body, plus the response shapes
 * (used only to generate the OpenAPI document). Built once per app because the
 * limits come from the config.
 */
import { z } from 'zod';
import { keyNameProblem } from '../cache/validate.js';
import { ttlSecondsRule } from '../rules.js';
import { SOURCE_CHOICES } from '../sources.js';
import { nonFinitePath } from './finite.js';

export interface SchemaLimits {
  maxBatch: number;
  maxImageIdBytes: number;
}

/** Which records a read looks at: client-stored, extracted (POST /analysis/features, `featcache ingest`), or stored then extracted. */
export const sourceChoiceSchema = z
  .enum(SOURCE_CHOICES)
  .default('any')
  .describe('`stored` (PUT, batch-set), `extracted` (POST /analysis/features, `featcache ingest`) or `any`: stored first, then extracted');

/** A record as the API returns it. */
export const recordSchema = z
  .object({
    image_id: z.string(),
    version: z.string(),
    features: z.record(z.string(), z.unknown()).describe('feature type -> value; typed arrays are number arrays in JSON, ext values in msgpack'),
    created_at: z.string().describe('ISO 8601 time of the write'),
    source: z.enum(['stored', 'extracted']).describe('where the record was read: client-stored or extracted').optional(),
  })
  .meta({ id: 'FeatureRecord' });

export const errorSchema = z
  .object({
    success: z.literal(false),
    error: z.object({ code: z.string(), message: z.string() }),
  })
  .meta({ id: 'Error' });

const featuresSchema = z
  .record(z.string().min(1, 'feature type must not be empty'), z.any())
  .superRefine((features, ctx) => {
    const path = nonFinitePath(features);
    if (path !== undefined) ctx.addIssue({ code: 'custom', path, message: 'NaN and Infinity are not accepted (JSON cannot carry them back)' });
  })
  .describe('feature type (fast, orb, phash, embedding, ...) -> value; numbers must be finite');

/** Builds the request schemas for the configured limits. */
export function buildSchemas(limits: SchemaLimits) {
  const { maxBatch, maxImageIdBytes } = limits;
  // the library's own check (src/cache/validate.ts), so HTTP and library refuse the same names with the same words
  const key = (what: string) =>
    z.string().superRefine((s, ctx) => {
      const problem = keyNameProblem(s, maxImageIdBytes, what);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    });

  const imageId = key('image ID');
  const group = key('group name');
  const ttlSeconds = ttlSecondsRule.describe('TTL override; 0 = no expiry');
  const groups = z.array(group).max(64).describe('groups the image joins');
  const types = z.array(z.string().min(1)).min(1).max(64);

  return {
    /** One image ID (1..maxImageIdBytes UTF-8 bytes, no control characters). */
    imageId,
    imageParams: z.object({ image_id: imageId }),
    groupParams: z.object({ group }),
    getImageQuery: z.object({
      types: z
        .string()
        .optional()
        .describe('comma-separated feature types to return (default: all)')
        .transform((s) => (s ? s.split(',').map((t) => t.trim()).filter(Boolean) : undefined)),
      source: sourceChoiceSchema,
    }),
    imageMetaQuery: z.object({ source: sourceChoiceSchema }),
    putImageBody: z.strictObject({
      features: featuresSchema,
      ttl_seconds: ttlSeconds.optional(),
      groups: groups.optional(),
    }),
    batchGetBody: z.strictObject({
      image_ids: z.array(imageId).min(1, 'image_ids must not be empty').max(maxBatch, `at most ${maxBatch} image_ids per request`),
      types: types.optional().describe('feature types to return (default: all)'),
      source: sourceChoiceSchema,
    }),
    batchSetBody: z.strictObject({
      items: z
        .array(
          z.strictObject({
            image_id: imageId,
            features: featuresSchema,
            ttl_seconds: ttlSeconds.optional(),
            groups: groups.optional(),
          }),
        )
        .min(1, 'items must not be empty')
        .max(maxBatch, `at most ${maxBatch} items per request`),
    }),
  };
}

export type Schemas = ReturnType<typeof buildSchemas>;

/** Response shapes, for the OpenAPI document. */
export const responses = {
  record: recordSchema.extend({ success: z.literal(true) }),
  message: z.object({ success: z.boolean(), message: z.string() }),
  put: z.object({ success: z.literal(true), image_id: z.string(), version: z.string() }),
  imageMeta: z.object({
    success: z.literal(true),
    image_id: z.string(),
    source: z.enum(['stored', 'extracted']),
    version: z.string(),
    ttl_seconds: z.number().int().nullable().describe('whole seconds left (rounded up); null: no expiry'),
    stored_bytes: z.number().int().describe('bytes of the encoded record (STRLEN)'),
    memory_bytes: z.number().int().nullable().describe('MEMORY USAGE of the key; null where Redis refuses it'),
    groups: z.array(z.string()),
    groups_complete: z.boolean().describe('false: the bounded SCAN of group keys stopped early, groups may miss some'),
  }),
  batchGet: z.object({
    success: z.literal(true),
    found: z.record(z.string(), recordSchema),
    missing: z.array(z.string()),
  }),
  batchSet: z.object({ success: z.literal(true), written: z.number().int(), requested: z.number().int() }),
  group: z.object({ success: z.literal(true), group: z.string(), image_ids: z.array(z.string()), count: z.number().int() }),
  groupDelete: z.object({ success: z.literal(true), group: z.string(), invalidated: z.number().int(), message: z.string() }),
  stats: z.object({ success: z.literal(true), stats: z.record(z.string(), z.unknown()) }),
  health: z.object({
    status: z.enum(['healthy', 'unhealthy']),
    redis_connected: z.boolean(),
    latency_ms: z.number().nullable(),
    used_memory: z.number().nullable(),
    connected_clients: z.number().nullable(),
    uptime_seconds: z.number().nullable(),
    topology: z.record(z.string(), z.unknown()),
    reason: z.string().optional(),
  }),
  cleanup: z.object({ success: z.literal(true), cleaned_keys: z.number().int(), message: z.string() }),
  probe: z.object({ status: z.string(), reason: z.string().optional() }),
};
