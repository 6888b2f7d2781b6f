/**
 * Every error featcache throws on purpose is a FeatureCacheError with a stable
 * `code`. Callers branch on `err.code` (or `instanceof`), never on messages.
 * The HTTP layer maps codes to statuses in one place (src/http/errors.ts).
 */

export const ErrorCodes = {
  /** The image ID is empty, too long, not a string or holds control characters. */
  INVALID_IMAGE_ID: 'INVALID_IMAGE_ID',
  /** The features value cannot be stored (wrong shape, unsupported type, cycle). */
  INVALID_FEATURES: 'INVALID_FEATURES',
  /** A group name or other argument is malformed. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** Options given to createFeatureCache (or a config variable) are invalid. */
  INVALID_OPTIONS: 'INVALID_OPTIONS',
  /** An encoded record would exceed `maxRecordBytes`. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** Redis could not be reached within the command timeout. */
  REDIS_UNAVAILABLE: 'REDIS_UNAVAILABLE',
  /** Redis answered with an error (ACL denial, READONLY...). */
  REDIS_ERROR: 'REDIS_ERROR',
  /**
   * Redis refused a write because it is full: used memory is above `maxmemory`
   * and its policy evicts nothing (`noeviction`, or `volatile-*` with no key left
   * to evict). Reads, stats, health and cleanup keep working.
   */
  REDIS_FULL: 'REDIS_FULL',
  /** Stored bytes are truncated, foreign or hostile. */
  CORRUPT_RECORD: 'CORRUPT_RECORD',
  /** A write with `waitReplicas` was not acknowledged by enough replicas in time. */
  REPLICATION_TIMEOUT: 'REPLICATION_TIMEOUT',
  /** merge() lost the compare-and-set race more times than allowed. */
  MERGE_CONFLICT: 'MERGE_CONFLICT',
  /** The embedded redis-server could not be started. */
  EMBEDDED_REDIS_FAILED: 'EMBEDDED_REDIS_FAILED',
  /** A named image (or group) has no cached record, e.g. a similarity query by an unknown image ID. */
  NOT_FOUND: 'NOT_FOUND',
  /** The cache was used after close(). */
  CLOSED: 'CLOSED',
  /** An image could not be decoded or is outside the configured limits. */
  INVALID_IMAGE: 'INVALID_IMAGE',
  /** The image decodes, but its format is not in the allowed list. */
  UNSUPPORTED_IMAGE_FORMAT: 'UNSUPPORTED_IMAGE_FORMAT',
  /** The image has more pixels than allowed (decompression-bomb guard). */
  IMAGE_TOO_LARGE: 'IMAGE_TOO_LARGE',
  /** A computation in getOrCompute failed or timed out. */
  COMPUTE_FAILED: 'COMPUTE_FAILED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface FeatureCacheErrorOptions {
  cause?: unknown;
  /** Extra, non-secret context (e.g. the offending field). */
  details?: Record<string, unknown>;
}

export class FeatureCacheError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: FeatureCacheErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FeatureCacheError';
    this.code = code;
    this.details = options.details;
  }
}

export function isFeatureCacheError(err: unknown, code?: ErrorCode): err is FeatureCacheError {
  return err instanceof FeatureCacheError && (code === undefined || err.code === code);
}
