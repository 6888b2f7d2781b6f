/**
 * CORS, off by default: browser pages of other origins can neither read
 * answers nor send preflighted requests. FEATCACHE_CORS_ORIGINS lists the
 * origins allowed to (exact matches, no wildcard); those may also send
 * state-changing requests (src/http/origin-guard.ts). hono/cors does the work.
 */
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

/** Headers a browser client may send and read. */
const ALLOW_HEADERS = ['Authorization', 'Content-Type', 'Accept', 'X-Request-Id'];
const EXPOSE_HEADERS = ['X-Request-Id'];

/** The CORS middleware, or undefined when no origin is allowed. */
export function corsMiddleware(origins: readonly string[]): MiddlewareHandler | undefined {
  if (origins.length === 0) return undefined;
  return cors({
    origin: [...origins],
    allowMethods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'],
    allowHeaders: ALLOW_HEADERS,
    exposeHeaders: EXPOSE_HEADERS,
    maxAge: 600,
  });
}
