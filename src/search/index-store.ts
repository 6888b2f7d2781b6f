/**
 * The Redis side of one field's index: dictionary shards (image ID -> slot and
 * hash) and packed table buckets. Every call batches by key and runs one
 * pipeline per node (see runGrouped).
 */
import type { ChainableCommander } from 'ioredis';
import type { ExtensionContext } from '../cache/extension.js';
import { bytesToHash, hashToBytes } from './hash64.js';
import { IndexLayout, type TableLayout } from './layout.js';
import { runGrouped } from './grouped.js';
import type { SimilarityScripts } from './scripts.js';

type ScriptPipe = ChainableCommander & { [K in keyof SimilarityScripts]: (...a: Parameters<SimilarityScripts[K]>) => ScriptPipe };

export interface DictEntry {
  imageId: string;
  ordinal: number;
  hash: bigint;
  /** The stored value (hash8 + slot), for conditional deletes. */
  raw: Buffer;
}

export interface BucketOp {
  table: TableLayout;
  sub: number;
  ordinal: number;
  /** Present for adds. */
  hash?: bigint;
}

export class IndexStore {
  constructor(
    private readonly ctx: Pick<ExtensionContext, 'client' | 'router'>,
    readonly layout: IndexLayout,
  ) {}

  /** Stores hashes; returns each image's ordinal and previous hash (null when new). */
  async dictPut(items: Array<{ imageId: string; hash: bigint }>): Promise<Array<{ ordinal: number; previous: bigint | null }>> {
    const byShard = groupBy(items.map((it, i) => ({ ...it, i })), (it) => this.layout.dictShard(it.imageId));
    const out: Array<{ ordinal: number; previous: bigint | null }> = new Array(items.length);
    const shards = [...byShard];
    const replies = await runGrouped(
      this.ctx,
      shards.map(([shard, list]) => ({
        key: this.layout.dictKey(shard),
        add: (pipe) => {
          const args: Array<string | Buffer | number> = [this.layout.maxSlot];
          for (const it of list) args.push(it.imageId, hashToBytes(it.hash));
          (pipe as ScriptPipe).fcxDictPutBuffer(this.layout.dictKey(shard), ...args);
        },
      })),
      'similarity index write',
    );
    shards.forEach(([shard, list], s) => {
      const reply = replies[s] as Buffer[];
      list.forEach((it, j) => {
        const slot = reply[2 * j]!.readUInt32BE(0);
        const prev = reply[2 * j + 1]!;
        out[it.i] = { ordinal: this.layout.ordinal(shard, slot), previous: prev.length === 8 ? bytesToHash(prev) : null };
      });
    });
    return out;
  }

  /** Dictionary entries of these images (null when not indexed), aligned. */
  async dictGet(imageIds: string[]): Promise<Array<DictEntry | null>> {
    const byShard = [...groupBy(imageIds.map((id, i) => ({ id, i })), (it) => this.layout.dictShard(it.id))];
    const replies = await runGrouped(
      this.ctx,
      byShard.map(([shard, list]) => ({
        key: this.layout.dictKey(shard),
        add: (pipe) => void pipe.hmgetBuffer(this.layout.dictKey(shard), ...list.map((it) => it.id)),
      })),
      'similarity index read',
    );
    const out: Array<DictEntry | null> = new Array(imageIds.length).fill(null);
    byShard.forEach(([shard, list], s) => {
      const values = replies[s] as Array<Buffer | null>;
      list.forEach((it, j) => {
        const v = values[j];
        if (v && v.length === 12) {
          out[it.i] = { imageId: it.id, ordinal: this.layout.ordinal(shard, v.readUInt32BE(8)), hash: bytesToHash(v), raw: v };
        }
      });
    });
    return out;
  }

  /** Deletes dictionary entries whose stored value is unchanged since read. */
  async dictDelete(entries: DictEntry[]): Promise<number> {
    const byShard = [...groupBy(entries, (e) => this.layout.dictShard(e.imageId))];
    const replies = await runGrouped(
      this.ctx,
      byShard.map(([shard, list]) => ({
        key: this.layout.dictKey(shard),
        add: (pipe) => {
          const args: Array<string | Buffer> = [];
          for (const e of list) args.push(e.imageId, e.raw);
          (pipe as ScriptPipe).fcxDictDelete(this.layout.dictKey(shard), ...args);
        },
      })),
      'similarity index delete',
    );
    return replies.reduce<number>((a, n) => a + Number(n), 0);
  }

