/** Checks of caller input that becomes part of a Redis key (the HTTP schemas use the same checks). */
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import { MAX_TTL_SECONDS } from '../rules.js';

/** C0 controls, DEL and C1 controls: unsafe in keys, logs and terminals. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point of this pattern
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL = CONTROL_CHARS;

/**
 * A lone UTF-16 surrogate: no UTF-8 form, so Redis would get U+FFFD instead and
 * "s\ud800", "s\udfff" and "s\ufffd" would share one record.
 */
export const LONE_SURROGATE = /[\ud800-\udfff]/u;

/** Names that are no URL path segment (URL parsers resolve them away), so no route could address them. */
export const DOT_SEGMENT = /^\.\.?$/;

/**
 * Why `value` is not a valid key name (an image ID or a group name), or
 * undefined when it is. `what` names the input in the message.
 */
export function keyNameProblem(value: unknown, maxBytes: number, what: string): string | undefined {
  if (typeof value !== 'string') return `${what} must be a string`;
  if (value.length === 0) return `${what} must not be empty`;
  // cheap bound first: a UTF-8 byte length is at most 3x the UTF-16 length
  if (value.length * 3 > maxBytes && Buffer.byteLength(value, 'utf8') > maxBytes) return `${what} is longer than ${maxBytes} bytes (UTF-8)`;
  if (CONTROL.test(value)) return `${what} must not contain control characters`;
  if (LONE_SURROGATE.test(value)) return `${what} must be valid Unicode (no lone surrogates)`;
  if (DOT_SEGMENT.test(value)) return `${what} must not be "." or ".."`;
  return undefined;
}

export function assertImageId(imageId: unknown, maxBytes: number): asserts imageId is string {
  const problem = keyNameProblem(imageId, maxBytes, 'image ID');
  if (problem !== undefined) throw new FeatureCacheError(ErrorCodes.INVALID_IMAGE_ID, problem, { details: { maxBytes } });
}

export function assertGroup(group: unknown, maxBytes: number): asserts group is string {
  const problem = keyNameProblem(group, maxBytes, 'group name');
  if (problem !== undefined) throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, problem, { details: { maxBytes } });
}

export function assertFeatures(features: unknown): asserts features is Record<string, unknown> {
  if (features === null || typeof features !== 'object' || Array.isArray(features) || ArrayBuffer.isView(features)) {
    throw new FeatureCacheError(ErrorCodes.INVALID_FEATURES, 'features must be an object mapping feature type to value');
  }
  const proto: unknown = Object.getPrototypeOf(features);
  if (proto !== Object.prototype && proto !== null) {
    throw new FeatureCacheError(ErrorCodes.INVALID_FEATURES, 'features must be a plain object');
  }
}

export function assertTtl(ttlSeconds: unknown): asserts ttlSeconds is number {
  // the bounds of ttlSecondsRule, inline: this runs on every write with a TTL
  if (typeof ttlSeconds !== 'number' || !Number.isInteger(ttlSeconds) || ttlSeconds < 0 || ttlSeconds > MAX_TTL_SECONDS) {
    throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `ttlSeconds must be an integer from 0 (no expiry) to ${MAX_TTL_SECONDS} (10 years)`);
  }
}
