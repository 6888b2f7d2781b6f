/**
 * Bearer API keys with read and write scopes. Keys are hashed once at start-up;
 * a presented token is hashed and compared with every configured key in
 * constant time (no early exit, equal lengths), so timing reveals neither a
 * key's content nor which key matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKey, ApiScope } from '../config.js';
import { ApiError, HttpErrorCodes } from './errors.js';

/** What a route needs: a scope, or nothing at all. */
export type RouteAccess = ApiScope | 'public';

export interface Authenticator {
  /** False when no key is configured (auth disabled, loopback-only service). */
  readonly enabled: boolean;
  /**
   * Throws ApiError 401 (no/unknown key) or 403 (read key on a write route).
   * @param authorization the Authorization header value
   */
  check(authorization: string | undefined, access: RouteAccess): void;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Builds the authenticator for the configured keys (empty list: everything is allowed). */
export function createAuthenticator(keys: readonly ApiKey[]): Authenticator {
  const entries = keys.map((k) => ({ hash: digest(k.key), write: k.scope === 'write' }));
  if (entries.length === 0) return { enabled: false, check() {} };

  const unauthorized = () =>
    new ApiError(401, HttpErrorCodes.UNAUTHORIZED, 'A valid API key is required (Authorization: Bearer <key>)');

  return {
    enabled: true,
    check(authorization, access) {
      if (access === 'public') return;
      if (authorization === undefined || authorization.length < 8 || authorization.slice(0, 7).toLowerCase() !== 'bearer ') {
        throw unauthorized();
      }
      const presented = digest(authorization.slice(7).trim());
      let matched = false;
      let canWrite = false;
      for (const e of entries) {
        const eq = timingSafeEqual(presented, e.hash);
        matched ||= eq;
        canWrite ||= eq && e.write;
      }
      if (!matched) throw unauthorized();
      if (access === 'write' && !canWrite) {
        throw new ApiError(403, HttpErrorCodes.FORBIDDEN, 'This API key has the read scope; the route needs write');
      }
    },
  };
}
