/** Maps ioredis / Redis failures to FeatureCacheError codes: the one place that reads Redis's error texts. */
import { ErrorCodes, FeatureCacheError } from '../errors.js';

const UNAVAILABLE = [
  'Command timed out',
  'Connection is closed',
  "Stream isn't writeable",
  'MaxRetriesPerRequestError',
  'Reached the max retries per request limit',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'LOADING',
  'MASTERDOWN',
  'Failed to refresh slots cache',
  'None of the sentinels are available',
  'All sentinels are unreachable',
  'Cluster isn\'t ready',
];

/**
 * What Redis answers to a write (a command flagged `denyoom`, or a script that
 * may write) while used memory is above `maxmemory` and nothing can be evicted:
 * `OOM command not allowed when used memory > 'maxmemory'.` (inside scripts with
 * a `script: <sha>, on @user_script:<line>` suffix).
 */
const OOM = 'OOM command not allowed';

/** What to do about a full Redis (the HTTP layer words its own for the service). */
const REDIS_FULL_ADVICE =
  'Redis is full (used memory is above maxmemory and its eviction policy frees nothing), so writes are refused; reads keep working. ' +
  'Raise maxmemory, choose an eviction policy such as volatile-lfu, or run cleanup() to reclaim records of other feature versions.';

export function isUnavailableError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const text = `${err.name} ${err.message} ${(err as { code?: string }).code ?? ''}`;
  return UNAVAILABLE.some((s) => text.includes(s));
}

/** True for Redis's out-of-memory refusal, raw or already mapped to REDIS_FULL. */
export function isRedisFullError(err: unknown): boolean {
  if (err instanceof FeatureCacheError) return err.code === ErrorCodes.REDIS_FULL;
  return err instanceof Error && err.message.includes(OOM);
}

/** Wraps anything thrown by a Redis call. FeatureCacheErrors pass through unchanged. */
export function mapRedisError(err: unknown, what: string): FeatureCacheError {
  if (err instanceof FeatureCacheError) return err;
  if (isRedisFullError(err)) {
    return new FeatureCacheError(ErrorCodes.REDIS_FULL, `Redis refused a write (${what}). ${REDIS_FULL_ADVICE}`, { cause: err });
  }
  if (isUnavailableError(err)) {
    return new FeatureCacheError(ErrorCodes.REDIS_UNAVAILABLE, `Redis is unavailable (${what})`, { cause: err });
  }
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new FeatureCacheError(ErrorCodes.REDIS_ERROR, `Redis error during ${what}: ${message}`, { cause: err });
}
