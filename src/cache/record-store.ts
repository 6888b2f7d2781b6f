/**
 * The Redis side of the cache: reads, writes and deletes of encoded records, one
 * pipeline per node per call (see KeyRouter), every reply of exec() checked.
 * Knows nothing about features or codecs: it moves Buffers.
 */
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import type { KeySchema } from '../redis/keys.js';
import { mapRedisError } from '../redis/map-error.js';
import type { KeyRouter } from '../redis/router.js';
import type { ScriptCommands } from '../redis/scripts.js';
import { slotOf } from '../redis/slot-tags.js';

export interface WriteEntry {
  key: string;
  value: Buffer;
  ttlMs: number;
}

export interface GroupAdd {
  key: string;
  ids: string[];
  ttlMs: number;
}

type Pipe = ChainableCommander & { [K in keyof ScriptCommands]: (...args: Parameters<ScriptCommands[K]>) => Pipe };
type Replies = Array<[Error | null, unknown]>;

export interface RecordStoreOptions {
  waitReplicas: number;
  waitTimeoutMs: number;
}

export class RecordStore {
  constructor(
    private readonly client: Redis | Cluster,
    private readonly reader: Redis | Cluster,
    private readonly router: KeyRouter,
    private readonly keys: KeySchema,
    private readonly opts: RecordStoreOptions,
  ) {}

  /** Values aligned with `keys`; null for a missing key. `slidingTtlMs` refreshes the TTL of each hit. */
  async read(keys: string[], slidingTtlMs?: () => number): Promise<Array<Buffer | null>> {
    if (keys.length === 1 && !slidingTtlMs) {
      // the single-image hit path: one plain GET, no pipeline object
      try {
        return [(await this.reader.getBuffer(keys[0]!)) ?? null];
      } catch (err) {
        throw mapRedisError(err, 'read');
      }
    }
    const out: Array<Buffer | null> = new Array(keys.length).fill(null);
    if (!this.router.isCluster && !slidingTtlMs) {
      try {
        const values = await this.reader.mgetBuffer(keys);
        for (let i = 0; i < values.length; i++) out[i] = values[i] ?? null;
        return out;
      } catch (err) {
        throw mapRedisError(err, 'read');
      }
    }
    await Promise.all(
      this.router.route(keys).map(async (group) => {
        const pipe = (slidingTtlMs ? this.client : this.reader).pipeline();
        const order: number[][] = [];
        for (const bucket of group.buckets) {
          if (slidingTtlMs) {
            for (const i of bucket.indices) {
              pipe.getexBuffer(keys[i]!, 'PX', slidingTtlMs());
              order.push([i]);
            }
          } else if (bucket.indices.length === 1) {
            pipe.getBuffer(keys[bucket.indices[0]!]!);
            order.push(bucket.indices);
          } else {
            pipe.mgetBuffer(bucket.indices.map((i) => keys[i]!));
            order.push(bucket.indices);
          }
        }
        const replies = await execChecked(pipe, 'read');
        replies.forEach(([, value], n) => {
          const idx = order[n]!;
          if (idx.length === 1 && !Array.isArray(value)) out[idx[0]!] = (value as Buffer | null) ?? null;
          else (value as Array<Buffer | null>).forEach((v, j) => (out[idx[j]!] = v ?? null));
        });
      }),
    );
    return out;
  }

  /** Whether each key exists, aligned with `keys` (no values are transferred). */
  async exists(keys: string[]): Promise<boolean[]> {
    const out: boolean[] = new Array(keys.length).fill(false);
    await Promise.all(
      this.router.route(keys).map(async (group) => {
        const pipe = this.client.pipeline();
        const order: number[] = [];
        for (const bucket of group.buckets) for (const i of bucket.indices) {
          pipe.exists(keys[i]!);
          order.push(i);
        }
        const replies = await execChecked(pipe, 'exists');
        replies.forEach(([, n], j) => (out[order[j]!] = Number(n) === 1));
      }),
    );
    return out;
  }

