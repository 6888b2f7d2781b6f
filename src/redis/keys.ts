/**
 * The Redis key schema. Every key featcache writes is built here, nowhere else.
 *
 *   <prefix>:r:<version>:<imageId>     one record (all feature types of one image)
 *   <prefix>:g:<version>:<group>       set of image IDs in a group
 *   <prefix>:n:<version>[:{tag}]       count of records of <version> (per hash slot on a Cluster)
 *   <prefix>:stats                     hash of shared counters
 *   <prefix>:expiry-leader             lease of the instance that tracks expiry/eviction
 *   <prefix>:l:<version>:<imageId>     read-through lock (stampede protection)
 *
 * Prefix and version are restricted to [A-Za-z0-9._+-] so they can never contain
 * ':' or glob characters; image IDs and group names are opaque and only ever
 * appear at the end of a key, never inside a SCAN pattern.
 */
import { slotTag } from './slot-tags.js';

export const SAFE_SEGMENT = /^[A-Za-z0-9._+-]{1,128}$/;

/** Escapes glob metacharacters for SCAN MATCH (defence in depth: segments are already safe). */
export function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

export class KeySchema {
  readonly recordPrefix: string;
  readonly groupPrefix: string;
  readonly stats: string;
  /** Every similarity-index key of this version starts with this (see src/search/layout.ts). */
  readonly indexPrefix: string;
  /** ...and of any version with this. */
  readonly indexPrefixAny: string;
  readonly leader: string;
  private readonly countBase: string;

  constructor(
    readonly prefix: string,
    readonly version: string,
    /** On a Cluster, counters are kept per hash slot so a Lua script can touch a record and its counter. */
    readonly perSlotCounters: boolean,
  ) {
    this.recordPrefix = `${prefix}:r:${version}:`;
    this.groupPrefix = `${prefix}:g:${version}:`;
    this.stats = `${prefix}:stats`;
    this.indexPrefix = `${prefix}:x:${version}:`;
    this.indexPrefixAny = `${prefix}:x:`;
    this.leader = `${prefix}:expiry-leader`;
    this.countBase = `${prefix}:n:${version}`;
  }

  record(imageId: string): string {
    return this.recordPrefix + imageId;
  }

  lock(imageId: string): string {
    return `${this.prefix}:l:${this.version}:${imageId}`;
  }

  group(name: string): string {
    return this.groupPrefix + name;
  }

  /** The counter a record key is counted in (same hash slot on a Cluster). */
  countFor(slot: number): string {
    return this.perSlotCounters ? `${this.countBase}:{${slotTag(slot)}}` : this.countBase;
  }

  /** Counter of another version (used when a key expires). */
  countOf(version: string, slot: number): string {
    const base = `${this.prefix}:n:${version}`;
    return this.perSlotCounters ? `${base}:{${slotTag(slot)}}` : base;
  }

  /** SCAN pattern for every record of every version under this prefix. */
  allRecordsPattern(): string {
    return `${escapeGlob(this.prefix)}:r:*`;
  }

  allGroupsPattern(): string {
    return `${escapeGlob(this.groupPrefix)}*`;
  }

  allCountersPattern(): string {
    return `${escapeGlob(this.prefix)}:n:*`;
  }

  /** Splits `<prefix>:r:<version>:<imageId>`; null for keys that are not records of this prefix. */
  parseRecordKey(key: string): { version: string; imageId: string } | null {
    const head = `${this.prefix}:r:`;
    if (!key.startsWith(head)) return null;
    const sep = key.indexOf(':', head.length);
    if (sep < 0) return null;
    return { version: key.slice(head.length, sep), imageId: key.slice(sep + 1) };
  }

  /** The version a counter key counts, or null. */
  parseCounterKey(key: string): string | null {
    const head = `${this.prefix}:n:`;
    if (!key.startsWith(head)) return null;
    const rest = key.slice(head.length);
    const sep = rest.indexOf(':');
    return sep < 0 ? rest : rest.slice(0, sep);
  }
}
