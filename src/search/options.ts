/**
 * Options of the similarity index and the inputs of its queries, as zod schemas
 * (the HTTP layer can reuse them) with documented defaults.
 */
import { z } from 'zod';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import { probeCount } from './probe.js';

/** Most bucket probes one query may need at maxRadius (checked at construction). */
export const MAX_PROBES = 50_000;

/** Hard ceiling on maxRadius: the probe count grows combinatorially with the radius. */
export const RADIUS_CEILING = 16;

export const similarityOptionsSchema = z.object({
  /** Feature fields indexed, each holding a 64-bit hash as 16 hex digits. @default ['phash'] */
  fields: z.array(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/)).min(1).max(4).default(['phash']),
  /** Expected number of indexed images; picks `tables`, the shard counts. @default 1_000_000 */
  expectedImages: z.number().int().min(1).max(10_000_000_000).default(1_000_000),
  /** Number of tables m (substrings); default chosen from expectedImages (see chooseTables). */
  tables: z.number().int().min(1).max(16).optional(),
  /** Largest maxDistance a query may ask for. @default 12, or less when m is so small that 12 needs over MAX_PROBES probes */
  maxRadius: z.number().int().min(0).max(RADIUS_CEILING).optional(),
  /** Entries kept per bucket; a fuller bucket is marked capped and queries report it. @default 4096 */
  bucketCap: z.number().int().min(16).max(1_000_000).default(4096),
  /** Most neighbours a query may return. @default 1000 */
  maxLimit: z.number().int().min(1).max(100_000).default(1000),
  /** Split each table over 2^tableShardBits keys (spread over Cluster nodes); default from expectedImages. */
  tableShardBits: z.number().int().min(0).max(12).optional(),
  /** 2^dictionaryBits image-ID dictionary shards; default from expectedImages (~64 IDs per shard). */
  dictionaryBits: z.number().int().min(0).max(24).optional(),
});

export type SimilarityOptions = z.input<typeof similarityOptionsSchema>;

export interface ResolvedSimilarityOptions {
  fields: string[];
  expectedImages: number;
  tables: number;
  maxRadius: number;
  bucketCap: number;
  maxLimit: number;
  tableShardBits: number;
  dictionaryBits: number;
}

/**
 * m for N expected images. Norouzi et al. suggest m = 64 / log2 N (one entry per
 * bucket). Stored as Redis hash fields, an empty-ish bucket costs ~50 bytes of
 * overhead, so we keep ~16 entries per bucket: m = round(64 / (log2 N - 4)),
 * within 2..8. N = 1e5 -> 5, 1e6 -> 4, 1e7 -> 3, 1e8 -> 3, 1e9 -> 2.
 */
export function chooseTables(expectedImages: number): number {
  const bits = Math.log2(Math.max(2, expectedImages)) - 4;
  return Math.min(8, Math.max(2, Math.round(64 / Math.max(1, bits))));
}

/** Options -> resolved options; INVALID_OPTIONS when malformed. */
export function resolveSimilarityOptions(options: SimilarityOptions = {}): ResolvedSimilarityOptions {
  const parsed = similarityOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FeatureCacheError(
      ErrorCodes.INVALID_OPTIONS,
      `invalid similarity option ${issue?.path.join('.') || 'options'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const o = parsed.data;
  const n = o.expectedImages;
  const tables = o.tables ?? chooseTables(n);
  const lens = Array.from({ length: tables }, (_, i) => Math.floor(64 / tables) + (i < 64 % tables ? 1 : 0));
  let maxRadius = o.maxRadius ?? 12;
  if (o.maxRadius === undefined) while (maxRadius > 0 && probeCount(maxRadius, lens) > MAX_PROBES) maxRadius--;
  const probes = probeCount(maxRadius, lens);
  if (probes > MAX_PROBES) {
    throw new FeatureCacheError(
      ErrorCodes.INVALID_OPTIONS,
      `maxRadius ${maxRadius} with ${tables} tables needs ${probes} bucket probes per query (limit ${MAX_PROBES}): lower maxRadius or raise tables`,
    );
  }
  return {
    fields: [...new Set(o.fields)],
    expectedImages: n,
    tables,
    maxRadius,
    bucketCap: o.bucketCap,
    maxLimit: o.maxLimit,
    // ~4M entries per table key at most, so one key never holds a whole huge table
    tableShardBits: o.tableShardBits ?? Math.min(8, Math.max(0, Math.ceil(Math.log2(n / 4_194_304)))),
    dictionaryBits: o.dictionaryBits ?? Math.min(24, Math.max(0, Math.ceil(Math.log2(n / 64)))),
  };
}

/** Inputs of searchSimilar (besides the query), for validation by the HTTP layer. */
export const searchOptionsSchema = z.object({
  /** Largest Hamming distance returned (0..maxRadius). */
  maxDistance: z.number().int().min(0).max(RADIUS_CEILING),
  /** Most neighbours returned. @default 100 (or maxLimit when lower) */
  limit: z.number().int().min(1).max(100_000).optional(),
  /** Include each neighbour's features. @default false */
  withFeatures: z.boolean().default(false),
  /** Include the query image itself (imageId queries). @default false */
  includeSelf: z.boolean().default(false),
});

export type SearchOptions = z.input<typeof searchOptionsSchema>;

/** The query: a hash of an indexed field, or a cached image whose hash is used. */
export const similarQuerySchema = z.union([
  z.object({ imageId: z.string().min(1), field: z.string().optional() }),
  z.object({ hash: z.string().regex(/^[0-9a-fA-F]{16}$/), field: z.string().optional() }),
  z.object({ phash: z.string().regex(/^[0-9a-fA-F]{16}$/) }),
  z.object({ dhash: z.string().regex(/^[0-9a-fA-F]{16}$/) }),
]);

export type SimilarQuery =
  | { imageId: string; field?: string }
  | { hash: string; field?: string }
  | { phash: string }
  | { dhash: string };

/** Inputs of compareSet. */
export const compareOptionsSchema = z.object({
  maxDistance: z.number().int().min(0).max(64),
  /** @default 'phash' */
  field: z.string().default('phash'),
  /** Most IDs in one call. @default 10000 */
  maxIds: z.number().int().min(2).max(100_000).default(10_000),
});

export type CompareOptions = z.input<typeof compareOptionsSchema>;

/** Throws INVALID_ARGUMENT with the first zod issue. */
export function parseArgs<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `invalid ${what} ${issue?.path.join('.') || ''}: ${issue?.message ?? 'invalid'}`.trim(), {
      details: { path: issue?.path.join('.') },
    });
  }
  return parsed.data;
}
