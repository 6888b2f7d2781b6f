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
  /** Told of entries dropped for room or age (not for invalidations). */
  onEvict?: (key: string, reason: 'size' | 'age') => void;
}

interface Entry {
  record: FeatureRecord;
  bytes: number;
  expiresAt: number;
}

/** Per-entry bookkeeping beyond the encoded value (Map slot, record object, key). */
const ENTRY_OVERHEAD_BYTES = 96;
/** Recent invalidations remembered for the fill check; beyond it every older ticket is refused. */
const MAX_REMEMBERED = 65_536;

export class NearTier {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  /** Incremented by every invalidation and flush; a read's ticket is its value at send time. */
  private seq = 0;
  /** Tickets below this are refused (set by flushes and by forgetting `invalidated`). */
  private floor = 0;
  private readonly invalidated = new Map<string, number>();
  /** True while invalidations are being delivered; false: bypassed, nothing kept. */
  private live = false;

  constructor(private readonly o: NearTierOptions) {}

  get size(): number {
    return this.entries.size;
  }

  get usedBytes(): number {
    return this.bytes;
  }

  get isLive(): boolean {
    return this.live;
  }

  /** The record under `key` when the tier is live and holds a fresh copy. */
  get(key: string): FeatureRecord | undefined {
    if (!this.live) return undefined;
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt <= Date.now()) {
      this.drop(key, e);
      this.o.onEvict?.(key, 'age');
      return undefined;
    }
    // most recently used last
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.record;
  }

  /** Taken before a read is sent to Redis; given back to fill(). */
  ticket(): number {
    return this.seq;
  }

  /** Keeps a record read from Redis, unless it may have been invalidated since `ticket`. */
  fill(key: string, record: FeatureRecord, encodedBytes: number, ticket: number): void {
    if (!this.live || ticket < this.floor) return;
    const inv = this.invalidated.get(key);
    if (inv !== undefined && inv > ticket) return;
    const bytes = encodedBytes + key.length * 2 + ENTRY_OVERHEAD_BYTES;
    if (bytes > this.o.maxBytes) return;
    const old = this.entries.get(key);
    if (old) this.drop(key, old);
    this.entries.set(key, { record, bytes, expiresAt: Date.now() + this.o.maxAgeMs });
    this.bytes += bytes;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.o.maxBytes) break;
      this.drop(k, e);
      this.o.onEvict?.(k, 'size');
    }
  }

  /** Drops keys written or deleted (by Redis's message or by this process's own write). */
  invalidate(keys: readonly string[]): void {
    const s = ++this.seq;
    if (this.invalidated.size + keys.length > MAX_REMEMBERED) {
      this.invalidated.clear();
      this.floor = s;
    }
    for (const k of keys) {
      this.invalidated.set(k, s);
      const e = this.entries.get(k);
      if (e) this.drop(k, e);
    }
  }

  /** Drops everything and refuses fills of reads sent before now. */
  flush(): void {
    this.entries.clear();
    this.invalidated.clear();
    this.bytes = 0;
    this.floor = ++this.seq;
  }

  /** Invalidations are (again) being delivered: serve and fill from now on. */
  up(): void {
    this.flush();
    this.live = true;
  }

  /** Invalidations may be lost: flush, then bypass until up(). */
  down(): void {
    this.live = false;
    this.flush();
  }

  private drop(key: string, e: Entry): void {
    this.entries.delete(key);
    this.bytes -= e.bytes;
  }
}
