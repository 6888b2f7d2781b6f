/**
 * The Redis side of one field's index: dictionary shards (image ID <-> hash, see dict-shard.ts) and
 * packed table buckets. Every call batches by key and runs one pipeline per
 * node (see runGrouped): a write chunk costs one round trip for the dictionary
 * and one for all its table updates.
 */
import type { ChainableCommander } from 'ioredis';
import type { ExtensionContext } from '../cache/extension.js';
import { shardHashBytes, shardIds, shardSize } from './dict-shard.js';
import { bytesToHash, hashHi, hashLo } from './hash64.js';
import { IndexLayout, type TableLayout } from './layout.js';
import { runGrouped } from './grouped.js';
import type { SimilarityScripts } from './scripts.js';

type ScriptPipe = ChainableCommander & { [K in keyof SimilarityScripts]: (...a: Parameters<SimilarityScripts[K]>) => ScriptPipe };

export interface DictEntry {
  imageId: string;
  shard: number;
  hash: bigint;
  /** The stored hash (8 bytes), for conditional deletes. */
  raw: Buffer;
}

/** One entry to add to or remove from a bucket of one table. */
export interface BucketOp {
  table: TableLayout;
  bucket: number;
  /** Dictionary shard of the image. */
  ptr: number;
  rest: number;
}

export class IndexStore {
  constructor(
    private readonly ctx: Pick<ExtensionContext, 'client' | 'router'>,
    readonly layout: IndexLayout,
  ) {}

  /** Stores hashes (IDs must be unique); returns each image's previous hash (null when new), aligned. One script call per hash slot (one in all on a single node). */
  async dictPut(items: Array<{ imageId: string; hash: bigint }>): Promise<Array<bigint | null>> {
    const groups = this.byGroup(items.map((it, i) => ({ shard: this.layout.dictShard(it.imageId), imageId: it.imageId, hash: it.hash, i })));
    const replies = await runGrouped(
      this.ctx,
      groups.map((shards) => ({
        key: this.layout.dictKey(shards[0]![0]),
        add: (pipe) => {
          const list = shards.flatMap(([, l]) => l);
          const hashes = Buffer.allocUnsafe(8 * list.length);
          list.forEach((it, j) => hashes.writeBigUInt64BE(it.hash, 8 * j));
          const args: Array<string | Buffer> = shards.map(([shard]) => this.layout.dictKey(shard));
          // IDs never contain NUL (the cache rejects control characters): one NUL-terminated blob
          args.push(hashes, counts(shards), `${list.map((it) => it.imageId).join('\0')}\0`);
          (pipe as ScriptPipe).fcxDictPutBuffer(shards.length, ...args);
        },
      })),
      'similarity index write',
    );
    const out = new Array<bigint | null>(items.length).fill(null);
    groups.forEach((shards, g) => {
      const reply = replies[g] as Buffer;
      shards
        .flatMap(([, l]) => l)
        .forEach((it, j) => {
          if (reply[9 * j] === 1) out[it.i] = bytesToHash(reply, 9 * j + 1);
        });
    });
    return out;
  }

  /**
   * Items grouped by shard, the shards grouped by hash slot: one group per slot
   * group on a Cluster, a single group on one node (a script or MGET may name
   * any keys there), so a chunk or a query costs one call per slot touched.
   */
  private byGroup<T extends { shard: number }>(items: T[]): Array<Array<[number, T[]]>> {
    const shards = [...groupBy(items, (it) => it.shard)];
    const groups = this.ctx.router.route(shards.map(([shard]) => this.layout.dictKey(shard)));
    return groups.flatMap((g) => g.buckets.map((b) => b.indices.map((i) => shards[i]!)));
  }

  /** Dictionary entries of these images (null when not indexed), aligned. One GET per shard. */
  async dictGet(imageIds: string[]): Promise<Array<DictEntry | null>> {
    const byShard = [...groupBy(imageIds.map((id, i) => ({ id, i })), (it) => this.layout.dictShard(it.id))];
    const blobs = await this.readShards(byShard.map(([shard]) => shard));
    const out = new Array<DictEntry | null>(imageIds.length).fill(null);
    byShard.forEach(([shard, list], s) => {
      const blob = blobs[s];
      if (!blob || shardSize(blob) === 0) return;
      const slots = new Map(shardIds(blob).map((id, k) => [id, k] as const));
      for (const it of list) {
        const k = slots.get(it.id);
        if (k !== undefined) out[it.i] = { imageId: it.id, shard, hash: blob.readBigUInt64BE(2 + 8 * k), raw: shardHashBytes(blob, k) };
      }
    });
    return out;
  }

  /** Deletes dictionary entries whose stored hash is unchanged since read. One script call per hash slot. */
  async dictDelete(entries: DictEntry[]): Promise<number> {
    const groups = this.byGroup(entries);
    const replies = await runGrouped(
      this.ctx,
      groups.map((shards) => ({
        key: this.layout.dictKey(shards[0]![0]),
        add: (pipe) => {
          const args: Array<string | Buffer> = shards.map(([shard]) => this.layout.dictKey(shard));
          args.push(counts(shards));
          for (const [, list] of shards) for (const e of list) args.push(e.imageId, e.raw);
          (pipe as ScriptPipe).fcxDictDelete(shards.length, ...args);
        },
      })),
      'similarity index delete',
    );
    return replies.reduce<number>((a, n) => a + Number(n), 0);
  }

