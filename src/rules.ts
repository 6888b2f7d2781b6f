/**
 * One rule per input, imported by the library (options, key schema), the HTTP
 * schemas and the service config alike. Image IDs and group names are checked
 * by src/cache/validate.ts (imageIdProblem, groupProblem), which the HTTP
 * schemas call too.
 */
import { z } from 'zod';

/**
 * A key segment (prefix, feature version): letters, digits and `. _ + -`,
 * 1..256 characters, so it can never contain `:`, `@` or a glob character.
 * 256, not 128: an extraction version appends every selected extractor's version
 * to the deployment's base (`1.0+avg_color.1+...+thumb.1`, 125 characters by
 * default), and a base such as `2026-12-03.1` must still fit.
 */
export const KEY_SEGMENT = /^[A-Za-z0-9._+-]{1,256}$/;
const SEGMENT_MESSAGE = '1-256 letters, digits or . _ + -';

/** A feature version (of a cache, or a base version before the extractor versions are appended). */
export const featureVersionRule = z.string().regex(KEY_SEGMENT, `feature version must be ${SEGMENT_MESSAGE}`);

/**
 * A key prefix. One trailing `:` is taken as the separator featcache adds
 * anyway, so `myapp:` and `myapp` name the same keys (`myapp:1.0:<id>`);
 * anything else with a `:` is refused.
 */
export const prefixRule = z
  .string()
  .transform((s) => (s.endsWith(':') ? s.slice(0, -1) : s))
  .pipe(z.string().regex(KEY_SEGMENT, `prefix must be ${SEGMENT_MESSAGE} (one trailing ":" is allowed and ignored)`));

/** Longest TTL accepted anywhere (10 years): beyond it a typo is likelier than intent. */
export const MAX_TTL_SECONDS = 10 * 365 * 24 * 3600;

/** A TTL in seconds; 0 means no expiry. */
export const ttlSecondsRule = z.number().int().min(0).max(MAX_TTL_SECONDS);

/** A feature field name that may hold a 64-bit hash (similarity index fields, compare fields). */
export const featureFieldRule = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a feature field name (1-64 letters, digits or _ . -)');

/** A 64-bit perceptual hash as 16 hex digits (phash, dhash, ahash). */
export const HASH64_HEX = /^[0-9a-fA-F]{16}$/;
export const hash64Rule = z.string().regex(HASH64_HEX, 'must be 16 hex digits (a 64-bit hash)');

/** Bounds of `maxImageIdBytes` (image IDs and group names, UTF-8 bytes). */
export const maxImageIdBytesRule = z.number().int().min(1).max(65_536);
