/**
 * Image numbers: each indexed image gets a compact number (u32) when it is
 * (re)indexed, and postings name numbers, not IDs. Two maps tie them:
 * forward (ID -> number + descriptor fingerprint) and reverse (number -> ID).
 * A number is live while both agree; an overwrite gives a new number and a
 * removal deletes both entries, so the old number's postings are filtered at
 * query time (resolve) until cleanup() compacts them away.
 */
import type { ChainableCommander } from 'ioredis';
import type { ExtensionContext } from '../../cache/extension.js';
import { mapRedisError } from '../../redis/map-error.js';
import { groupBy } from '../../search/index-store.js';
import { runGrouped } from '../../search/grouped.js';
import { numField, type ProvenanceLayout } from './layout.js';
import type { ProvenanceScripts } from './scripts.js';

type ScriptPipe = ChainableCommander & { [K in keyof ProvenanceScripts]: (...a: Parameters<ProvenanceScripts[K]>) => ScriptPipe };

export interface ForwardEntry {
  num: number;
  fingerprint: number;
  /** The stored 8 bytes (for conditional deletes). */
  raw: Buffer;
}

export function forwardValue(num: number, fingerprint: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(num >>> 0, 0);
  b.writeUInt32BE(fingerprint >>> 0, 4);
  return b;
}

function parseForward(v: Buffer | null | undefined): ForwardEntry | null {
  if (!v || v.length !== 8) return null;
  return { num: v.readUInt32BE(0), fingerprint: v.readUInt32BE(4), raw: v };
}

export class ImageNumbers {
  constructor(
    private readonly ctx: Pick<ExtensionContext, 'client' | 'router'>,
    private readonly layout: ProvenanceLayout,
  ) {}

  /** Reserves `count` new numbers; returns the first. */
  async allocate(count: number): Promise<number> {
    try {
      const last = await this.ctx.client.incrby(this.layout.seq, count);
      return last - count + 1;
    } catch (err) {
      throw mapRedisError(err, 'provenance index write');
    }
  }

  /** The last number given out (0 when none). */
  async lastNumber(): Promise<number> {
    try {
      return Number((await this.ctx.client.get(this.layout.seq)) ?? 0);
    } catch (err) {
      throw mapRedisError(err, 'provenance index read');
    }
  }

  /** Forward entries of these IDs (null when not indexed), aligned. One HMGET per shard. */
  async forward(imageIds: readonly string[]): Promise<Array<ForwardEntry | null>> {
    const groups = [...groupBy(imageIds.map((id, i) => ({ id, i })), (it) => this.layout.forwardKey(it.id))];
    const replies = await runGrouped(
      this.ctx,
      groups.map(([key, list]) => ({ key, add: (pipe) => void pipe.hmgetBuffer(key, ...list.map((it) => it.id)) })),
      'provenance index read',
    );
    const out = new Array<ForwardEntry | null>(imageIds.length).fill(null);
    groups.forEach(([, list], g) => {
      const values = replies[g] as Array<Buffer | null>;
      list.forEach((it, j) => (out[it.i] = parseForward(values[j])));
    });
    return out;
  }

  /** The IDs the reverse map names for these numbers (null when none), aligned. */
  async reverse(nums: readonly number[]): Promise<Array<string | null>> {
    const groups = [...groupBy(nums.map((num, i) => ({ num, i })), (it) => this.layout.reverseKey(it.num))];
    const replies = await runGrouped(
      this.ctx,
      groups.map(([key, list]) => ({ key, add: (pipe) => void pipe.hmget(key, ...list.map((it) => numField(it.num))) })),
      'provenance index read',
    );
    const out = new Array<string | null>(nums.length).fill(null);
    groups.forEach(([, list], g) => {
      const values = replies[g] as Array<string | null>;
      list.forEach((it, j) => (out[it.i] = values[j] ?? null));
    });
    return out;
  }

  /** Live IDs of these numbers (null when the number is stale: removed, overwritten, or half-written), aligned. */
  async resolve(nums: readonly number[]): Promise<Array<string | null>> {
    const ids = await this.reverse(nums);
    const named = ids.flatMap((id, i) => (id === null ? [] : [{ id, i }]));
    const fwd = await this.forward(named.map((n) => n.id));
    const out = new Array<string | null>(nums.length).fill(null);
    named.forEach((n, j) => {
      if (fwd[j]?.num === nums[n.i]) out[n.i] = n.id;
    });
    return out;
  }

  async putReverse(entries: ReadonlyArray<{ num: number; imageId: string }>): Promise<void> {
    const groups = [...groupBy([...entries], (e) => this.layout.reverseKey(e.num))];
    await runGrouped(
      this.ctx,
      groups.map(([key, list]) => ({ key, add: (pipe) => void pipe.hset(key, ...list.flatMap((e) => [numField(e.num), e.imageId])) })),
      'provenance index write',
    );
  }

  /** Points IDs at their new numbers; returns the previous entries, aligned. */
  async swapForward(entries: ReadonlyArray<{ imageId: string; num: number; fingerprint: number }>): Promise<Array<ForwardEntry | null>> {
    const groups = [...groupBy(entries.map((e, i) => ({ e, i })), (it) => this.layout.forwardKey(it.e.imageId))];
    const replies = await runGrouped(
      this.ctx,
      groups.map(([key, list]) => ({
        key,
        add: (pipe) => void (pipe as ScriptPipe).fcoSwapBuffer(key, ...list.flatMap(({ e }) => [e.imageId, forwardValue(e.num, e.fingerprint)])),
      })),
      'provenance index write',
    );
    const out = new Array<ForwardEntry | null>(entries.length).fill(null);
    groups.forEach(([, list], g) => {
      const blob = replies[g] as Buffer;
      let o = 0;
      for (const it of list) {
        const len = blob[o]!;
        out[it.i] = len === 0 ? null : parseForward(blob.subarray(o + 1, o + 1 + len));
        o += 1 + len;
      }
    });
    return out;
  }

  /** Deletes forward entries that still hold `raw`; returns how many. */
  async deleteForward(entries: ReadonlyArray<{ imageId: string; raw: Buffer }>): Promise<number> {
    const groups = [...groupBy([...entries], (e) => this.layout.forwardKey(e.imageId))];
    const replies = await runGrouped(
      this.ctx,
      groups.map(([key, list]) => ({ key, add: (pipe) => void (pipe as ScriptPipe).fcoDeleteIf(key, ...list.flatMap((e) => [e.imageId, e.raw])) })),
      'provenance index write',
    );
    return replies.reduce<number>((a, n) => a + Number(n), 0);
  }

  /** Deletes reverse entries that still name `imageId`; returns how many. */
  async deleteReverse(entries: ReadonlyArray<{ num: number; imageId: string }>): Promise<number> {
    const groups = [...groupBy([...entries], (e) => this.layout.reverseKey(e.num))];
    const replies = await runGrouped(
      this.ctx,
      groups.map(([key, list]) => ({ key, add: (pipe) => void (pipe as ScriptPipe).fcoDeleteIf(key, ...list.flatMap((e) => [numField(e.num), e.imageId])) })),
      'provenance index write',
    );
    return replies.reduce<number>((a, n) => a + Number(n), 0);
  }
}
