/**
 * The near tier: decoded records kept in process, keyed by their Redis key (so
 * per version), least recently used dropped first once their encoded sizes pass
 * `maxBytes`, each dropped after `maxAgeMs` at the latest.
 *
 * It serves only while it is `live` (its invalidation connection is subscribed,
 * see invalidation.ts). A fill is refused when an invalidation of that key (or a
 * flush) arrived after the read that produced it was sent: each read takes a
 * ticket (the invalidation sequence number) before going to Redis, so a reply
 * that crossed an invalidation on the other socket never enters the tier.
 */
import type { FeatureRecord } from '../types.js';

export interface NearTierOptions {
  maxBytes: number;
  maxAgeMs: number;
  /** How long down() keeps the entries as a grace copy for stale(). */
  serveStaleMs: number;
  /** Told of entries dropped for room, age or their record's TTL (not for invalidations). */
  onEvict?: (key: string, reason: 'size' | 'age' | 'ttl') => void;
}

interface Entry {
  record: FeatureRecord;
  bytes: number;
  expiresAt: number;
  /** expiresAt is the record's expiry in Redis (else maxAgeMs). */
  byTtl: boolean;
  /** Read since the clock hand last passed (second-chance LRU: a hit costs one store, no reordering). */
  used: boolean;
}

/** The entries of one version, oldest first. */
interface VersionMap {
  entries: Map<string, Entry>;
  bytes: number;
}

/** Per-entry bookkeeping beyond the encoded value (Map slot, record object, key). */
const ENTRY_OVERHEAD_BYTES = 96;
/** Previous values kept for getOrCompute's soft timeout (oldest dropped first). */
const MAX_DROPPED = 4096;
/** Recent invalidations remembered for the fill check; beyond it every older ticket is refused. */
const MAX_REMEMBERED = 65_536;

/**
 * Entries are looked up by (record prefix, image ID), the two strings the
 * caller already has, so a hit builds no key string. Redis names keys in full;
 * `split` turns one back into the pair.
 */
export class NearTier {
  private readonly versions = new Map<string, VersionMap>();
  private bytes = 0;
  private count = 0;
  /** Incremented by every invalidation and flush; a read's ticket is its value at send time. */
  private seq = 0;
  /** Tickets below this are refused (set by flushes and by forgetting `invalidated`). */
  private floor = 0;
  private readonly invalidated = new Map<string, number>();
  /** True while invalidations are being delivered; false: bypassed, nothing kept. */
  private live = false;
  /** The entries held when invalidations were lost, for stale() until `graceUntil`. */
  private grace = new Map<string, VersionMap>();
  private graceUntil = 0;
  /** Values dropped by invalidations (serveStaleMs > 0): answers of getOrCompute past its soft timeout. */
  private readonly dropped = new Map<string, { record: FeatureRecord; until: number }>();
  /** Reads answered from the grace copy. */
  staleServed = 0;

  /** @param prefix the cache's key prefix with its colon ("fc:"): a record key is prefix + version + ":" + image ID */
  constructor(
    private readonly prefix: string,
    private readonly o: NearTierOptions,
  ) {}

  get size(): number {
    return this.count;
  }

  get usedBytes(): number {
    return this.bytes;
  }

  get isLive(): boolean {
    return this.live;
  }

  /** The record when the tier is live and holds a fresh copy. `recordPrefix` is "prefix:version:". */
  get(recordPrefix: string, imageId: string): FeatureRecord | undefined {
    if (!this.live) return undefined;
    const v = this.versions.get(recordPrefix);
    const e = v?.entries.get(imageId);
    if (e === undefined) return undefined;
    if (e.expiresAt <= Date.now()) {
      this.drop(v!, imageId, e);
      this.o.onEvict?.(recordPrefix + imageId, e.byTtl ? 'ttl' : 'age');
      return undefined;
    }
    e.used = true;
    return e.record;
  }

  /** The grace copy of a record, while down and within serveStaleMs (only for reads Redis failed). */
  stale(recordPrefix: string, imageId: string): FeatureRecord | undefined {
    if (this.live || Date.now() >= this.graceUntil) return undefined;
    return this.grace.get(recordPrefix)?.entries.get(imageId)?.record;
  }

  /** The value a record had before its last invalidation, within serveStaleMs (or its grace copy while down). */
  previous(recordPrefix: string, imageId: string): FeatureRecord | undefined {
    const d = this.dropped.get(recordPrefix + imageId);
    if (d && d.until > Date.now()) return d.record;
    return this.stale(recordPrefix, imageId);
  }

  /** Taken before a read is sent to Redis; given back to fill(). */
  ticket(): number {
    return this.seq;
  }

