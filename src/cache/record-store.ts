/**
 * The Redis side of the cache: reads, writes and deletes of encoded records, one
 * pipeline per node per call (see KeyRouter), every reply of exec() checked.
 * Knows nothing about features or codecs: it moves Buffers.
 */
import { Command, type ChainableCommander, type Cluster, type Redis } from 'ioredis';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import type { KeySchema } from '../redis/keys.js';
import { mapRedisError } from '../redis/map-error.js';
import { NodeLocal } from '../redis/node-local.js';
import type { KeyRouter, SlotBucket } from '../redis/router.js';
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
  commandTimeoutMs: number;
}

export class RecordStore {
  /** Cluster only: one script call per master per chunk instead of a pipeline of GETs. */
  private readonly local: NodeLocal | null;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly reader: Redis | Cluster,
    private readonly router: KeyRouter,
    private readonly keys: KeySchema,
    private readonly opts: RecordStoreOptions,
  ) {
    this.local = router.isCluster ? new NodeLocal(reader as Cluster) : null;
  }

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
    const out = new Array<Buffer | null>(keys.length).fill(null);
    if (!this.router.isCluster && !slidingTtlMs) {
      try {
        const values = await this.reader.mgetBuffer(keys);
        for (let i = 0; i < values.length; i++) out[i] = values[i] ?? null;
        return out;
      } catch (err) {
        throw mapRedisError(err, 'read');
      }
    }
    // a slot map that changed under a multi-slot pipeline: route again, once
    await this.retryOnSlotChange(() => Promise.all(
      this.router.route(keys).map(async (group) => {
        if (this.local && !slidingTtlMs) {
          const indices = group.buckets.flatMap((b) => b.indices);
          const subset = indices.map((i) => keys[i]!);
          const values = await this.local.read(subset, group.buckets[0]!.slot);
          if (values) {
            values.forEach((v, j) => (out[indices[j]!] = v ?? null));
            return;
          }
          // the slot map may have changed while the script ran: route these keys again
          const part = await Promise.all(this.router.route(subset).map((g) => this.readGroup(g.buckets, subset)));
          for (const p of part) for (const [j, v] of p) out[indices[j]!] = v;
          return;
        }
        for (const [i, v] of await this.readGroup(group.buckets, keys, slidingTtlMs)) out[i] = v;
      }),
    ));
    return out;
  }

  /**
   * Values and their remaining TTLs (PTTL: ms, -1 without expiry, -2 missing),
   * aligned with `keys`, in one round trip per node: what the near tier fills
   * from, so that an entry never outlives its record's TTL. GET and PTTL are not
   * one atomic read, but any write between them (SET, EXPIRE, PERSIST) sends an
   * invalidation that refuses the fill (see NearTier.fill).
   */
  async readWithTtl(keys: string[]): Promise<{ values: Array<Buffer | null>; ttls: number[] }> {
    const values = new Array<Buffer | null>(keys.length).fill(null);
    const ttls = new Array<number>(keys.length).fill(-2);
    const put = (i: number, value: unknown, ttl: unknown) => {
      values[i] = (value as Buffer | null) ?? null;
      ttls[i] = Number(ttl);
    };
    await this.retryOnSlotChange(() => Promise.all(
      this.router.route(keys).map(async (group) => {
        const indices = group.buckets.flatMap((b) => b.indices);
        if (this.local) {
          const pairs = await this.local.readWithTtl(indices.map((i) => keys[i]!), group.buckets[0]!.slot);
          if (pairs) {
            indices.forEach((i, j) => put(i, pairs[2 * j], pairs[2 * j + 1]));
            return;
          }
        }
        // the portable path: GET and PTTL per key, one pipeline per node (follows MOVED)
        const pipe = this.reader.pipeline();
        for (const i of indices) pipe.getBuffer(keys[i]!).pttl(keys[i]!);
        const replies = await execChecked(pipe, 'read');
        indices.forEach((i, j) => put(i, replies[2 * j]?.[1], replies[2 * j + 1]?.[1]));
      }),
    ));
    return { values, ttls };
  }

  /**
   * One pipeline for the buckets of one node: GET/MGET per slot (with a sliding
   * TTL, fcSlideGet per key: the TTL restarts only on records that have one).
   */
  private async readGroup(buckets: SlotBucket[], keys: string[], slidingTtlMs?: () => number): Promise<Array<[number, Buffer | null]>> {
    const pipe = (slidingTtlMs ? this.client : this.reader).pipeline() as Pipe;
    const order: number[][] = [];
    for (const bucket of buckets) {
      if (slidingTtlMs) {
        for (const i of bucket.indices) {
          pipe.fcSlideGetBuffer(keys[i]!, slidingTtlMs());
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
    const found: Array<[number, Buffer | null]> = [];
    replies.forEach(([, value], n) => {
      const idx = order[n]!;
      if (idx.length === 1 && !Array.isArray(value)) found.push([idx[0]!, (value as Buffer | null) ?? null]);
      else (value as Array<Buffer | null>).forEach((v, j) => found.push([idx[j]!, v ?? null]));
    });
    return found;
  }

  /** Whether each key exists, aligned with `keys` (no values are transferred). */
  async exists(keys: string[]): Promise<boolean[]> {
    const out = new Array<boolean>(keys.length).fill(false);
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
    // writes are idempotent (whole-record SETs, counted by EXISTS): a write that hit a
    // moved slot (MOVED, or ioredis's slot-group check) is routed again and re-sent once
    return this.retryOnSlotChange(() => this.writeRouted(entries, groups));
  }

  private async writeRouted(entries: WriteEntry[], groups: GroupAdd[]): Promise<number> {
    const routed = this.router.route(entries.map((e) => e.key));
    const groupRoutes = this.router.isCluster ? this.router.route(groups.map((g) => g.key)) : [];
    const tasks: Array<Promise<number>> = routed.map(async (group, n) => {
      if (this.local) {
        const fast = await this.writeLocal(group.buckets, entries);
        if (fast !== null) return fast;
        // the slot map may have changed while the script ran: route these entries again
        const subset = group.buckets.flatMap((b) => b.indices).map((i) => entries[i]!);
        const counts = await Promise.all(this.router.route(subset.map((e) => e.key)).map((g) => this.writeGroup(g.buckets, subset, [])));
        return counts.reduce((a, b) => a + b, 0);
      }
      // single node: groups travel in the same round trip as the records
      return this.writeGroup(group.buckets, entries, !this.router.isCluster && n === 0 ? groups : []);
    });
    for (const group of groupRoutes) {
      tasks.push(
        (async () => {
          const pipe = this.client.pipeline() as Pipe;
          for (const bucket of group.buckets) for (const i of bucket.indices) {
            const g = groups[i]!;
            pipe.fcGroupAdd(g.key, g.ttlMs, ...g.ids);
          }
          if (this.opts.waitReplicas > 0) this.appendWait(pipe);
          this.checkWait(await execChecked(pipe, 'group write'));
          return 0;
        })(),
      );
    }
    const results = await Promise.all(tasks);
    return results.reduce((a, b) => a + b, 0);
  }

  /** One pipeline for the buckets of one node: fcSetRecords per slot (+ group adds, + WAIT). */
  private async writeGroup(buckets: SlotBucket[], entries: WriteEntry[], groups: GroupAdd[]): Promise<number> {
    const pipe = this.client.pipeline() as Pipe;
    for (const bucket of buckets) {
      const keyArgs: string[] = [this.keys.countFor(bucket.slot)];
      const valueArgs: Array<Buffer | number> = [];
      for (const i of bucket.indices) {
        const e = entries[i]!;
        keyArgs.push(e.key);
        valueArgs.push(e.value, e.ttlMs);
      }
      pipe.fcSetRecords(keyArgs.length, ...keyArgs, ...valueArgs);
    }
    for (const g of groups) pipe.fcGroupAdd(g.key, g.ttlMs, ...g.ids);
    if (this.opts.waitReplicas > 0) this.appendWait(pipe);
    const replies = await execChecked(pipe, 'write');
    this.checkWait(replies);
    let added = 0;
    for (let b = 0; b < buckets.length; b++) added += Number(replies[b]?.[1] ?? 0);
    return added;
  }

  /**
   * Cluster fast path: the records of one node's buckets in one script call
   * (plus WAIT). Null when it cannot be used or the script failed (a slot moved,
   * Redis < 7): the caller then sends the per-slot pipeline, which follows
   * MOVED. A WAIT that is not met is a real answer and throws.
   */
  private async writeLocal(buckets: SlotBucket[], entries: WriteEntry[]): Promise<number | null> {
    const node = this.local?.node(buckets[0]!.slot);
    if (!node) return null;
    const args: Array<string | Buffer | number> = [buckets.length];
    for (const bucket of buckets) {
      args.push(this.keys.countFor(bucket.slot), bucket.indices.length);
      for (const i of bucket.indices) {
        const e = entries[i]!;
        args.push(e.key, e.value, e.ttlMs);
      }
    }
    const pipe = node.pipeline() as ChainableCommander & { fcLocalSet(n: number, ...a: Array<string | Buffer | number>): unknown };
    pipe.fcLocalSet(0, ...args);
    if (this.opts.waitReplicas > 0) this.appendWait(pipe);
    let replies: Replies | null;
    try {
      replies = (await pipe.exec());
    } catch (err) {
      this.local!.failed(err);
      return null;
    }
    const [scriptErr, added] = replies?.[0] ?? [new Error('no reply'), 0];
    if (scriptErr) {
      this.local!.failed(scriptErr);
      return null;
    }
    if (this.opts.waitReplicas > 0) {
      const [waitErr] = replies![replies!.length - 1]!;
      if (waitErr) throw mapRedisError(waitErr, 'write');
      this.checkWait(replies!);
    }
    return Number(added);
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
        if (this.opts.waitReplicas > 0) this.appendWait(pipe);
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
    if (this.opts.waitReplicas > 0) this.appendWait(pipe);
    const replies = await execChecked(pipe, 'merge');
    this.checkWait(replies);
    return Number(replies[0]?.[1]) === 1;
  }

  /**
   * Runs `fn`; when it failed because a hash slot moved (a MOVED reply — ioredis
   * follows it only for pipelines whose errors are all identical — or ioredis
   * refusing a pipeline whose slots its updated map puts in different groups),
   * refreshes ioredis's slot map and runs `fn` once more, which routes again.
   * Only for idempotent work (reads, whole-record writes).
   */
  private async retryOnSlotChange<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      const text = `${(err as Error)?.message} ${cause instanceof Error ? cause.message : ''}`;
      if (!this.router.isCluster || !/same slots allocation group|MOVED \d+/.test(text)) throw err;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.opts.commandTimeoutMs);
        (this.client as Cluster).refreshSlotsCache(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return fn();
    }
  }

  /**
   * Appends WAIT to a pipeline. WAIT itself blocks up to waitTimeoutMs on the
   * server, so its client-side timeout is that plus the command timeout: with
   * the plain command timeout (as long as or shorter than the WAIT) an unmet WAIT
   * surfaced as "Command timed out" (REDIS_UNAVAILABLE) instead of
   * REPLICATION_TIMEOUT. ioredis keeps a timer already set on a command.
   */
  private appendWait(pipe: ChainableCommander): void {
    const wait = new Command('WAIT', [this.opts.waitReplicas, this.opts.waitTimeoutMs]);
    wait.setTimeout(this.opts.waitTimeoutMs + this.opts.commandTimeoutMs);
    (pipe as unknown as { sendCommand(c: Command): unknown }).sendCommand(wait);
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
    replies = (await pipe.exec());
  } catch (err) {
    throw mapRedisError(err, what);
  }
  if (!replies) throw new FeatureCacheError(ErrorCodes.REDIS_UNAVAILABLE, `Redis is unavailable (${what})`);
  for (const [err] of replies) if (err) throw mapRedisError(err, what);
  return replies;
}