  /** Whole dictionary shards (see dict-shard.ts; null when empty), aligned. One MGET per hash slot (one in all on a single node). */
  async readShards(shards: number[]): Promise<Array<Buffer | null>> {
    const groups = this.byGroup(shards.map((shard, i) => ({ shard, i })));
    const replies = await runGrouped(
      this.ctx,
      groups.map((list) => ({
        key: this.layout.dictKey(list[0]![0]),
        add: (pipe) => void pipe.mgetBuffer(...list.map(([shard]) => this.layout.dictKey(shard))),
      })),
      'similarity index read',
    );
    const out = new Array<Buffer | null>(shards.length).fill(null);
    groups.forEach((list, g) => {
      const values = replies[g] as Array<Buffer | null>;
      list.forEach(([, items], j) => {
        for (const it of items) out[it.i] = values[j] ?? null;
      });
    });
    return out;
  }

  /**
   * Applies bucket removals, then additions, in one pipeline (one script call
   * per table shard); returns the additions refused by a capped bucket.
   */
  async applyBuckets(removes: BucketOp[], adds: BucketOp[]): Promise<number> {
    if (removes.length === 0 && adds.length === 0) return 0;
    const { width } = this.layout;
    const byKey = new Map<string, { table: TableLayout; rm: BucketOp[]; add: BucketOp[] }>();
    const put = (op: BucketOp, kind: 'rm' | 'add') => {
      const key = this.layout.tableKey(op.table, op.bucket);
      let g = byKey.get(key);
      if (!g) byKey.set(key, (g = { table: op.table, rm: [], add: [] }));
      g[kind].push(op);
    };
    for (const op of removes) put(op, 'rm');
    for (const op of adds) put(op, 'add');
    const pack = (t: TableLayout, ops: BucketOp[]): [Buffer, Buffer] => {
      const fw = t.fieldBytes;
      const fields = Buffer.allocUnsafe(fw * ops.length);
      const entries = Buffer.allocUnsafe(width * ops.length);
      ops.forEach((op, j) => {
        let v = op.bucket;
        for (let b = fw - 1; b >= 0; b--, v >>>= 8) fields[j * fw + b] = v & 0xff;
        this.layout.writeEntry(entries, j * width, op.ptr, op.rest);
      });
      return [fields, entries];
    };
    const replies = await runGrouped(
      this.ctx,
      [...byKey].map(([key, g]) => ({
        key,
        add: (pipe: ChainableCommander) => {
          const [rf, re] = pack(g.table, g.rm);
          const [af, ae] = pack(g.table, g.add);
          (pipe as ScriptPipe).fcxBucketUpdate(key, width, g.table.fieldBytes, this.layout.o.bucketCap, rf, re, af, ae);
        },
      })),
      'similarity index write',
    );
    return replies.reduce<number>((a, n) => a + Number(n), 0);
  }

  /** Bucket ops that place (or remove) one image's hash in every table. */
  opsFor(ptr: number, hash: bigint, out: BucketOp[] = []): BucketOp[] {
    const hi = hashHi(hash);
    const lo = hashLo(hash);
    for (const table of this.layout.tables) {
      out.push({ table, bucket: this.layout.bucket(table, hi, lo), ptr, rest: this.layout.rest(table, hi, lo) });
    }
    return out;
  }

  /**
   * Reads buckets: per probe, where its packed entries lie (blob, start, length;
   * length 0 when empty). One script call (one HMGET) per table shard, each
   * answering with a single Buffer.
   */
  async readBuckets(probes: ReadonlyArray<{ table: TableLayout; bucket: number }>): Promise<BucketView> {
    const byKey = [...groupBy(probes.map((_, i) => i), (i) => this.layout.tableKey(probes[i]!.table, probes[i]!.bucket))];
    const replies = await runGrouped(
      this.ctx,
      byKey.map(([key, list]) => ({
        key,
        add: (pipe) => {
          const fw = probes[list[0]!]!.table.fieldBytes;
          const fields = Buffer.allocUnsafe(fw * list.length);
          for (let j = 0; j < list.length; j++) {
            let v = probes[list[j]!]!.bucket;
            for (let b = fw - 1; b >= 0; b--, v >>>= 8) fields[j * fw + b] = v & 0xff;
          }
          (pipe as ScriptPipe).fcxBucketReadBuffer(key, fw, fields);
        },
      })),
      'similarity search',
    );
    const view: BucketView = { blobs: new Array<Buffer>(probes.length), starts: new Int32Array(probes.length), lengths: new Int32Array(probes.length) };
    byKey.forEach(([, list], k) => {
      const blob = replies[k] as Buffer;
      let o = 0;
      for (const i of list) {
        const len = blob.readUInt32BE(o);
        view.blobs[i] = blob;
        view.starts[i] = o + 4;
        view.lengths[i] = len;
        o += 4 + len;
      }
    });
    return view;
  }
}

/** Where each probed bucket's packed entries lie in the replies. */
export interface BucketView {
  blobs: Buffer[];
  starts: Int32Array;
  lengths: Int32Array;
}

export function groupBy<T, K>(items: T[], keyOf: (item: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const it of items) {
    const k = keyOf(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

/** Images per shard as u16 big-endian, one blob (the scripts' framing). */
function counts(shards: Array<[number, unknown[]]>): Buffer {
  const b = Buffer.allocUnsafe(2 * shards.length);
  shards.forEach(([, list], k) => b.writeUInt16BE(list.length, 2 * k));
  return b;
}
