/**
 * The Redis key schema. Every key featcache writes is built here, nowhere else.
 *
 *   <prefix>:<version>:<imageId>        one record (all feature types of one image)
 *   <prefix>:@g:<version>:<group>       set of image IDs in a group
 *   <prefix>:@n:<version>[:{tag}]       count of records of <version> (per hash slot on a Cluster)
 *   <prefix>:@stats                     hash of shared counters
 *   <prefix>:@expiry-leader             lease of the instance that tracks expiry/eviction
 *   <prefix>:@l:<version>:<imageId>     read-through lock (stampede protection)
 *   <prefix>:@x:<version>:...           similarity index (src/search/layout.ts)
 *   <prefix>:@p:<version>:<digest>      cached pairwise verdict (src/provenance/pair-cache.ts)
 *
 * Records, one per image, have the shortest key that still reads well: each
 * byte of it is paid once per image, and Redis rounds the key's allocation up
 * to a size class (a 22-character ID under the default prefix costs 136 B per
 * record, 152 B with two characters more; docs/ARCHITECTURE.md). Bookkeeping
 * keys start with '@', which no version can contain, so the two never collide
 * and every key stays under `<prefix>:` (one ACL pattern `~<prefix>:*` covers
 * featcache).
 *
 * Prefix and version follow KEY_SEGMENT (src/rules.ts), so they can never
 * contain ':', '@' or glob characters; image IDs and group names are opaque and
 * only ever appear at the end of a key, never inside a SCAN pattern.
 */
import { slotTag } from './slot-tags.js';

const AT = '@'.charCodeAt(0);

/** Where the similarity-index keys of one version start (`<prefix>:@x:<version>:`). */
export function indexBase(prefix: string, version: string): string {
  return `${prefix}:@x:${version}:`;
}

/** Escapes glob metacharacters for SCAN MATCH (defence in depth: segments are already safe). */
export function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

export class KeySchema {
  readonly recordPrefix: string;
  readonly groupPrefix: string;
  /** Every group key of any version starts with this. */
  readonly groupPrefixAny: string;
  readonly stats: string;
  /** Every similarity-index key of this version starts with this (see src/search/layout.ts). */
  readonly indexPrefix: string;
  /** ...and of any version with this. */
  readonly indexPrefixAny: string;
  readonly leader: string;
  /** Every cached pairwise verdict of this version starts with this; of any version with `pairPrefixAny`. */
  readonly pairPrefix: string;
  readonly pairPrefixAny: string;
  private readonly countBase: string;

  constructor(
    readonly prefix: string,
    readonly version: string,
    /** On a Cluster, counters are kept per hash slot so a Lua script can touch a record and its counter. */
    readonly perSlotCounters: boolean,
  ) {
    this.recordPrefix = `${prefix}:${version}:`;
    this.groupPrefix = `${prefix}:@g:${version}:`;
    this.groupPrefixAny = `${prefix}:@g:`;
    this.stats = `${prefix}:@stats`;
    this.indexPrefix = indexBase(prefix, version);
    this.indexPrefixAny = `${prefix}:@x:`;
    this.leader = `${prefix}:@expiry-leader`;
    this.pairPrefixAny = `${prefix}:@p:`;
    this.pairPrefix = `${this.pairPrefixAny}${version}:`;
    this.countBase = `${prefix}:@n:${version}`;
  }

  record(imageId: string): string {
    return this.recordPrefix + imageId;
  }

  lock(imageId: string): string {
    return `${this.prefix}:@l:${this.version}:${imageId}`;
  }

  /** A cached verdict of an ordered pair; `digest` is a hex digest of the pair and the verification parameters. */
  pairVerdict(digest: string): string {
    return `${this.pairPrefix}${digest}`;
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
    const base = `${this.prefix}:@n:${version}`;
    return this.perSlotCounters ? `${base}:{${slotTag(slot)}}` : base;
  }

  allGroupsPattern(): string {
    return `${escapeGlob(this.groupPrefix)}*`;
  }

  allCountersPattern(): string {
    return `${escapeGlob(this.prefix)}:@n:*`;
  }

  /** Splits `<prefix>:<version>:<imageId>`; null for keys that are not records of this prefix. */
  parseRecordKey(key: string): { version: string; imageId: string } | null {
    const head = `${this.prefix}:`;
    if (!key.startsWith(head) || key.charCodeAt(head.length) === AT) return null;
    const sep = key.indexOf(':', head.length);
    if (sep < 0) return null;
    return { version: key.slice(head.length, sep), imageId: key.slice(sep + 1) };
  }

  /** The version a counter key counts, or null. */
  parseCounterKey(key: string): string | null {
    const head = `${this.prefix}:@n:`;
    if (!key.startsWith(head)) return null;
    const rest = key.slice(head.length);
    const sep = rest.indexOf(':');
    return sep < 0 ? rest : rest.slice(0, sep);
  }
}
