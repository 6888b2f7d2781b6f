/**
 * Read-through with stampede protection: concurrent requests for the same
 * missing image compute it once.
 *
 * - In one process, a single flight per image ID: later callers await the first.
 * - Across processes, a Redis lock per image (SET NX PX with a unique token,
 *   released by a Lua script only by its owner). A caller that does not get the
 *   lock waits for the holder's result by polling the record (backing off from
 *   10 ms to 100 ms); if the holder vanishes (the lock expires or is released
 *   without a record) it competes for the lock again; after `waitTimeoutMs` it
 *   stops waiting and computes itself (the timeout fallback), so a stuck holder
 *   delays callers but never blocks them.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Cluster, Redis } from 'ioredis';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import type { FeatureRecord, Features, GetOrComputeOptions } from '../types.js';
import { mapRedisError } from '../redis/map-error.js';

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface ReadThroughDeps {
  client: Redis | Cluster;
  lockKey(imageId: string): string;
  /** A counted lookup (the caller's own request: a hit or a miss in the stats). */
  get(imageId: string): Promise<FeatureRecord | null>;
  /** An uncounted lookup (re-checks and polls while waiting must not inflate misses). */
  peek(imageId: string): Promise<FeatureRecord | null>;
  /** Writes without counting a read; returns the stored record. */
  put(imageId: string, features: Features, opts: GetOrComputeOptions): Promise<FeatureRecord>;
  /** A previous value of the record, for answers past the soft timeout (none without a near tier). */
  previous?(imageId: string): FeatureRecord | undefined;
}

export class ReadThrough {
  private readonly inflight = new Map<string, Promise<FeatureRecord>>();

  constructor(private readonly deps: ReadThroughDeps) {}

  async getOrCompute(imageId: string, compute: (imageId: string) => Promise<Features>, opts: GetOrComputeOptions = {}): Promise<FeatureRecord> {
    const hit = await this.deps.get(imageId);
    if (hit) return hit;
    return this.computeMissing(imageId, compute, opts);
  }

  /** For an image the caller already looked up (and counted) as a miss: compute once, store, return. */
  computeMissing(imageId: string, compute: (imageId: string) => Promise<Features>, opts: GetOrComputeOptions = {}): Promise<FeatureRecord> {
    let flight = this.inflight.get(imageId);
    if (!flight) {
      flight = this.computeOnce(imageId, compute, opts).finally(() => this.inflight.delete(imageId));
      this.inflight.set(imageId, flight);
    }
    return opts.softTimeoutMs === undefined && opts.hardTimeoutMs === undefined ? flight : this.bounded(imageId, flight, opts);
  }

  /**
   * The flight's answer, or past `softTimeoutMs` the previous value (flagged
   * stale) if there is one, or past `hardTimeoutMs` COMPUTE_FAILED. The flight
   * itself is never cancelled: it goes on and stores its result.
   */
  private bounded(imageId: string, flight: Promise<FeatureRecord>, opts: GetOrComputeOptions): Promise<FeatureRecord> {
    const { softTimeoutMs: soft, hardTimeoutMs: hard } = opts;
    for (const [name, ms] of [['softTimeoutMs', soft], ['hardTimeoutMs', hard]] as const) {
      if (ms !== undefined && !(Number.isFinite(ms) && ms > 0)) {
        throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `${name} must be a positive number of ms`);
      }
    }
    flight.catch(() => {}); // a caller that left on a timeout does not see the flight fail
    return new Promise<FeatureRecord>((resolve, reject) => {
      const timers: NodeJS.Timeout[] = [];
      const done = () => timers.forEach(clearTimeout);
      flight.then(
        (r) => (done(), resolve(r)),
        // the computation's own rejection, passed through unchanged
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        (err: unknown) => (done(), reject(err)),
      );
      if (soft !== undefined) {
        timers.push(
          setTimeout(() => {
            const previous = this.deps.previous?.(imageId);
            if (previous) {
              done();
              resolve({ ...previous, stale: true });
            }
          }, soft),
        );
      }
      if (hard !== undefined) {
        timers.push(
          setTimeout(() => {
            done();
            reject(
              new FeatureCacheError(ErrorCodes.COMPUTE_FAILED, `computing the features of ${JSON.stringify(imageId)} took longer than ${hard} ms (it goes on and stores its result)`, {
                details: { hardTimeoutMs: hard },
              }),
            );
          }, hard),
        );
      }
    });
  }

  private async computeOnce(imageId: string, compute: (imageId: string) => Promise<Features>, opts: GetOrComputeOptions): Promise<FeatureRecord> {
    const lockTtlMs = opts.lockTtlMs ?? 30_000;
    const waitTimeoutMs = opts.waitTimeoutMs ?? lockTtlMs;
    const key = this.deps.lockKey(imageId);
    const token = randomUUID();
    const deadline = Date.now() + waitTimeoutMs;
    let pause = 10;
    for (;;) {
      let acquired: boolean;
      try {
        acquired = (await this.deps.client.set(key, token, 'PX', lockTtlMs, 'NX')) === 'OK';
      } catch (err) {
        throw mapRedisError(err, 'lock');
      }
      if (acquired) {
        try {
          // the previous holder may have finished between our miss and our lock
          const again = await this.deps.peek(imageId);
          if (again) return again;
          return await this.run(imageId, compute, opts);
        } finally {
          await this.deps.client.eval(RELEASE, 1, key, token).catch(() => {});
        }
      }
      // someone else computes: wait for its result
      while (Date.now() < deadline) {
        await delay(pause);
        pause = Math.min(100, pause * 2);
        const rec = await this.deps.peek(imageId);
        if (rec) return rec;
        const holder = await this.deps.client.exists(key).catch(() => 1);
        if (holder === 0) break; // the holder gave up without a result: compete again
      }
      if (Date.now() >= deadline) {
        // timeout fallback: compute ourselves rather than wait forever
        return this.run(imageId, compute, opts);
      }
    }
  }

  private async run(imageId: string, compute: (imageId: string) => Promise<Features>, opts: GetOrComputeOptions): Promise<FeatureRecord> {
    let features: Features;
    try {
      features = await compute(imageId);
    } catch (err) {
      if (err instanceof FeatureCacheError) throw err;
      throw new FeatureCacheError(ErrorCodes.COMPUTE_FAILED, `computing the features of ${JSON.stringify(imageId)} failed: ${(err as Error)?.message ?? err}`, {
        cause: err,
      });
    }
    return this.deps.put(imageId, features, opts);
  }
}
