/**
 * Options of the provenance index and of searchProvenance, as zod schemas (the
 * HTTP layer and the service config reuse them), each default written once.
 */
import { z } from 'zod';
import { ErrorCodes, FeatureCacheError } from '../../errors.js';
import type { ProvenanceIndexOptions } from './types.js';

/** Postings the default bucketBits aims at per bucket (between this and twice it). */
export const TARGET_BUCKET_FILL = 32;
/** Postings an image adds (terms.ts: one per keypoint of ORB's 430, a second for the 64 strongest, less the degenerate chunks). */
export const POSTINGS_PER_IMAGE = 490;
export const MIN_BUCKET_BITS = 16;
export const MAX_BUCKET_BITS = 24;

export const provenanceIndexOptionsSchema = z
  .object({
    expectedImages: z.number().int().min(1).max(10_000_000_000).default(1_000_000),
    bucketBits: z.number().int().min(MIN_BUCKET_BITS).max(MAX_BUCKET_BITS).optional(),
    maxTermImages: z.number().int().min(1).max(100_000).default(256),
    bucketCap: z.number().int().min(16).max(1_000_000).default(4096),
    minVotes: z.number().int().min(1).max(1000).default(2),
    maxLimit: z.number().int().min(1).max(10_000).default(200),
  })
  .strict();

export interface ResolvedProvenanceIndexOptions {
  expectedImages: number;
  bucketBits: number;
  /** The top shardBits of a bucket pick its Redis key (2^shardBits keys, spread over a Cluster's slots). */
  shardBits: number;
  maxTermImages: number;
  bucketCap: number;
  minVotes: number;
  maxLimit: number;
}

/** B for N expected images: floor(log2(N x postings per image / target fill)) within 16..24. */
export function defaultBucketBits(expectedImages: number): number {
  const bits = Math.floor(Math.log2(Math.max(1, expectedImages) * POSTINGS_PER_IMAGE / TARGET_BUCKET_FILL));
  return Math.min(MAX_BUCKET_BITS, Math.max(MIN_BUCKET_BITS, bits));
}

/** Options -> resolved options; INVALID_OPTIONS when malformed. */
export function resolveProvenanceIndexOptions(options: ProvenanceIndexOptions | true = {}): ResolvedProvenanceIndexOptions {
  const parsed = provenanceIndexOptionsSchema.safeParse(options === true ? {} : options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FeatureCacheError(ErrorCodes.INVALID_OPTIONS, `invalid provenanceIndex option ${issue?.path.join('.') || 'options'}: ${issue?.message ?? 'invalid'}`);
  }
  const o = parsed.data;
  const bucketBits = o.bucketBits ?? defaultBucketBits(o.expectedImages);
  return {
    expectedImages: o.expectedImages,
    bucketBits,
    // 12 bits of bucket per key at most (4,096 buckets x ~32-64 postings): keys stay ~1-2 MB
    shardBits: Math.min(12, Math.max(4, bucketBits - 12)),
    maxTermImages: o.maxTermImages,
    bucketCap: o.bucketCap,
    minVotes: o.minVotes,
    maxLimit: o.maxLimit,
  };
}

export const PROVENANCE_SEARCH_DEFAULTS = Object.freeze({ limit: 10 });

/** Inputs of searchProvenance (besides the query). */
export const provenanceSearchOptionsSchema = z
  .object({
    limit: z.number().int().min(1).max(10_000).default(PROVENANCE_SEARCH_DEFAULTS.limit),
    verify: z.union([z.number().int().min(0).max(10_000), z.literal(false)]).optional(),
    donors: z.boolean().default(true),
    texturePoor: z.boolean().default(true),
  })
  .strict();
