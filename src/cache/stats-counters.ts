/**
 * In-process counters, flushed to the shared stats hash in Redis periodically
 * (one pipeline of HINCRBYs), before stats() reads, and on close(). The hot
 * path only increments numbers: no round trip per operation.
 */
import type { Cluster, Redis } from 'ioredis';

export const COUNTER_FIELDS = ['cache_operations', 'cache_hits', 'cache_misses', 'cache_errors', 'cache_invalidations', 'cache_writes'] as const;
export type CounterField = (typeof COUNTER_FIELDS)[number];

export class StatsCounters {
  private pending: Record<CounterField, number> = zero();
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly key: string,
  ) {}

  add(field: CounterField, n = 1): void {
    this.pending[field] += n;
  }

  /** Reads: counts hits and misses per image, and one operation per image. */
  reads(hits: number, misses: number): void {
    this.pending.cache_hits += hits;
    this.pending.cache_misses += misses;
    this.pending.cache_operations += hits + misses;
  }

  /** Hands the pending deltas to a caller that sends them itself (stats() on one node); resets them. */
  take(): Array<[CounterField, number]> {
    const deltas = COUNTER_FIELDS.filter((f) => this.pending[f] !== 0).map((f): [CounterField, number] => [f, this.pending[f]]);
    this.pending = zero();
    return deltas;
  }

  /** Gives back deltas that could not be sent. */
  restore(deltas: ReadonlyArray<readonly [CounterField, number]>): void {
    for (const [f, n] of deltas) this.pending[f] += n;
  }

  start(intervalMs: number, onError: (err: unknown) => void): void {
    this.timer = setInterval(() => {
      this.flush().catch(onError);
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Sends pending deltas; on failure they are kept for the next flush. */
  async flush(): Promise<void> {
    if (this.flushing) await this.flushing.catch(() => {});
    const deltas = this.pending;
    if (COUNTER_FIELDS.every((f) => deltas[f] === 0)) return;
    this.pending = zero();
    this.flushing = (async () => {
      const fields = COUNTER_FIELDS.filter((f) => deltas[f] !== 0);
      let results: Array<[Error | null, unknown]>;
      try {
        const pipe = this.client.pipeline();
        for (const f of fields) pipe.hincrby(this.key, f, deltas[f]);
        results = (await pipe.exec()) ?? [];
      } catch (err) {
        for (const f of fields) this.pending[f] += deltas[f];
        throw err;
      } finally {
        this.flushing = null;
      }
      // keep exactly the deltas whose HINCRBY failed
      let firstError: Error | null = null;
      for (const [i, f] of fields.entries()) {
        const err = results[i]?.[0] ?? (results[i] ? null : new Error('no reply'));
        if (err) {
          this.pending[f] += deltas[f];
          firstError ??= err;
        }
      }
      if (firstError) throw firstError;
    })();
    await this.flushing;
  }
}

function zero(): Record<CounterField, number> {
  return { cache_operations: 0, cache_hits: 0, cache_misses: 0, cache_errors: 0, cache_invalidations: 0, cache_writes: 0 };
}
