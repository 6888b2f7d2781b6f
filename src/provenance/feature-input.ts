/**
 * The shared first step of reading a structured feature (`orb`, `thumb`) out of
 * a record: a record may come from any writer, so a malformed value is an
 * INVALID_FEATURES error naming the field, never a crash or an out-of-bounds read.
 */
import { ErrorCodes, FeatureCacheError } from '../errors.js';

/** INVALID_FEATURES naming the field (`what`, e.g. `a.orb`). */
export function invalidFeature(what: string, message: string): FeatureCacheError {
  return new FeatureCacheError(ErrorCodes.INVALID_FEATURES, `${what}: ${message}`, { details: { field: what } });
}

/** The value's fields when it is a plain object, null when absent; throws when it is anything else. */
export function featureFields(value: unknown, what: string): Record<string, unknown> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) throw invalidFeature(what, 'must be an object');
  return value as Record<string, unknown>;
}
