/**
 * The cache's typed events. Emitting is guarded by `wants(name)`, so a cache
 * nobody listens to builds no event objects on its hot paths.
 */
import { EventEmitter } from 'node:events';

export interface CacheEventMap {
  /** A record was found; `source` says whether the near tier answered. */
  hit: { imageId: string; version: string; source: 'near' | 'redis' };
  miss: { imageId: string; version: string };
  set: { imageIds: string[]; version: string };
  /** Keys dropped: by invalidate() (`call`) or by Redis's invalidation message (`redis`, raw keys; null = database flushed). */
  invalidate: { source: 'call'; imageIds: string[]; version: string } | { source: 'redis'; keys: string[] | null };
  /** The near tier dropped an entry for room or age. */
  /** `ttl`: the record's TTL in Redis ran out; `age`: maxAgeMs; `size`: maxBytes. */
  evict: { key: string; reason: 'size' | 'age' | 'ttl' };
  /** Redis removed records on its own (TTL expiry or maxmemory eviction), from keyspace events. */
  expire: { imageIds: string[]; version: string };
  error: { operation: string; error: Error };
}

export type CacheEventName = keyof CacheEventMap;
export type CacheListener<K extends CacheEventName> = (event: CacheEventMap[K]) => void;

export class CacheEvents {
  private readonly emitter = new EventEmitter();
  /** Listener counts per event, read on the hot path instead of EventEmitter.listenerCount. */
  private readonly counts: Record<CacheEventName, number> = { hit: 0, miss: 0, set: 0, invalidate: 0, evict: 0, expire: 0, error: 0 };

  constructor() {
    // 'error' on a bare EventEmitter throws when nobody listens: emit() guards it with wants()
    this.emitter.setMaxListeners(0);
  }

  on<K extends CacheEventName>(name: K, listener: CacheListener<K>): void {
    this.emitter.on(name, listener);
    this.counts[name]++;
  }

  off<K extends CacheEventName>(name: K, listener: CacheListener<K>): void {
    const before = this.emitter.listenerCount(name);
    this.emitter.off(name, listener);
    if (this.emitter.listenerCount(name) < before) this.counts[name]--;
  }

  wants(name: CacheEventName): boolean {
    return this.counts[name] > 0;
  }

  /** A listener that throws is not the cache's failure: it is reported on 'error' (or dropped). */
  emit<K extends CacheEventName>(name: K, event: CacheEventMap[K]): void {
    if (this.counts[name] === 0) return;
    for (const listener of this.emitter.listeners(name) as Array<CacheListener<K>>) {
      try {
        listener(event);
      } catch (error) {
        if (name !== 'error') this.emit('error', { operation: `${name} listener`, error: error as Error });
      }
    }
  }
}
