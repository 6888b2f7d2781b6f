/** Reads the shared stats hash and the record counter(s) in one round trip per node. */
import type { Cluster, Redis } from 'ioredis';
import type { CacheStats } from '../types.js';
import type { KeySchema } from '../redis/keys.js';
import { mapRedisError } from '../redis/map-error.js';
import { NodeLocal } from '../redis/node-local.js';
import type { KeyRouter } from '../redis/router.js';
import { SLOT_COUNT } from '../redis/slot-tags.js';
import type { CounterField } from './stats-counters.js';

const localByClient = new WeakMap<Cluster, NodeLocal>();

function localFor(client: Cluster): NodeLocal {
  let local = localByClient.get(client);
  if (!local) localByClient.set(client, (local = new NodeLocal(client)));
  return local;
}

/** The 16,384 per-slot counter keys of each schema (a cache and its views each have one). */
const clusterCounterKeys = new WeakMap<KeySchema, string[]>();

function counterKeys(keys: KeySchema): string[] {
  if (!keys.perSlotCounters) return [keys.countFor(0)];
  let all = clusterCounterKeys.get(keys);
  if (all === undefined) clusterCounterKeys.set(keys, (all = Array.from({ length: SLOT_COUNT }, (_, s) => keys.countFor(s))));
  return all;
}

export type CounterDelta = readonly [field: CounterField, n: number];

/**
 * @param deltas pending local counter increments to apply first, in the same
 *   round trip (single node only; on a Cluster the caller flushes them before)
 * @param keep told, before readStats returns or throws, which of `deltas` did
 *   not reach Redis (a full Redis refuses HINCRBY; a lost connection loses them
 *   all), for the caller to send later. Refused deltas are still counted in the
 *   returned stats, so a failed flush never fails or skews the read.
 */
export async function readStats(
  client: Redis | Cluster,
  router: KeyRouter,
  keys: KeySchema,
  exact: boolean,
  deltas: readonly CounterDelta[] = [],
  keep: (unsent: CounterDelta[]) => void = () => {},
): Promise<CacheStats> {
  let hash: Record<string, string>;
  let unsent: CounterDelta[] = [];
  let cached = 0;
  try {
    const counters = counterKeys(keys);
    if (!router.isCluster) {
      // one round trip: the pending increments, then the reads
      const pipe = client.pipeline();
      for (const [field, n] of deltas) pipe.hincrby(keys.stats, field, n);
      // a pipeline that failed as a whole applied none of the increments we can count on
      unsent = [...deltas];
      let replies: Array<[Error | null, unknown]>;
      try {
        replies = (await pipe.hgetall(keys.stats).get(counters[0]!).exec()) ?? [];
        unsent = deltas.filter((_, i) => !replies[i] || replies[i][0]);
      } finally {
        keep(unsent);
      }
      for (const [err] of replies.slice(deltas.length)) if (err) throw err;
      hash = (replies[deltas.length]?.[1] ?? {}) as Record<string, string>;
      cached = Number(replies[deltas.length + 1]?.[1] ?? 0);
    } else {
      const [h, counts] = await Promise.all([
        client.hgetall(keys.stats),
        Promise.all(
          router.route(counters).map(async (group) => {
            // one script call per master sums its ~5,461 counters (a pipeline of GETs
            // of them took longer than the 1 s command timeout on a busy 2-core host)
            const own = group.buckets.flatMap((b) => b.indices.map((i) => counters[i]!));
            const fast = await localFor(client as Cluster).sum(own, group.buckets[0]!.slot);
            if (fast !== null) return fast;
            const pipe = client.pipeline();
            for (const b of group.buckets) for (const i of b.indices) pipe.get(counters[i]!);
            const replies = (await pipe.exec()) ?? [];
            let sum = 0;
            for (const [err, v] of replies) {
              if (err) throw err;
              sum += Number(v ?? 0);
            }
            return sum;
          }),
        ),
      ]);
      hash = h;
      cached = counts.reduce((a, b) => a + b, 0);
    }
  } catch (err) {
    throw mapRedisError(err, 'stats');
  }
  const n = (f: string) => Number(hash[f] ?? 0) + unsent.reduce((sum, [field, d]) => (field === f ? sum + d : sum), 0);
  const hits = n('cache_hits');
  const misses = n('cache_misses');
  return {
    cache_operations: n('cache_operations'),
    cached_images: Math.max(0, cached),
    cache_hits: hits,
    cache_misses: misses,
    hit_rate: hits + misses === 0 ? 0 : hits / (hits + misses),
    cache_errors: n('cache_errors'),
    cache_invalidations: n('cache_invalidations'),
    cache_writes: n('cache_writes'),
    feature_version: keys.version,
    cached_images_exact: exact,
  };
}
