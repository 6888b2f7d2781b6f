/**
 * The index layout: how a 64-bit hash is cut into m substrings (one table
 * each), how a table entry is packed, and every Redis key of the index.
 *
 *   <prefix>:x:<version>:<field>:meta                 layout parameters (JSON), checked at start
 *   <prefix>:x:<version>:<field>:t:{<field>.<i>.<s>}  hash: table i, shard s; field = substring (big-endian bytes),
 *                                                     value = packed entries [ordinal u32 BE | rest bytes] ...
 *   <prefix>:x:<version>:<field>:d:<shard>            hash: image-ID dictionary shard; field = image ID,
 *                                                     value = hash (8 bytes) + slot (u32 BE); field "\0" = next slot
 *
 * An entry's ordinal is (dictionary shard << localBits | slot): it names the
 * image in 4 bytes and says which dictionary shard resolves it. The rest bytes
 * are the hash without the table's substring (which is the bucket's name), so
 * a candidate's exact distance is computed from the bucket alone.
 */
import type { ResolvedSimilarityOptions } from './options.js';

/** Marks a bucket that reached the cap: later entries were not stored. */
export const SENTINEL_ORDINAL = 0xffffffff;
export const ORDINAL_BYTES = 4;

export interface TableLayout {
  index: number;
  /** First bit (0 = most significant). */
  start: number;
  /** Substring length in bits. */
  len: number;
  /** Bits of the hash below the substring. */
  lowBits: number;
  restBytes: number;
  /** Entry width: ordinal + rest. */
  width: number;
  /** Bytes of a bucket name (the substring, big-endian). */
  fieldBytes: number;
  /** Table shards: the top `shardBits` of the substring pick the Redis key. */
  shardBits: number;
}

export class IndexLayout {
  readonly tables: TableLayout[];
  readonly base: string;
  readonly meta: string;
  readonly localBits: number;
  readonly maxSlot: number;

  constructor(
    prefix: string,
    version: string,
    readonly field: string,
    readonly o: Pick<ResolvedSimilarityOptions, 'tables' | 'tableShardBits' | 'dictionaryBits' | 'bucketCap'>,
  ) {
    this.base = `${prefix}:x:${version}:${field}`;
    this.meta = `${this.base}:meta`;
    this.localBits = 32 - o.dictionaryBits;
    // the last slot of the last shard would be the sentinel ordinal
    this.maxSlot = 2 ** this.localBits - 2;
    const m = o.tables;
    const baseLen = Math.floor(64 / m);
    const extra = 64 % m;
    this.tables = [];
    let start = 0;
    for (let i = 0; i < m; i++) {
      const len = baseLen + (i < extra ? 1 : 0);
      const restBytes = Math.ceil((64 - len) / 8);
      this.tables.push({
        index: i,
        start,
        len,
        lowBits: 64 - start - len,
        restBytes,
        width: ORDINAL_BYTES + restBytes,
        fieldBytes: Math.ceil(len / 8),
        shardBits: Math.min(o.tableShardBits, len),
      });
      start += len;
    }
  }

  /** Parameters that must match between every writer and reader of this index. */
  describe(): string {
    const { tables, tableShardBits, dictionaryBits } = this.o;
    return JSON.stringify({ layout: 1, field: this.field, tables, tableShardBits, dictionaryBits });
  }

  substring(t: TableLayout, h: bigint): number {
    return Number((h >> BigInt(t.lowBits)) & ((1n << BigInt(t.len)) - 1n));
  }

  /** The hash without table t's substring, as a big-endian integer of restBytes bytes. */
  rest(t: TableLayout, h: bigint): Buffer {
    const high = t.start === 0 ? 0n : h >> BigInt(64 - t.start);
    const low = h & ((1n << BigInt(t.lowBits)) - 1n);
    let v = (high << BigInt(t.lowBits)) | low;
    const out = Buffer.alloc(t.restBytes);
    for (let i = t.restBytes - 1; i >= 0; i--) {
      out[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return out;
  }

  /** Inverse of substring + rest. */
  reconstruct(t: TableLayout, sub: number, rest: Buffer, offset: number): bigint {
    let v = 0n;
    for (let i = 0; i < t.restBytes; i++) v = (v << 8n) | BigInt(rest[offset + i]!);
    const high = v >> BigInt(t.lowBits);
    const low = v & ((1n << BigInt(t.lowBits)) - 1n);
    return (t.start === 0 ? 0n : high << BigInt(64 - t.start)) | (BigInt(sub) << BigInt(t.lowBits)) | low;
  }

  /** Redis key of the table shard that holds bucket `sub`. */
  tableKey(t: TableLayout, sub: number): string {
    const shard = t.shardBits === 0 ? 0 : sub >>> (t.len - t.shardBits);
    return `${this.base}:t:{${this.field}.${t.index}.${shard}}`;
  }

  /** Every table shard key (for cleanup and memory accounting). */
  allTableKeys(): string[] {
    const keys: string[] = [];
    for (const t of this.tables) {
      for (let s = 0; s < 2 ** t.shardBits; s++) keys.push(`${this.base}:t:{${this.field}.${t.index}.${s}}`);
    }
    return keys;
  }

  bucketField(t: TableLayout, sub: number): Buffer {
    const b = Buffer.alloc(t.fieldBytes);
    let v = sub;
    for (let i = t.fieldBytes - 1; i >= 0; i--) {
      b[i] = v & 0xff;
      v = Math.floor(v / 256);
    }
    return b;
  }

  entry(t: TableLayout, ordinal: number, h: bigint): Buffer {
    const e = Buffer.allocUnsafe(t.width);
    e.writeUInt32BE(ordinal >>> 0, 0);
    this.rest(t, h).copy(e, ORDINAL_BYTES);
    return e;
  }

  dictShard(imageId: string): number {
    if (this.o.dictionaryBits === 0) return 0;
    return fnv1a32(imageId) >>> (32 - this.o.dictionaryBits);
  }

  dictKey(shard: number): string {
    return `${this.base}:d:${shard}`;
  }

  ordinal(shard: number, slot: number): number {
    return (shard * 2 ** this.localBits + slot) >>> 0;
  }

  splitOrdinal(ordinal: number): { shard: number; slot: number } {
    return { shard: Math.floor(ordinal / 2 ** this.localBits), slot: ordinal % 2 ** this.localBits };
  }
}

/** FNV-1a over the UTF-8 bytes of `s`, unsigned 32-bit. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  const b = Buffer.from(s, 'utf8');
  for (let i = 0; i < b.length; i++) {
    h ^= b[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
