/**
 * Cross-site request guard. A browser page may send POST, PUT and DELETE to any
 * address, and multipart/form-data needs no CORS preflight, so without this a
 * page on another site could write records, run cleanup or upload images on a
 * service at 127.0.0.1. A state-changing request is refused (403
 * CROSS_ORIGIN_REFUSED) when the browser marks it as coming from another origin
 * - `Sec-Fetch-Site: cross-site` or `same-site`, or an `Origin` that is neither
 * the service's own nor in FEATCACHE_CORS_ORIGINS. Requests without those
 * headers (curl, SDKs, servers) are not from a browser page and pass.
 */
import type { MiddlewareHandler } from 'hono';
import { ApiError, HttpErrorCodes } from './errors.js';
import { requestHeader } from './node-io.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function originGuard(allowedOrigins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(allowedOrigins);
  return async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method)) {
      const site = requestHeader(c, 'sec-fetch-site');
      const origin = requestHeader(c, 'origin');
      if (!(origin !== undefined && allowed.has(origin))) {
        // same-origin and none (typed URL, bookmark) are the browser's own word
        const crossByFetchSite = site !== undefined && site !== 'same-origin' && site !== 'none';
        const crossByOrigin = site === undefined && origin !== undefined && !isOwnOrigin(origin, requestHeader(c, 'host'));
        if (crossByFetchSite || crossByOrigin) {
          throw new ApiError(
            403,
            HttpErrorCodes.CROSS_ORIGIN_REFUSED,
            `A ${c.req.method} from a page of another origin (${(origin ?? 'unknown').slice(0, 100)}) is refused; list trusted origins in FEATCACHE_CORS_ORIGINS`,
          );
        }
      }
    }
    await next();
  };
}

/** True when `origin` is http(s)://<the request's Host>. */
function isOwnOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  const h = host.toLowerCase();
  return origin === `http://${h}` || origin === `https://${h}`;
}
