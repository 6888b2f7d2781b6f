/**
 * The provenance index layout (version 2: a second chunk for the strongest keypoints, terms.ts): how a descriptor chunk becomes a
 * term, a term a posting bucket, and every Redis key of the index.
 *
 *   <prefix>:@x:<version>:prov:meta                 layout parameters (JSON), checked at first use
 *   <prefix>:@x:<version>:prov:seq                  the last image number given out (INCRBY)
 *   <prefix>:@x:<version>:prov:f:{prov.f<g>}        hash: image ID -> number (u32 BE) + descriptor fingerprint (u32 BE); 256 shards by ID
 *   <prefix>:@x:<version>:prov:r:{prov.r<g>}        hash: number (u32 BE) -> image ID; 256 shards by number
 *   <prefix>:@x:<version>:prov:p:{prov.<s>}         hash: posting buckets of shard s; field = the bucket's low
 *                                                   12 bits (2 B BE), value = packed postings [number u32 BE | rest u16 BE] ...
 *
 * A term is a 32-bit descriptor chunk (8 per 256-bit ORB descriptor) mixed with
 * its position by a bijection (murmur3's finaliser of chunk ^ a per-position
 * constant), so equal terms mean equal chunks at the same position (up to a
 * 2^-32 cross-position coincidence). Its top `bucketBits` name the bucket (the
 * top `shardBits` of those the key), the other bits are stored in the posting
 * and compared on read: a vote is an exact 32-bit chunk match.
 */
import { indexBase } from '../../redis/keys.js';
import { fnv1a32 } from '../../search/layout.js';
import type { ResolvedProvenanceIndexOptions } from './options.js';

/** Bytes of one posting: image number (u32) + the term's bits below the bucket (u16). */
export const POSTING_BYTES = 6;
/** Bytes of a bucket field (the bucket's bits below the shard, at most 12). */
export const FIELD_BYTES = 2;
/** Shards of the image-number maps (each its own hash tag). */
export const MAP_SHARDS = 256;
/** Name of the index under the version's index keys. */
const NAME = 'prov';

const POSITION_SALT = [0x00000000, 0x9e3779b9, 0x3c6ef372, 0xdaa66d2b, 0x78dde6e4, 0x1715609d, 0xb54cda56, 0x5384540f];

/** murmur3's 32-bit finaliser: a bijection that spreads chunk values over buckets. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The term of chunk value `chunk` at position `position` (0..7). */
export function termOf(chunk: number, position: number): number {
  return fmix32((chunk ^ POSITION_SALT[position]!) >>> 0);
}

export class ProvenanceLayout {
  readonly base: string;
  readonly meta: string;
  readonly seq: string;
  /** Bits of a term below its bucket (stored in the posting). */
  readonly restBits: number;
  readonly fieldBits: number;
  private readonly postingKeys: string[];
  private readonly forwardKeys: string[];
  private readonly reverseKeys: string[];

  constructor(
    prefix: string,
    version: string,
    readonly o: Pick<ResolvedProvenanceIndexOptions, 'bucketBits' | 'shardBits'>,
  ) {
    this.base = `${indexBase(prefix, version)}${NAME}`;
    this.meta = `${this.base}:meta`;
    this.seq = `${this.base}:seq`;
    this.restBits = 32 - o.bucketBits;
    this.fieldBits = o.bucketBits - o.shardBits;
    this.postingKeys = Array.from({ length: 2 ** o.shardBits }, (_, s) => `${this.base}:p:{${NAME}.${s}}`);
    this.forwardKeys = Array.from({ length: MAP_SHARDS }, (_, g) => `${this.base}:f:{${NAME}.f${g}}`);
    this.reverseKeys = Array.from({ length: MAP_SHARDS }, (_, g) => `${this.base}:r:{${NAME}.r${g}}`);
  }

  /** Parameters every writer and reader of this index must share. */
  describe(): string {
    return JSON.stringify({ layout: 2, bucketBits: this.o.bucketBits, shardBits: this.o.shardBits, postingBytes: POSTING_BYTES });
  }

  /** Key (shard index) of a term's bucket. */
  shardOf(term: number): number {
    return term >>> (32 - this.o.shardBits);
  }

  /** The bucket's field within its shard key. */
  fieldOf(term: number): number {
    return (term >>> this.restBits) & ((1 << this.fieldBits) - 1);
  }

  restOf(term: number): number {
    return term & ((1 << this.restBits) - 1);
  }

  postingKey(shard: number): string {
    return this.postingKeys[shard]!;
  }

  allPostingKeys(): readonly string[] {
    return this.postingKeys;
  }

  forwardKey(imageId: string): string {
    return this.forwardKeys[fnv1a32(imageId) % MAP_SHARDS]!;
  }

  reverseKey(num: number): string {
    return this.reverseKeys[num % MAP_SHARDS]!;
  }

  allReverseKeys(): readonly string[] {
    return this.reverseKeys;
  }

  allForwardKeys(): readonly string[] {
    return this.forwardKeys;
  }
}

/** A number as the 4-byte field of the reverse map. */
export function numField(num: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(num >>> 0, 0);
  return b;
}