  /** Ordinals -> (imageId, hash) through their dictionary shards; null when the slot is free. */
  async resolve(ordinals: number[]): Promise<Array<{ imageId: string; hash: bigint } | null>> {
    const split = ordinals.map((o, i) => ({ ...this.layout.splitOrdinal(o), i }));
    const byShard = [...groupBy(split, (s) => s.shard)];
    const replies = await runGrouped(
      this.ctx,
      byShard.map(([shard, list]) => ({
        key: this.layout.dictKey(shard),
        add: (pipe) => {
          const slots = list.map((s) => {
            const b = Buffer.allocUnsafe(4);
            b.writeUInt32BE(s.slot);
            return b;
          });
          (pipe as ScriptPipe).fcxDictResolveBuffer(this.layout.dictKey(shard), ...slots);
        },
      })),
      'similarity index resolve',
    );
    const out: Array<{ imageId: string; hash: bigint } | null> = new Array(ordinals.length).fill(null);
    byShard.forEach(([, list], s) => {
      const reply = replies[s] as Buffer[];
      list.forEach((it, j) => {
        const id = reply[2 * j]!;
        const h = reply[2 * j + 1]!;
        if (id.length > 0 && h.length === 8) out[it.i] = { imageId: id.toString('utf8'), hash: bytesToHash(h) };
      });
    });
    return out;
  }

  /** Applies bucket removals, then additions; returns entries refused by a capped bucket. */
  async applyBuckets(removes: BucketOp[], adds: BucketOp[]): Promise<number> {
    if (removes.length > 0) {
      await runGrouped(this.ctx, this.bucketCommands(removes, false), 'similarity index write');
    }
    if (adds.length === 0) return 0;
    const replies = await runGrouped(this.ctx, this.bucketCommands(adds, true), 'similarity index write');
    return replies.reduce<number>((a, n) => a + Number(n), 0);
  }

  private bucketCommands(ops: BucketOp[], add: boolean): Array<{ key: string; add: (pipe: ChainableCommander) => void }> {
    const byKey = groupBy(ops, (op) => `${op.table.index}|${this.layout.tableKey(op.table, op.sub)}`);
    return [...byKey.values()].map((list) => {
      const t = list[0]!.table;
      const key = this.layout.tableKey(t, list[0]!.sub);
      return {
        key,
        add: (pipe: ChainableCommander) => {
          const args: Array<string | Buffer | number> = add ? [t.width, this.layout.o.bucketCap] : [t.width];
          for (const op of list) {
            args.push(this.layout.bucketField(t, op.sub));
            if (add) args.push(this.layout.entry(t, op.ordinal, op.hash!));
            else {
              const b = Buffer.allocUnsafe(4);
              b.writeUInt32BE(op.ordinal >>> 0);
              args.push(b);
            }
          }
          if (add) (pipe as ScriptPipe).fcxBucketAdd(key, ...args);
          else (pipe as ScriptPipe).fcxBucketRemove(key, ...args);
        },
      };
    });
  }

  /** Bucket ops that place (or remove) one image's hash in every table. */
  opsFor(ordinal: number, hash: bigint): BucketOp[] {
    return this.layout.tables.map((table) => ({ table, sub: this.layout.substring(table, hash), ordinal, hash }));
  }

  /** Reads buckets: per probe, the packed value (null when empty). */
  async readBuckets(probes: Array<{ table: TableLayout; sub: number }>): Promise<Array<Buffer | null>> {
    const byKey = [...groupBy(probes.map((p, i) => ({ ...p, i })), (p) => this.layout.tableKey(p.table, p.sub))];
    const replies = await runGrouped(
      this.ctx,
      byKey.map(([key, list]) => ({
        key,
        add: (pipe) => void pipe.hmgetBuffer(key, ...list.map((p) => this.layout.bucketField(p.table, p.sub))),
      })),
      'similarity search',
    );
    const out: Array<Buffer | null> = new Array(probes.length).fill(null);
    byKey.forEach(([, list], k) => {
      const values = replies[k] as Array<Buffer | null>;
      list.forEach((p, j) => (out[p.i] = values[j] ?? null));
    });
    return out;
  }
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
