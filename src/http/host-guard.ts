/**
 * DNS-rebinding guard for the no-key mode. Without API keys the service only
 * listens on loopback, but a browser page whose own host name the attacker
 * re-points at 127.0.0.1 can still reach it; such requests carry the attacker's
 * name in `Host`. So while keys are off, a request is served only when its
 * Host is a loopback name or address, or one of FEATCACHE_ALLOWED_HOSTS; others
 * are 403 HOST_NOT_ALLOWED. A request without Host (HTTP/1.0) comes from no
 * browser and is served. With keys on, the key is the guard and this is off.
 */
import type { MiddlewareHandler } from 'hono';
import { isLoopbackHost } from '../config.js';
import { ApiError, HttpErrorCodes } from './errors.js';
import { requestHeader } from './node-io.js';

/** The name part of a Host header value: no port, no IPv6 brackets, lower case, no trailing dot. */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  const name = h.startsWith('[') ? h.slice(1, h.indexOf(']') < 0 ? undefined : h.indexOf(']')) : h.replace(/:\d*$/, '');
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** The guard, or undefined when API keys are configured. */
export function hostGuard(opts: { authEnabled: boolean; allowedHosts: readonly string[] }): MiddlewareHandler | undefined {
  if (opts.authEnabled) return undefined;
  const allowed = new Set(opts.allowedHosts);
  let lastAccepted: string | undefined; // the one Host every request of a client carries
  return async (c, next) => {
    const host = requestHeader(c, 'host');
    if (host !== undefined && host !== lastAccepted) {
      const name = hostName(host);
      if (!isLoopbackHost(name) && !allowed.has(name)) {
        throw new ApiError(
          403,
          HttpErrorCodes.HOST_NOT_ALLOWED,
          `Host "${name.slice(0, 100)}" is not a loopback address; without API keys only loopback hosts (and FEATCACHE_ALLOWED_HOSTS) are served`,
        );
      }
      lastAccepted = host;
    }
    await next();
  };
}
