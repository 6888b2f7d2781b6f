/**
 * Bearer API keys with read and write scopes. Keys are hashed once at start-up;
 * a presented token is hashed and compared with every configured key in
 * constant time (no early exit, equal lengths), so timing reveals neither a
 * key's content nor which key matched. Wrong keys are counted per client
 * address (auth-throttle.ts): past the limit the address gets 429 for the rest
 * of the window.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKey, ApiScope } from '../config.js';
import { createAuthThrottle, type AuthThrottle } from './auth-throttle.js';
import { ApiError, HttpErrorCodes } from './errors.js';
import { IN_PROCESS_CLIENT } from './node-io.js';

/** What a route needs: a scope, or nothing at all. */
export type RouteAccess = ApiScope | 'public';

export interface Authenticator {
  /** False when no key is configured (auth disabled, loopback-only service). */
  readonly enabled: boolean;
  /**
   * Throws ApiError 401 (no/unknown key), 403 (read key on a write route) or
   * 429 (too many wrong keys from `client` lately).
   * @param authorization the Authorization header value
   * @param client the caller's address, for the wrong-key throttle
   */
  check(authorization: string | undefined, access: RouteAccess, client?: string): void;
  /** Throws the 429 when `client` is throttled (for sign-in forms that match keys themselves). */
  assertNotThrottled(client: string): void;
  /** Counts a wrong key presented by `client` outside `check` (the dashboard's sign-in form). */
  failed(client: string): void;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Builds the authenticator for the configured keys (empty list: everything is allowed).
 * @param failureLimit wrong keys allowed per client address and minute (0: no throttle)
 */
export function createAuthenticator(keys: readonly ApiKey[], failureLimit = 0): Authenticator {
  const entries = keys.map((k) => ({ hash: digest(k.key), write: k.scope === 'write' }));
  if (entries.length === 0) return { enabled: false, check() {}, assertNotThrottled() {}, failed() {} };
  const throttle: AuthThrottle = createAuthThrottle({ limit: failureLimit });

  const unauthorized = () =>
    new ApiError(401, HttpErrorCodes.UNAUTHORIZED, 'A valid API key is required (Authorization: Bearer <key>)');

  const assertNotThrottled = (client: string) => {
    const wait = throttle.retryAfter(client);
    if (wait > 0) {
      throw new ApiError(429, HttpErrorCodes.TOO_MANY_AUTH_FAILURES, `Too many wrong API keys from this address; retry in ${wait} s`, {
        'retry-after': String(wait),
      });
    }
  };

  return {
    enabled: true,
    assertNotThrottled,
    failed: (client) => throttle.failed(client),
    check(authorization, access, client = IN_PROCESS_CLIENT) {
      if (access === 'public') return;
      assertNotThrottled(client);
      if (authorization === undefined) throw unauthorized();
      if (authorization.length < 8 || authorization.slice(0, 7).toLowerCase() !== 'bearer ') {
        throttle.failed(client);
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
      if (!matched) {
        throttle.failed(client);
        throw unauthorized();
      }
      if (access === 'write' && !canWrite) {
        throw new ApiError(403, HttpErrorCodes.FORBIDDEN, 'This API key has the read scope; the route needs write');
      }
    },
  };
}
