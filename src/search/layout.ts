/**
 * The index layout (version 4): how a 64-bit hash is cut into m disjoint
 * bucket fields (one table each), how a table entry is packed, and every
 * Redis key of the index.
 *
 *   <prefix>:@x:<version>:<field>:meta                layout parameters (JSON), checked at start
 *   <prefix>:@x:<version>:<field>:t:{<field>.<i>.<s>}  hash: table i, shard s; field = bucket (F bits, big-endian),
 *                                                     value = packed entries [dictionary shard (P bytes) | rest u32] ...
 *   <prefix>:@x:<version>:<field>:d:{<field>.d<g>}:<shard>
 *                                                     string: image-ID dictionary shard, ~64 images: [n u16][hash 8 B x n]["\\0" id "\\0" ...] (dict-shard.ts)
 *
 * Table t's bucket is the F bits of the hash starting at bit t*F (0 = most
 * significant); its entry's "rest" is the 32 bits right after them (cyclically),
 * disjoint from the bucket bits, so bucket distance + rest distance is a lower
 * bound of the true distance. The entry names no image: it names the
 * dictionary shard (~64 images) that holds the image's ID and full hash, and a
 * candidate is resolved by reading that shard. No per-image number is stored
 * anywhere, so there is no number-to-ID table to keep.
 */
import { indexBase } from '../redis/keys.js';
import type { ResolvedSimilarityOptions } from './options.js';

/** Bytes of the rest part of an entry (32 bits of the hash outside the bucket). */
export const REST_BYTES = 4;

/**
 * Dictionary shards are grouped under 2^6 hash tags (slot groups), so one
 * script call or MGET covers every shard of a group that a write chunk or a
 * query touches, while a Cluster still spreads the dictionary over 64 slots.
 */
export const DICT_GROUP_BITS = 6;

export interface TableLayout {
  index: number;
  /** First bit of the bucket field (0 = most significant). */
  start: number;
  /** Bucket field length in bits (F). */
  len: number;
  /** Bytes of a bucket name (the field, big-endian). */
  fieldBytes: number;
  /** Table shards: the top `shardBits` of the bucket pick the Redis key. */
  shardBits: number;
}

export type LayoutOptions = Pick<ResolvedSimilarityOptions, 'tables' | 'bucketBits' | 'tableShardBits' | 'dictionaryBits' | 'bucketCap'>;

export class IndexLayout {
  readonly tables: TableLayout[];
  readonly base: string;
  readonly meta: string;
  /** Bytes of the dictionary-shard pointer of an entry (one spare value for the sentinel). */
  readonly ptrBytes: number;
  /** Entry width: pointer + rest. */
  readonly width: number;
  /** Pointer value of the sentinel entry (all bits set; never a real shard). */
  readonly sentinelPtr: number;
  private readonly keyCache: string[][];

  constructor(
    prefix: string,
    version: string,
    readonly field: string,
    readonly o: LayoutOptions,
  ) {
    if (o.tables * o.bucketBits > 64) throw new RangeError(`tables * bucketBits must be <= 64 (got ${o.tables} * ${o.bucketBits})`);
    this.base = indexBase(prefix, version) + field;
    this.meta = `${this.base}:meta`;
    this.ptrBytes = Math.max(1, Math.ceil((o.dictionaryBits + 1) / 8));
    this.width = this.ptrBytes + REST_BYTES;
    this.sentinelPtr = 2 ** (8 * this.ptrBytes) - 1;
    const F = o.bucketBits;
    this.tables = Array.from({ length: o.tables }, (_, i) => ({
      index: i,
      start: i * F,
      len: F,
      fieldBytes: Math.ceil(F / 8),
      shardBits: Math.min(o.tableShardBits, F),
    }));
    this.keyCache = this.tables.map((t) =>
      Array.from({ length: 2 ** t.shardBits }, (_, s) => `${this.base}:t:{${field}.${t.index}.${s}}`),
    );
  }

