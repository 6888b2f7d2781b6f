/**
 * Dashboard sessions without server state. Signing in with an API key sets a
 * cookie holding `<expiry>.<nonce>.<mac>`, where mac = HMAC-SHA256 keyed by a
 * digest of that API key. The cookie never holds the key: a request is
 * attributed to the configured key whose MAC matches (every key is tried, in
 * constant time, like src/http/auth.ts), and the dashboard then calls the API
 * with that key. So a session works on every worker of FEATCACHE_WORKERS and
 * after a restart, lapses at its expiry, and ends when its key is removed from
 * FEATCACHE_API_KEYS.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKey, ApiScope } from '../../config.js';

/** The cookie's name; its path is /ui, so API routes never receive it. */
export const SESSION_COOKIE = 'featcache_ui';
/** A session lasts this long (8 hours), then the user signs in again. */
export const SESSION_SECONDS = 8 * 3600;

export interface Session {
  /** The API key the dashboard calls the API with. */
  readonly key: string;
  readonly scope: ApiScope;
}

export interface Sessions {
  /** The configured key equal to `presented`, or undefined. */
  keyOf(presented: string): ApiKey | undefined;
  /** A new cookie value for `key`, valid SESSION_SECONDS from `now` (ms). */
  issue(key: ApiKey, now?: number): string;
  /** The session a cookie value stands for, or undefined (malformed, expired, forged, key removed). */
  verify(token: string | undefined, now?: number): Session | undefined;
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const TOKEN_RE = /^(\d{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export function createSessions(keys: readonly ApiKey[]): Sessions {
  // domain-separated MAC keys: a MAC key is not the API key's own digest (auth.ts hashes keys too)
  const entries = keys.map((k) => ({ api: k, digest: sha256(k.key), macKey: sha256(`featcache-ui-session\0${k.key}`) }));
  const mac = (macKey: Buffer, payload: string) => createHmac('sha256', macKey).update(payload).digest();

  return {
    keyOf(presented) {
      const d = sha256(presented);
      let found: ApiKey | undefined;
      for (const e of entries) if (timingSafeEqual(d, e.digest)) found ??= e.api;
      return found;
    },
    issue(key, now = Date.now()) {
      const entry = entries.find((e) => e.api === key);
      if (entry === undefined) throw new Error('issue: not a configured key');
      const payload = `${Math.floor(now / 1000) + SESSION_SECONDS}.${randomBytes(16).toString('base64url')}`;
      return `${payload}.${mac(entry.macKey, payload).toString('base64url')}`;
    },
    verify(token, now = Date.now()) {
      const m = token === undefined ? null : TOKEN_RE.exec(token);
      if (m === null || Number(m[1]) * 1000 <= now) return undefined;
      const presented = Buffer.from(m[3]!, 'base64url');
      const payload = `${m[1]}.${m[2]}`;
      let found: ApiKey | undefined;
      for (const e of entries) if (timingSafeEqual(presented, mac(e.macKey, payload))) found ??= e.api;
      return found && { key: found.key, scope: found.scope };
    },
  };
}
