/**
 * Runs single-key commands grouped by node: one pipeline per node, all nodes
 * in parallel, every reply checked. Replies come back aligned with the input.
 */
import type { ChainableCommander } from 'ioredis';
import type { ExtensionContext } from '../cache/extension.js';
import { mapRedisError } from '../redis/map-error.js';

export interface KeyedCommand {
  key: string;
  /** Adds exactly one command to the pipeline. */
  add(pipe: ChainableCommander): void;
}

export async function runGrouped(ctx: Pick<ExtensionContext, 'client' | 'router'>, cmds: KeyedCommand[], what: string): Promise<unknown[]> {
  const out: unknown[] = new Array(cmds.length);
  if (cmds.length === 0) return out;
  const groups = ctx.router.route(cmds.map((c) => c.key));
  await Promise.all(
    groups.map(async (group) => {
      const pipe = ctx.client.pipeline();
      const order: number[] = [];
      for (const bucket of group.buckets) {
        for (const i of bucket.indices) {
          cmds[i]!.add(pipe);
          order.push(i);
        }
      }
      let replies: Array<[Error | null, unknown]> | null;
      try {
        replies = await pipe.exec();
      } catch (err) {
        throw mapRedisError(err, what);
      }
      if (!replies) throw mapRedisError(new Error('pipeline aborted'), what);
      replies.forEach(([err, value], j) => {
        if (err) throw mapRedisError(err, what);
        out[order[j]!] = value;
      });
    }),
  );
  return out;
}
