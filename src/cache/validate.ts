/** Checks of caller input that becomes part of a Redis key. */
import { ErrorCodes, FeatureCacheError } from '../errors.js';

/** C0 controls, DEL and C1 controls: unsafe in keys, logs and terminals. */
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL = CONTROL_CHARS;

/**
 * A lone UTF-16 surrogate: no UTF-8 form, so Redis would get U+FFFD instead and
 * "s\ud800", "s\udfff" and "s\ufffd" would share one record.
 */
export const LONE_SURROGATE = /[\ud800-\udfff]/u;

/** Names that are no URL path segment (URL parsers resolve them away), so no route could address them. */
export const DOT_SEGMENT = /^\.\.?$/;

/** Longest TTL accepted anywhere (10 years): beyond it a typo is likelier than intent. */
export const MAX_TTL_SECONDS = 10 * 365 * 24 * 3600;

export function assertImageId(imageId: unknown, maxBytes: number): asserts imageId is string {
  if (typeof imageId !== 'string') {
    throw new FeatureCacheError(ErrorCodes.INVALID_IMAGE_ID, 'image ID must be a string');
  }
  if (imageId.length === 0) {
    throw new FeatureCacheError(ErrorCodes.INVALID_IMAGE_ID, 'image ID must not be empty');
  }
  // cheap bound first: a UTF-8 byte length is at most 3x the UTF-16 length
  if (imageId.length * 3 > maxBytes && Buffer.byteLength(imageId, 'utf8') > maxBytes) {
    throw new FeatureCacheError(ErrorCodes.INVALID_IMAGE_ID, `image ID is longer than ${maxBytes} bytes`, {
      details: { maxBytes },
    });
  }
  if (CONTROL.test(imageId)) {
    throw new FeatureCacheError(ErrorCodes.INVALID_IMAGE_ID, 'image ID must not contain control characters');
  }
  if (LONE_SURROGATE.test(imageId)) {
    throw new FeatureCacheError(ErrorCodes.INVALID_IMAGE_ID, 'image ID must be valid Unicode (no lone surrogates)');
  }
  if (DOT_SEGMENT.test(imageId)) {
    throw new FeatureCacheError(ErrorCodes.INVALID_IMAGE_ID, 'image ID must not be "." or ".."');
  }
}

export function assertGroup(group: unknown, maxBytes: number): asserts group is string {
  if (
    typeof group !== 'string' ||
    group.length === 0 ||
    Buffer.byteLength(group, 'utf8') > maxBytes ||
    CONTROL.test(group) ||
    LONE_SURROGATE.test(group) ||
    DOT_SEGMENT.test(group)
  ) {
    throw new FeatureCacheError(
      ErrorCodes.INVALID_ARGUMENT,
      `group name must be a non-empty string of at most ${maxBytes} bytes of valid Unicode without control characters, and not "." or ".."`,
    );
  }
}

export function assertFeatures(features: unknown): asserts features is Record<string, unknown> {
  if (features === null || typeof features !== 'object' || Array.isArray(features) || ArrayBuffer.isView(features)) {
    throw new FeatureCacheError(ErrorCodes.INVALID_FEATURES, 'features must be an object mapping feature type to value');
  }
  const proto = Object.getPrototypeOf(features);
  if (proto !== Object.prototype && proto !== null) {
    throw new FeatureCacheError(ErrorCodes.INVALID_FEATURES, 'features must be a plain object');
  }
}

export function assertTtl(ttlSeconds: unknown): asserts ttlSeconds is number {
  if (typeof ttlSeconds !== 'number' || !Number.isInteger(ttlSeconds) || ttlSeconds < 0 || ttlSeconds > MAX_TTL_SECONDS) {
    throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, 'ttlSeconds must be an integer from 0 (no expiry) to 10 years');
  }
}
