/** TTL with jitter, so entries written together do not expire together. */

/**
 * Milliseconds to expire after: ttlSeconds * (1 +/- jitter), uniformly drawn;
 * 0 means no expiry. Never less than 1 ms for a positive TTL.
 */
export function jitteredTtlMs(ttlSeconds: number, jitter: number, random: () => number = Math.random): number {
  if (ttlSeconds <= 0) return 0;
  const base = ttlSeconds * 1000;
  const factor = 1 + jitter * (2 * random() - 1);
  return Math.max(1, Math.round(base * factor));
}