  /**
   * Keeps a record read from Redis, unless it may have been invalidated since
   * `ticket`, until `expiresAt` (its record's expiry in Redis, Infinity without
   * a TTL) or `maxAgeMs`, whichever comes first: Redis deletes (and so
   * invalidates) an expired key only when it samples or touches it, so without
   * this bound the tier could serve a record past its TTL.
   */
  fill(recordPrefix: string, imageId: string, record: FeatureRecord, encodedBytes: number, ticket: number, expiresAt = Infinity): void {
    if (!this.live || ticket < this.floor) return;
    const now = Date.now();
    if (expiresAt <= now) return;
    const inv = this.invalidated.get(recordPrefix + imageId);
    if (inv !== undefined && inv > ticket) return;
    const bytes = encodedBytes + (recordPrefix.length + imageId.length) * 2 + ENTRY_OVERHEAD_BYTES;
    if (bytes > this.o.maxBytes) return;
    let v = this.versions.get(recordPrefix);
    if (!v) this.versions.set(recordPrefix, (v = { entries: new Map(), bytes: 0 }));
    const old = v.entries.get(imageId);
    if (old) this.drop(v, imageId, old);
    const maxAge = now + this.o.maxAgeMs;
    v.entries.set(imageId, { record, bytes, expiresAt: Math.min(expiresAt, maxAge), byTtl: expiresAt < maxAge, used: false });
    v.bytes += bytes;
    this.bytes += bytes;
    this.count++;
    while (this.bytes > this.o.maxBytes) this.evictOne();
  }

  /** Drops keys written or deleted (by Redis's message or by this process's own write). */
  invalidate(keys: readonly string[]): void {
    const s = ++this.seq;
    if (this.invalidated.size + keys.length > MAX_REMEMBERED) {
      this.invalidated.clear();
      this.floor = s;
    }
    for (const key of keys) {
      this.invalidated.set(key, s);
      const at = this.split(key);
      if (!at) continue;
      const v = this.versions.get(at[0]);
      const e = v?.entries.get(at[1]);
      if (e) {
        this.drop(v!, at[1], e);
        this.keepDropped(key, e.record);
      }
      this.grace.get(at[0])?.entries.delete(at[1]);
    }
  }

  /** Drops everything (the grace copy too) and refuses fills of reads sent before now. */
  flush(): void {
    this.grace = new Map();
    this.versions.clear();
    this.invalidated.clear();
    this.bytes = 0;
    this.count = 0;
    this.floor = ++this.seq;
  }

  /** Invalidations are (again) being delivered: serve and fill from now on. */
  up(): void {
    this.flush();
    this.live = true;
  }

  /** Invalidations may be lost: flush (keeping a grace copy when serveStaleMs > 0), then bypass until up(). */
  down(): void {
    // already down: nothing was filled since, and the grace copy must survive failed reconnects
    if (!this.live) return;
    const held = new Map(this.versions);
    this.live = false;
    this.flush();
    if (this.o.serveStaleMs > 0 && held.size > 0) {
      this.grace = held;
      this.graceUntil = Date.now() + this.o.serveStaleMs;
    }
  }

  private keepDropped(key: string, record: FeatureRecord): void {
    if (this.o.serveStaleMs <= 0) return;
    this.dropped.delete(key);
    this.dropped.set(key, { record, until: Date.now() + this.o.serveStaleMs });
    if (this.dropped.size > MAX_DROPPED) this.dropped.delete(this.dropped.keys().next().value!);
  }

  /** "prefix:version:id" -> ["prefix:version:", "id"]; null for keys that are not records. */
  private split(key: string): [string, string] | null {
    if (!key.startsWith(this.prefix)) return null;
    const colon = key.indexOf(':', this.prefix.length);
    return colon < 0 ? null : [key.slice(0, colon + 1), key.slice(colon + 1)];
  }

  /**
   * Drops one entry of the version holding the most bytes: the oldest not read
   * since the clock hand last passed it (read ones go to the back, once).
   */
  private evictOne(): void {
    let victim: [string, VersionMap] | undefined;
    for (const pair of this.versions) if (!victim || pair[1].bytes > victim[1].bytes) victim = pair;
    if (!victim) return;
    const [recordPrefix, v] = victim;
    for (const [id, e] of v.entries) {
      if (e.used) {
        e.used = false;
        v.entries.delete(id);
        v.entries.set(id, e);
        continue;
      }
      this.drop(v, id, e);
      this.o.onEvict?.(recordPrefix + id, 'size');
      return;
    }
  }

  private drop(v: VersionMap, imageId: string, e: Entry): void {
    v.entries.delete(imageId);
    v.bytes -= e.bytes;
    this.bytes -= e.bytes;
    this.count--;
  }
}