  /** Parameters that must match between every writer and reader of this index. */
  describe(): string {
    const { tables, bucketBits, tableShardBits, dictionaryBits } = this.o;
    return JSON.stringify({ layout: 4, field: this.field, tables, bucketBits, tableShardBits, dictionaryBits });
  }

  /** Table t's bucket (F bits) of the hash (hi, lo = its two 32-bit halves). */
  bucket(t: TableLayout, hi: number, lo: number): number {
    return top32(hi, lo, t.start) >>> (32 - t.len);
  }

  /** The 32 bits after table t's bucket (cyclically): the rest part of its entry. */
  rest(t: TableLayout, hi: number, lo: number): number {
    return top32(hi, lo, (t.start + t.len) % 64);
  }

  /** Redis key of the table shard that holds `bucket`. */
  tableKey(t: TableLayout, bucket: number): string {
    const shard = t.shardBits === 0 ? 0 : bucket >>> (t.len - t.shardBits);
    return this.keyCache[t.index]![shard]!;
  }

  /** Every table shard key (for cleanup and memory accounting). */
  allTableKeys(): string[] {
    return this.keyCache.flat();
  }

  /** The bucket name as a hash field (big-endian, fieldBytes). */
  bucketField(t: TableLayout, bucket: number): Buffer {
    const b = Buffer.allocUnsafe(t.fieldBytes);
    writeUIntBE(b, 0, bucket, t.fieldBytes);
    return b;
  }

  /** Writes the entry (dictionary shard, rest) at `offset`. */
  writeEntry(buf: Buffer, offset: number, ptr: number, rest: number): void {
    writeUIntBE(buf, offset, ptr, this.ptrBytes);
    buf.writeUInt32BE(rest >>> 0, offset + this.ptrBytes);
  }

  /** One image's entry in table t, as a Buffer. */
  entry(t: TableLayout, ptr: number, hi: number, lo: number): Buffer {
    const e = Buffer.allocUnsafe(this.width);
    this.writeEntry(e, 0, ptr, this.rest(t, hi, lo));
    return e;
  }

  /** The dictionary shard of an image ID (stable across processes). */
  dictShard(imageId: string): number {
    if (this.o.dictionaryBits === 0) return 0;
    return fnv1a32(imageId) >>> (32 - this.o.dictionaryBits);
  }

  /** The slot group of a dictionary shard. */
  dictGroup(shard: number): number {
    const bits = this.o.dictionaryBits;
    return bits <= DICT_GROUP_BITS ? shard : shard >>> (bits - DICT_GROUP_BITS);
  }

  dictKey(shard: number): string {
    return `${this.base}:d:{${this.field}.d${this.dictGroup(shard)}}:${shard}`;
  }
}

/** The top 32 bits of the 64-bit value (hi, lo) rotated left by k (0..63). */
export function top32(hi: number, lo: number, k: number): number {
  if (k === 0) return hi >>> 0;
  if (k < 32) return ((hi << k) | (lo >>> (32 - k))) >>> 0;
  if (k === 32) return lo >>> 0;
  return ((lo << (k - 32)) | (hi >>> (64 - k))) >>> 0;
}

/** Reads a big-endian unsigned integer of 1..4 bytes. */
export function readUIntBE(b: Buffer, offset: number, bytes: number): number {
  let v = 0;
  for (let i = 0; i < bytes; i++) v = v * 256 + b[offset + i]!;
  return v;
}

function writeUIntBE(b: Buffer, offset: number, value: number, bytes: number): void {
  let v = value;
  for (let i = bytes - 1; i >= 0; i--) {
    b[offset + i] = v & 0xff;
    v = Math.floor(v / 256);
  }
}

/** FNV-1a over the UTF-8 bytes of `s`, unsigned 32-bit (no allocation for ASCII IDs). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return fnv1a32Bytes(Buffer.from(s, 'utf8'));
    h ^= c;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function fnv1a32Bytes(b: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) {
    h ^= b[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
