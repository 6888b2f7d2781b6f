/**
 * Options of the similarity index and the inputs of its queries, as zod schemas
 * (the HTTP layer can reuse them) with documented defaults.
 */
import { z } from 'zod';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import { featureFieldRule, hash64Rule } from '../rules.js';
import { probeCount } from './probe.js';

/** Most bucket probes one query may need at maxRadius (checked at construction). */
export const MAX_PROBES = 50_000;

/** Most table entries one query may expect to read at maxRadius (probes x images per bucket; ~1.8 MB). */
export const MAX_EXPECTED_ENTRIES = 300_000;

/** Images per bucket the default bucketBits aims at. */
export const TARGET_BUCKET_FILL = 64;

/** Defaults of a similarity query or comparison of the service and the CLI (`max_distance`, `limit`). */
export const SIMILAR_DEFAULTS = { maxDistance: 8, limit: 50 } as const;

/** Hard ceiling on maxRadius: the probe count grows combinatorially with the radius. */
export const RADIUS_CEILING = 16;

export const similarityOptionsSchema = z.object({
  /** Feature fields indexed, each holding a 64-bit hash as 16 hex digits. @default ['phash'] */
  fields: z.array(featureFieldRule).min(1).max(4).default(['phash']),
  /** Expected number of indexed images; picks `tables`, the shard counts. @default 1_000_000 */
  expectedImages: z.number().int().min(1).max(10_000_000_000).default(1_000_000),
  /** Number of tables m (disjoint bucket fields); default chosen from expectedImages (see chooseTables). */
  tables: z.number().int().min(1).max(16).optional(),
  /** Bits of the hash naming a bucket in each table (F); default ~64 images per bucket: round(log2(expectedImages / 64)) within 8..24, at most 64 / tables. */
  bucketBits: z.number().int().min(1).max(32).optional(),
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
  bucketBits: number;
  maxRadius: number;
  bucketCap: number;
  maxLimit: number;
  tableShardBits: number;
  dictionaryBits: number;
}

/** F for N expected images: ~TARGET_BUCKET_FILL images per bucket, within 8..24 bits. */
export function defaultBucketBits(expectedImages: number): number {
  return Math.min(24, Math.max(8, Math.round(Math.log2(Math.max(1, expectedImages) / TARGET_BUCKET_FILL))));
}

/**
 * m for N expected images. Norouzi et al. pick m = 64 / log2 N (one image per
 * bucket), optimal for query time; in Redis every bucket is a hash field with
 * ~60-90 bytes of overhead and every table entry costs bytes per image, so we
 * keep ~64 images per bucket (F = log2(N / 64) bits) and the fewest tables
 * that keep a radius-8 query small: m = 3 while 3F <= 64 (N up to ~130M), else 2.
 */
export function chooseTables(expectedImages: number): number {
  return 3 * defaultBucketBits(expectedImages) <= 64 ? 3 : 2;
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
  const bucketBits = o.bucketBits ?? Math.min(defaultBucketBits(n), Math.floor(64 / tables));
  if (tables * bucketBits > 64) {
    throw new FeatureCacheError(ErrorCodes.INVALID_OPTIONS, `tables * bucketBits must be <= 64 (got ${tables} * ${bucketBits})`);
  }
  const lens = Array.from({ length: tables }, () => bucketBits);
  const fill = Math.max(1, n / 2 ** bucketBits);
  const tooBig = (r: number) => probeCount(r, lens) > MAX_PROBES || probeCount(r, lens) * fill > MAX_EXPECTED_ENTRIES;
  let maxRadius = o.maxRadius ?? 12;
  if (o.maxRadius === undefined) while (maxRadius > 0 && tooBig(maxRadius)) maxRadius--;
  if (tooBig(maxRadius)) {
    const probes = probeCount(maxRadius, lens);
    throw new FeatureCacheError(
      ErrorCodes.INVALID_OPTIONS,
      `maxRadius ${maxRadius} with ${tables} tables of ${bucketBits} bits needs ${probes} bucket probes (~${Math.round(probes * fill)} entries) per query (limits ${MAX_PROBES} / ${MAX_EXPECTED_ENTRIES}): lower maxRadius or raise tables`,
    );
  }
  return {
    fields: [...new Set(o.fields)],
    expectedImages: n,
    tables,
    bucketBits,
    maxRadius,
    bucketCap: o.bucketCap,
    maxLimit: o.maxLimit,
    // ~4M entries per table key at most, so one key never holds a whole huge table
    tableShardBits: Math.min(bucketBits, o.tableShardBits ?? Math.min(8, Math.max(0, Math.ceil(Math.log2(n / 4_194_304))))),
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
  /**
   * `all`: search the query's 8 rotations/mirrorings (its `phash_dihedral`) against the
   * `phash` index; each neighbour then says which orientation matched. @default 'identity'
   */
  orientations: z.enum(['identity', 'all']).default('identity'),
});

export type SearchOptions = z.input<typeof searchOptionsSchema>;

/** The query: a hash of an indexed field, or a cached image whose hash is used. */
export const similarQuerySchema = z.union([
  z.object({ imageId: z.string().min(1), field: z.string().optional() }),
  z.object({ hash: hash64Rule, field: z.string().optional() }),
  z.object({ phash: hash64Rule }),
  z.object({ dhash: hash64Rule }),
  z.object({ phash_dihedral: z.array(hash64Rule).length(8) }),
]);

export type SimilarQuery =
  | { imageId: string; field?: string }
  | { hash: string; field?: string }
  | { phash: string }
  | { dhash: string }
  /** The 8 dihedral pHashes of an image (extractor `phash_dihedral`), searched on the `phash` index. */
  | { phash_dihedral: readonly string[] };

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