  /** Writes records (and group memberships); returns how many records were new. */
  async write(entries: WriteEntry[], groups: GroupAdd[] = []): Promise<number> {
    if (entries.length === 1 && groups.length === 0 && this.opts.waitReplicas === 0) {
      // the single-image write path: one EVALSHA, no pipeline object
      const e = entries[0]!;
      const counter = this.keys.countFor(this.router.isCluster ? slotOf(e.key) : 0);
      try {
        return await (this.client as unknown as ScriptCommands).fcSetRecords(2, counter, e.key, e.value, e.ttlMs);
      } catch (err) {
        throw mapRedisError(err, 'write');
      }
    }
    const routed = this.router.route(entries.map((e) => e.key));
    const groupRoutes = this.router.isCluster ? this.router.route(groups.map((g) => g.key)) : [];
    const tasks: Array<Promise<number>> = routed.map(async (group, n) => {
      const pipe = this.client.pipeline() as Pipe;
      for (const bucket of group.buckets) {
        const keyArgs: string[] = [this.keys.countFor(bucket.slot)];
        const valueArgs: Array<Buffer | number> = [];
        for (const i of bucket.indices) {
          const e = entries[i]!;
          keyArgs.push(e.key);
          valueArgs.push(e.value, e.ttlMs);
        }
        pipe.fcSetRecords(keyArgs.length, ...keyArgs, ...valueArgs);
      }
      // single node: groups travel in the same round trip as the records
      if (!this.router.isCluster && n === 0) for (const g of groups) pipe.fcGroupAdd(g.key, g.ttlMs, ...g.ids);
      if (this.opts.waitReplicas > 0) pipe.call('WAIT', this.opts.waitReplicas, this.opts.waitTimeoutMs);
      const replies = await execChecked(pipe, 'write');
      this.checkWait(replies);
      let added = 0;
      for (let b = 0; b < group.buckets.length; b++) added += Number(replies[b]?.[1] ?? 0);
      return added;
    });
    for (const group of groupRoutes) {
      tasks.push(
        (async () => {
          const pipe = this.client.pipeline() as Pipe;
          for (const bucket of group.buckets) for (const i of bucket.indices) {
            const g = groups[i]!;
            pipe.fcGroupAdd(g.key, g.ttlMs, ...g.ids);
          }
          if (this.opts.waitReplicas > 0) pipe.call('WAIT', this.opts.waitReplicas, this.opts.waitTimeoutMs);
          this.checkWait(await execChecked(pipe, 'group write'));
          return 0;
        })(),
      );
    }
    const results = await Promise.all(tasks);
    return results.reduce((a, b) => a + b, 0);
  }

  /** Unlinks records; returns how many existed. */
  async remove(keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const counts = await Promise.all(
      this.router.route(keys).map(async (group) => {
        const pipe = this.client.pipeline() as Pipe;
        for (const bucket of group.buckets) {
          const args = [this.keys.countFor(bucket.slot), ...bucket.indices.map((i) => keys[i]!)];
          pipe.fcDeleteRecords(args.length, ...args);
        }
        if (this.opts.waitReplicas > 0) pipe.call('WAIT', this.opts.waitReplicas, this.opts.waitTimeoutMs);
        const replies = await execChecked(pipe, 'delete');
        this.checkWait(replies);
        return group.buckets.reduce((sum, _, b) => sum + Number(replies[b]?.[1] ?? 0), 0);
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Compare-and-set of one record; true when it was written. */
  async compareAndSet(key: string, expected: Buffer | null, next: Buffer, ttlMs: number, keepTtl: boolean): Promise<boolean> {
    const slot = this.router.route([key])[0]!.buckets[0]!.slot;
    const pipe = this.client.pipeline() as Pipe;
    pipe.fcCasRecord(this.keys.countFor(slot), key, expected ?? '', next, ttlMs, keepTtl ? '1' : '0');
    if (this.opts.waitReplicas > 0) pipe.call('WAIT', this.opts.waitReplicas, this.opts.waitTimeoutMs);
    const replies = await execChecked(pipe, 'merge');
    this.checkWait(replies);
    return Number(replies[0]?.[1]) === 1;
  }

  private checkWait(replies: Replies): void {
    if (this.opts.waitReplicas <= 0) return;
    const acked = Number(replies[replies.length - 1]?.[1] ?? 0);
    if (acked < this.opts.waitReplicas) {
      throw new FeatureCacheError(
        ErrorCodes.REPLICATION_TIMEOUT,
        `write reached ${acked} of ${this.opts.waitReplicas} replicas within ${this.opts.waitTimeoutMs} ms; it is on the master but may be lost on failover`,
        { details: { acked, required: this.opts.waitReplicas } },
      );
    }
  }
}

async function execChecked(pipe: ChainableCommander, what: string): Promise<Replies> {
  let replies: Replies | null;
  try {
    replies = (await pipe.exec()) as Replies | null;
  } catch (err) {
    throw mapRedisError(err, what);
  }
  if (!replies) throw new FeatureCacheError(ErrorCodes.REDIS_UNAVAILABLE, `Redis is unavailable (${what})`);
  for (const [err] of replies) if (err) throw mapRedisError(err, what);
  return replies;
}
