/** Maps ioredis / Redis failures to FeatureCacheError codes. */
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

export function isUnavailableError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const text = `${err.name} ${err.message} ${(err as { code?: string }).code ?? ''}`;
  return UNAVAILABLE.some((s) => text.includes(s));
}

/** Wraps anything thrown by a Redis call. FeatureCacheErrors pass through unchanged. */
export function mapRedisError(err: unknown, what: string): FeatureCacheError {
  if (err instanceof FeatureCacheError) return err;
  if (isUnavailableError(err)) {
    return new FeatureCacheError(ErrorCodes.REDIS_UNAVAILABLE, `Redis is unavailable (${what})`, { cause: err });
  }
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new FeatureCacheError(ErrorCodes.REDIS_ERROR, `Redis error during ${what}: ${message}`, { cause: err });
}
