/**
 * NearTier's bookkeeping (src/cache/near-tier.ts): the fill check that keeps a
 * reply which crossed an invalidation out of the tier, flushes, the bypass while
 * down, and byte accounting. The tier with Redis is in test/integration/near-tier.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { NearTier } from '../../src/cache/near-tier.js';
import type { FeatureRecord } from '../../src/types.js';

const P = 'fc:1.0:';
const rec = (n: number): FeatureRecord => ({ imageId: 'a', version: '1.0', features: { n: [n] }, createdAt: 0 });
const tier = (o: Partial<{ maxBytes: number; maxAgeMs: number; serveStaleMs: number }> = {}) => {
  const t = new NearTier('fc:', { maxBytes: 1 << 20, maxAgeMs: 60_000, serveStaleMs: 0, ...o });
  t.up();
  return t;
};

describe('NearTier', () => {
  it('refuses a fill whose read was sent before an invalidation of its key', () => {
    const t = tier();
    const ticket = t.ticket(); // read sent
    t.invalidate([`${P}a`]); // a concurrent write's message arrives first
    t.fill(P, 'a', rec(1), 10, ticket); // then the old value
    expect(t.get(P, 'a')).toBeUndefined();
    // a read sent after the invalidation fills
    t.fill(P, 'a', rec(2), 10, t.ticket());
    expect(t.get(P, 'a')?.features).toEqual({ n: [2] });
  });

  it("drops an entry when its record expires in Redis, before maxAgeMs; keeps none already expired", () => {
    const evicted: string[] = [];
    const t = new NearTier('fc:', { maxBytes: 1 << 20, maxAgeMs: 60_000, serveStaleMs: 0, onEvict: (key, reason) => evicted.push(`${reason}:${key}`) });
    t.up();
    t.fill(P, 'a', rec(1), 10, t.ticket(), Date.now() + 30);
    t.fill(P, 'b', rec(2), 10, t.ticket(), Date.now() - 1);
    t.fill(P, 'c', rec(3), 10, t.ticket()); // no TTL: maxAgeMs
    expect(t.get(P, 'a')).toBeDefined();
    expect(t.get(P, 'b')).toBeUndefined();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 35); // the record's TTL runs out
      expect(t.get(P, 'a')).toBeUndefined();
      expect(t.get(P, 'c')).toBeDefined();
    } finally {
      vi.useRealTimers();
    }
    expect(evicted).toEqual([`ttl:${P}a`]);
  });

  it('accepts a fill when only other keys were invalidated since its ticket', () => {
    const t = tier();
    const ticket = t.ticket();
    t.invalidate([`${P}b`, 'fc:@n:1.0']);
    t.fill(P, 'a', rec(1), 10, ticket);
    expect(t.get(P, 'a')).toBeDefined();
  });

  it('refuses fills of reads sent before a flush, and serves nothing while down', () => {
    const t = tier();
    const before = t.ticket();
    t.flush();
    t.fill(P, 'a', rec(1), 10, before);
    expect(t.size).toBe(0);
    t.fill(P, 'a', rec(1), 10, t.ticket());
    expect(t.size).toBe(1);
    t.down();
    expect(t.get(P, 'a')).toBeUndefined();
    t.fill(P, 'a', rec(1), 10, t.ticket());
    expect(t.size).toBe(0);
    const sentWhileDown = t.ticket();
    t.up();
    t.fill(P, 'a', rec(1), 10, sentWhileDown);
    expect(t.size).toBe(0);
  });

  it('keeps its byte count exact through fills, overwrites, invalidations and evictions', () => {
    const t = tier({ maxBytes: 2000 });
    for (let i = 0; i < 50; i++) t.fill(P, `k${i % 7}`, rec(i), 100 + i, t.ticket());
    expect(t.usedBytes).toBeLessThanOrEqual(2000);
    t.invalidate([...Array(7).keys()].map((i) => `${P}k${i}`));
    expect(t.size).toBe(0);
    expect(t.usedBytes).toBe(0);
  });

  it('keeps a grace copy when it goes down with serveStaleMs, and the previous value of invalidated entries', () => {
    const t = tier({ serveStaleMs: 1000 });
    t.fill(P, 'a', rec(1), 10, t.ticket());
    t.fill(P, 'b', rec(2), 10, t.ticket());
    t.invalidate([`${P}b`]);
    expect(t.previous(P, 'b')?.features).toEqual({ n: [2] });
    t.down();
    expect(t.stale(P, 'a')?.features).toEqual({ n: [1] });
    t.down(); // a failed reconnect: the grace copy stays
    expect(t.stale(P, 'a')).toBeDefined();
    t.up();
    expect(t.stale(P, 'a')).toBeUndefined();
  });
});
