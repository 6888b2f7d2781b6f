/**
 * Group indexes: one Redis set of image IDs per (version, group), kept alive at
 * least as long as its longest-lived member (the fcGroupAdd script). Members
 * whose record is gone (expired, evicted, invalidated) are pruned when a group
 * is listed, and by cleanup().
 */
import type { Cluster, Redis } from 'ioredis';
import type { KeySchema } from '../redis/keys.js';
import { mapRedisError } from '../redis/map-error.js';
import { chunk } from './batch.js';
import type { GroupAdd, RecordStore, WriteEntry } from './record-store.js';

/** Members asked for per SSCAN step when a group is read. */
const SCAN_COUNT = 1000;

export class GroupIndex {
  constructor(
    private readonly client: Redis | Cluster,
    private readonly store: RecordStore,
    private readonly keys: KeySchema,
    /** Existence checks of a listing are sent in batches of this many. */
    private readonly batch: number,
  ) {}

  /**
   * Every member of a group, read with SSCAN in steps of ~1,000 (SMEMBERS on a
   * group of millions would block Redis for as long as it takes to reply).
   */
  async members(group: string, what: string): Promise<string[]> {
    const groupKey = this.keys.group(group);
    const members = new Set<string>(); // SSCAN may return a member twice
    let cursor = '0';
    try {
      do {
        const [next, found] = await this.client.sscan(groupKey, cursor, 'COUNT', SCAN_COUNT);
        cursor = next;
        for (const m of found) members.add(m);
      } while (cursor !== '0');
    } catch (err) {
      throw mapRedisError(err, what);
    }
    return [...members];
  }

  /** The members whose record still exists, sorted; the others are removed from the set. */
  async live(group: string): Promise<string[]> {
    const members = await this.members(group, 'group list');
    if (members.length === 0) return [];
    const groupKey = this.keys.group(group);
    const live: string[] = [];
    // existence checks and pruning in batches: one pipeline per node per batch
    for (const part of chunk(members, this.batch)) {
      const present = await this.store.exists(part.map((id) => this.keys.record(id)));
      const gone = part.filter((_, i) => !present[i]);
      for (let i = 0; i < part.length; i++) if (present[i]) live.push(part[i]!);
      if (gone.length > 0) await this.client.srem(groupKey, ...gone).catch(() => {});
    }
    return live.sort();
  }

  /** Adds one image to groups (its record is written separately). */
  async add(imageId: string, groups: string[], ttlMs: number): Promise<void> {
    await this.store.write([], groups.map((g) => ({ key: this.keys.group(g), ids: [imageId], ttlMs })));
  }

  /** Deletes the group's set (not its members' records). */
  async drop(group: string): Promise<void> {
    await this.client.unlink(this.keys.group(group)).catch((err) => {
      throw mapRedisError(err, 'group invalidate');
    });
  }
}

/** The group additions of a batch of writes: one SADD per group, with the longest TTL among its members. */
export function collectGroups(part: Array<{ entry: WriteEntry; imageId: string; groups?: string[] }>, keys: KeySchema): GroupAdd[] {
  const byGroup = new Map<string, GroupAdd>();
  for (const p of part) {
    if (!p.groups) continue;
    for (const g of p.groups) {
      const key = keys.group(g);
      const existing = byGroup.get(key);
      const ttl = p.entry.ttlMs;
      if (!existing) byGroup.set(key, { key, ids: [p.imageId], ttlMs: ttl });
      else {
        existing.ids.push(p.imageId);
        existing.ttlMs = existing.ttlMs === 0 || ttl === 0 ? 0 : Math.max(existing.ttlMs, ttl);
      }
    }
  }
  return [...byGroup.values()];
}
