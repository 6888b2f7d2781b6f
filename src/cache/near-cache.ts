/**
 * The near tier wired to its invalidation connection and to the cache's
 * events: what feature-cache.ts calls on its read and write paths.
 *
 * Guarantee (one Redis, Sentinel's master, every master of a Cluster): once
 * Redis's invalidation message for a write has reached this process, no read
 * returns the value the write replaced; a read never returns a value older than
 * `maxAgeMs` from the tier; while an invalidation connection is down nothing is
 * served from the tier, and it comes back empty. This process's own writes and invalidations
 * drop their keys when they are issued and again when Redis acknowledges them,
 * so a read issued after a write (awaited or not) sees it.
 */
import type { Cluster, Redis } from 'ioredis';
import { ErrorCodes, FeatureCacheError, isFeatureCacheError } from '../errors.js';
import type { RedisConnection } from '../redis/connection.js';
import type { FeatureRecord, Logger } from '../types.js';
import type { CacheEvents } from './events.js';
import { InvalidationListener, type InvalidationHandlers } from './invalidation.js';
import { NearTier } from './near-tier.js';

export interface NearCacheOptions {
  maxBytes: number;
  maxAgeMs: number;
  serveStaleMs: number;
}

export class NearCache {
  readonly tier: NearTier;
  /** One per master (one on a single Redis or Sentinel). */
  private listeners: InvalidationListener[] = [];
  /** Cluster only: starts listeners of new masters, stops those of former ones. */
  private sync: ((waitMs: number) => Promise<void>) | null = null;

  constructor(conn: RedisConnection, prefix: string, o: NearCacheOptions, events: CacheEvents, logger: Logger, heartbeatMs: number) {
    if (conn.reader !== conn.client) {
      // invalidations come from the master; a replica may answer a later read with the old value
      throw new FeatureCacheError(ErrorCodes.INVALID_OPTIONS, 'nearCache cannot be combined with reads from replicas');
    }
    this.tier = new NearTier(prefix, {
      ...o,
      onEvict: (key, reason) => events.emit('evict', { key, reason }),
    });
    const handlers = (self: () => InvalidationListener | undefined): InvalidationHandlers => ({
      onInvalidate: (keys) => {
        if (keys === null) this.tier.flush();
        else this.tier.invalidate(keys);
        events.emit('invalidate', { source: 'redis', keys });
      },
      // on a Cluster the tier serves only while every master's connection delivers
      onUp: () => {
        if (this.listeners.every((l) => l === self() || l.isUp)) this.tier.up();
      },
      onDown: (reason) => {
        if (this.tier.isLive) logger.warn({ reason }, 'near tier: invalidation connection lost; tier flushed and bypassed until it is back');
        this.tier.down();
      },
    });
    const make = (client: Redis): InvalidationListener => {
      let listener: InvalidationListener | undefined = undefined;
      listener = new InvalidationListener(client, prefix, handlers(() => listener), logger, heartbeatMs);
      return listener;
    };
    if (conn.mode !== 'cluster') {
      this.listeners = [make(conn.client as Redis)];
    } else {
      // tracking on every master; the set follows the slot map (failovers, added masters)
      const cluster = conn.client as Cluster;
      const byNode = new Map<string, InvalidationListener>();
      this.sync = async (waitMs) => {
        const masters = new Map(cluster.nodes('master').map((n) => [`${n.options.host}:${n.options.port}`, n]));
        const added: InvalidationListener[] = [];
        for (const [key, l] of byNode) {
          if (!masters.has(key)) {
            byNode.delete(key);
            void l.stop(); // no await: one sync runs at a time without a lock
          }
        }
        for (const [key, node] of masters) {
          if (byNode.has(key)) continue;
          this.tier.down(); // a master nobody listens to yet
          const l = make(node);
          byNode.set(key, l);
          added.push(l);
        }
        this.listeners = [...byNode.values()];
        await Promise.all(added.map((l) => l.start(waitMs)));
      };
      cluster.on('refresh', () => void this.sync?.(heartbeatMs));
    }
  }

  /** Resolves when the tier is live, or after `waitMs` with the tier bypassed (it goes live when tracking succeeds). */
  async start(waitMs: number): Promise<void> {
    if (this.sync) await this.sync(waitMs);
    else await Promise.all(this.listeners.map((l) => l.start(waitMs)));
  }

  async stop(): Promise<void> {
    this.sync = null;
    await Promise.all(this.listeners.map((l) => l.stop()));
  }

  /** The invalidation connection's client id (tests kill it with CLIENT KILL ID). */
  get invalidationClientId(): number | null {
    return this.listeners[0]?.clientId ?? null;
  }

  /**
   * Reads the records of `ids` (record keys `recordPrefix` + ID): from the tier
   * where it holds them, the rest with `fetch` (one call: values and PTTLs),
   * filling the tier with what `decode` accepts, each entry dropped by the time
   * its record expires in Redis. `fromNear[i]` tells which answers came from the tier.
   */
  async read(
    recordPrefix: string,
    ids: string[],
    fetch: (keys: string[]) => Promise<{ values: Array<Buffer | null>; ttls: number[] }>,
    decode: (index: number, value: Buffer) => FeatureRecord | null,
  ): Promise<{ records: Array<FeatureRecord | null>; fromNear: boolean[] }> {
    const records = new Array<FeatureRecord | null>(ids.length).fill(null);
    const fromNear = new Array<boolean>(ids.length).fill(false);
    const missing: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const r = this.tier.get(recordPrefix, ids[i]!);
      if (r === undefined) missing.push(i);
      else {
        records[i] = r;
        fromNear[i] = true;
      }
    }
    if (missing.length === 0) return { records, fromNear };
    const ticket = this.tier.ticket();
    // Redis counts PTTL when it answers: counted from before the send, the entry ends no later than the record
    const sentAt = Date.now();
    let values: Array<Buffer | null>;
    let ttls: number[];
    try {
      ({ values, ttls } = await fetch(missing.map((i) => recordPrefix + ids[i]!)));
    } catch (err) {
      // Redis unreachable: the grace copy answers, if it holds every record asked for
      const stale = isFeatureCacheError(err, ErrorCodes.REDIS_UNAVAILABLE) ? missing.map((i) => this.tier.stale(recordPrefix, ids[i]!)) : [];
      if (stale.length === 0 || stale.some((r) => r === undefined)) throw err;
      missing.forEach((i, j) => {
        records[i] = { ...stale[j]!, stale: true };
        fromNear[i] = true;
      });
      this.tier.staleServed += missing.length;
      return { records, fromNear };
    }
    missing.forEach((i, j) => {
      const value = values[j];
      if (!value) return;
      const record = decode(i, value);
      records[i] = record;
      const ttl = ttls[j]!;
      if (record) this.tier.fill(recordPrefix, ids[i]!, record, value.length, ticket, ttl >= 0 ? sentAt + ttl : Infinity);
    });
    return { records, fromNear };
  }
}
