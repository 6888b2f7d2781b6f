/**
 * Failed authentications counted per client address, so a key cannot be
 * guessed online at the speed of the network. An address that presented
 * `limit` wrong keys within one window is refused (429 with Retry-After) until
 * the window ends — every request from it, a right key included: were a right
 * key let through, a guesser would simply keep guessing.
 *
 * - Fixed windows of `windowMs` per address, started by the address's first
 *   failure; requests without any key are not counted (they guess nothing).
 * - Memory is bounded: at most `maxClients` addresses are tracked; past that,
 *   ended windows are dropped first, then the oldest ones.
 * - `limit` 0 turns the throttle off (e.g. behind a proxy that already limits,
 *   where every client shares the proxy's address).
 */

export interface AuthThrottle {
  /** Whole seconds until `client` may try again; 0 when it may now. */
  retryAfter(client: string, now?: number): number;
  /** Counts one wrong key presented by `client`. */
  failed(client: string, now?: number): void;
}

export interface AuthThrottleOptions {
  /** Wrong keys allowed per address and window; 0: no throttle. */
  limit: number;
  /** @default 60_000 */
  windowMs?: number;
  /** @default 10_000 */
  maxClients?: number;
}

/** The window over which wrong keys are counted. */
export const AUTH_FAILURE_WINDOW_MS = 60_000;
const MAX_TRACKED_CLIENTS = 10_000;

interface Window {
  start: number;
  failures: number;
}

export function createAuthThrottle({ limit, windowMs = AUTH_FAILURE_WINDOW_MS, maxClients = MAX_TRACKED_CLIENTS }: AuthThrottleOptions): AuthThrottle {
  if (limit === 0) return { retryAfter: () => 0, failed() {} };
  const windows = new Map<string, Window>();

  const live = (client: string, now: number): Window | undefined => {
    const w = windows.get(client);
    if (w !== undefined && now - w.start >= windowMs) {
      windows.delete(client);
      return undefined;
    }
    return w;
  };

  const makeRoom = (now: number) => {
    for (const [client, w] of windows) if (now - w.start >= windowMs) windows.delete(client);
    // Map iteration is insertion order: the oldest windows go first
    for (const client of windows.keys()) {
      if (windows.size < maxClients) break;
      windows.delete(client);
    }
  };

  return {
    retryAfter(client, now = Date.now()) {
      const w = live(client, now);
      if (w === undefined || w.failures < limit) return 0;
      return Math.max(1, Math.ceil((w.start + windowMs - now) / 1000));
    },
    failed(client, now = Date.now()) {
      const w = live(client, now);
      if (w !== undefined) {
        w.failures++;
        return;
      }
      if (windows.size >= maxClients) makeRoom(now);
      windows.set(client, { start: now, failures: 1 });
    },
  };
}
