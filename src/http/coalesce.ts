/**
 * Request coalescing for the single-image routes.
 *
 * Concurrent `GET /image/{id}` requests that arrive in the same turn of the
 * event loop become one `cache.getMany` (one MGET), and concurrent `PUT`s one
 * `cache.setMany` (one script call per chunk), flushed from `setImmediate`,
 * i.e. after every request parsed in this turn has been queued. Each caller
 * still gets exactly its own answer:
 *
 * - reads: `getMany` answers per ID; hits, misses and errors are counted per
 *   image by the library just as for `get` (an ID the library refuses makes
 *   the batch replay one by one, as for writes);
 * - writes: `setMany` validates and encodes every item before the first byte
 *   goes to Redis, so when it refuses the batch because of one caller's input
 *   (a 4xx code) nothing was written, and the batch is replayed item by item so
 *   that each caller gets its own success or its own error. A Redis failure
 *   fails every caller of that batch — each would have failed alone too.
 *
 * A write is acknowledged only after Redis answered for its batch.
 */
import { isFeatureCacheError, type ErrorCode } from '../errors.js';
import type { FeatureCache, FeatureRecord, SetManyItem } from '../types.js';

interface Waiter<I, R> {
  input: I;
  resolve(value: R): void;
  reject(err: unknown): void;
}

/** Library codes that mean "this caller's input", after which a write batch is replayed one by one. */
const INPUT_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['INVALID_IMAGE_ID', 'INVALID_FEATURES', 'INVALID_ARGUMENT', 'PAYLOAD_TOO_LARGE']);

/** Queues inputs and runs them together once per event-loop turn (or as soon as `maxBatch` are queued). */
class Coalescer<I, R> {
  private queue: Array<Waiter<I, R>> = [];
  private scheduled = false;

  constructor(
    private readonly run: (batch: Array<Waiter<I, R>>) => Promise<void>,
    private readonly maxBatch: number,
  ) {}

  push(input: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.run(batch).catch((err: unknown) => {
      for (const w of batch) w.reject(err);
    });
  }
}

export interface SingleImageIo {
  /** Same answer as `cache.get(imageId)`. */
  get(imageId: string): Promise<FeatureRecord | null>;
  /** Same effect and errors as `cache.set(imageId, features, opts)`. */
  set(item: SetManyItem): Promise<void>;
}

/**
 * Builds the coalescing front of `cache` for single-image reads and writes.
 * @param maxBatch most requests in one library call @default 100
 */
export function coalesceSingleImageIo(cache: FeatureCache, maxBatch = 100): SingleImageIo {
  const reads = new Coalescer<string, FeatureRecord | null>(async (batch) => {
    if (batch.length === 1) {
      const w = batch[0]!;
      w.resolve(await cache.get(w.input));
      return;
    }
    let records: Array<FeatureRecord | null>;
    try {
      records = await cache.getMany(batch.map((w) => w.input));
    } catch (err) {
      if (!isFeatureCacheError(err) || !INPUT_ERRORS.has(err.code)) throw err;
      await Promise.all(batch.map((w) => cache.get(w.input).then(w.resolve, w.reject)));
      return;
    }
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(records[i] ?? null);
  }, maxBatch);

  const writes = new Coalescer<SetManyItem, void>(async (batch) => {
    if (batch.length === 1) {
      const w = batch[0]!;
      await cache.setMany([w.input]);
      w.resolve();
      return;
    }
    try {
      await cache.setMany(batch.map((w) => w.input));
    } catch (err) {
      if (!isFeatureCacheError(err) || !INPUT_ERRORS.has(err.code)) throw err;
      // one caller's bad input refused the whole batch before anything was written: replay alone
      await Promise.all(batch.map((w) => cache.setMany([w.input]).then(() => w.resolve(), (e: unknown) => w.reject(e))));
      return;
    }
    for (const w of batch) w.resolve();
  }, maxBatch);

  return {
    get: (imageId) => reads.push(imageId),
    set: (item) => writes.push(item),
  };
}
