/**
 * The one place that turns errors into HTTP answers. Every error answer is
 * `{ success: false, error: { code, message } }`. Messages of server-side
 * failures are fixed strings: no stack traces, Redis addresses or causes leak.
 */
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { FeatureCacheError, type ErrorCode } from '../errors.js';

/** Codes the HTTP layer adds to the library's ErrorCodes. */
export const HttpErrorCodes = {
  NOT_FOUND: 'NOT_FOUND',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  /** The caller's address presented too many wrong API keys lately (FEATCACHE_AUTH_FAILURE_LIMIT); Retry-After says when to retry. */
  TOO_MANY_AUTH_FAILURES: 'TOO_MANY_AUTH_FAILURES',
  INVALID_REQUEST: 'INVALID_REQUEST',
  MALFORMED_BODY: 'MALFORMED_BODY',
  BATCH_TOO_LARGE: 'BATCH_TOO_LARGE',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /** The Host header names neither a loopback address nor FEATCACHE_ALLOWED_HOSTS (no-key mode). */
  HOST_NOT_ALLOWED: 'HOST_NOT_ALLOWED',
  /** A state-changing request from a browser page of another origin (not in FEATCACHE_CORS_ORIGINS). */
  CROSS_ORIGIN_REFUSED: 'CROSS_ORIGIN_REFUSED',
  /** A similarity query on records without an index (FEATCACHE_SIMILARITY / FEATCACHE_SIMILARITY_STORED off). */
  SIMILARITY_NOT_ENABLED: 'SIMILARITY_NOT_ENABLED',
  /** A provenance search without the provenance index (FEATCACHE_PROVENANCE_INDEX off). */
  PROVENANCE_NOT_ENABLED: 'PROVENANCE_NOT_ENABLED',
  /** With FEATCACHE_WORKERS > 1: the primary did not aggregate the workers' metrics in time. */
  METRICS_UNAVAILABLE: 'METRICS_UNAVAILABLE',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const;
export type HttpErrorCode = (typeof HttpErrorCodes)[keyof typeof HttpErrorCodes];

/** An error answer decided by the HTTP layer itself (validation, auth, limits). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: HttpErrorCode | ErrorCode,
    message: string,
    /** Headers the answer carries (e.g. Retry-After). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

interface Mapping {
  status: ContentfulStatusCode;
  /** Fixed public message; absent: the library's message (input errors only) is shown. */
  message?: string;
}

/** FeatureCacheError code -> HTTP status. Exhaustive: a new code fails the type-check here. */
const LIBRARY_ERRORS: Record<ErrorCode, Mapping> = {
  INVALID_IMAGE_ID: { status: 400 },
  INVALID_FEATURES: { status: 400 },
  INVALID_ARGUMENT: { status: 400 },
  INVALID_OPTIONS: { status: 400 },
  INVALID_IMAGE: { status: 400 },
  NOT_FOUND: { status: 404 },
  PAYLOAD_TOO_LARGE: { status: 413 },
  IMAGE_TOO_LARGE: { status: 413 },
  UNSUPPORTED_IMAGE_FORMAT: { status: 415 },
  MERGE_CONFLICT: { status: 409, message: 'Concurrent updates conflicted; retry the request' },
  REDIS_UNAVAILABLE: { status: 503, message: 'The cache store is unavailable; retry later' },
  REDIS_ERROR: { status: 503, message: 'The cache store rejected the operation' },
  // 507, not 503: retrying does not help until an operator acts (docs/OPERATIONS.md "A full Redis")
  REDIS_FULL: {
    status: 507,
    message:
      'The cache store is full, so writes are refused (reads keep working): raise Redis maxmemory, choose an eviction policy ' +
      'such as volatile-lfu, or run POST /analysis/cache/cleanup to reclaim records of other feature versions',
  },
  EMBEDDED_REDIS_FAILED: { status: 503, message: 'The cache store is unavailable' },
  REPLICATION_TIMEOUT: { status: 503, message: 'The write was not confirmed by enough replicas in time; it may or may not persist' },
  CLOSED: { status: 503, message: 'The service is shutting down' },
  // The library treats corrupt records as misses; reaching here is a bug.
  CORRUPT_RECORD: { status: 500, message: 'Internal server error' },
  COMPUTE_FAILED: { status: 500, message: 'Feature computation failed' },
};

export interface ErrorAnswer {
  status: ContentfulStatusCode;
  body: { success: false; error: { code: string; message: string } };
  /** True when the failure is ours (5xx) and deserves an error log line. */
  serverFault: boolean;
  /** The library code when a FeatureCacheError caused it (for metrics). */
  libraryCode?: ErrorCode;
  /** Headers the answer carries (ApiError's, e.g. Retry-After). */
  headers?: Readonly<Record<string, string>>;
}

function answer(status: ContentfulStatusCode, code: string, message: string): ErrorAnswer {
  return { status, body: { success: false, error: { code, message } }, serverFault: status >= 500 };
}

/** Maps anything thrown while handling a request to its answer. */
export function toErrorAnswer(err: unknown): ErrorAnswer {
  if (err instanceof ApiError) return { ...answer(err.status, err.code, err.message), headers: err.headers };
  if (err instanceof FeatureCacheError) {
    const m = LIBRARY_ERRORS[err.code] ?? { status: 500, message: 'Internal server error' };
    const a = answer(m.status, err.code, m.message ?? err.message);
    a.libraryCode = err.code;
    return a;
  }
  if (err instanceof HTTPException) {
    if (err.status === 413) return answer(413, HttpErrorCodes.PAYLOAD_TOO_LARGE, 'Request body is too large');
    const status = err.status as ContentfulStatusCode;
    return answer(status, status >= 500 ? HttpErrorCodes.INTERNAL_ERROR : HttpErrorCodes.INVALID_REQUEST, status >= 500 ? 'Internal server error' : err.message || 'Bad request');
  }
  return answer(500, HttpErrorCodes.INTERNAL_ERROR, 'Internal server error');
}

