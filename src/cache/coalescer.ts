/**
 * Coalescing of concurrent single-image calls: `get`s issued in the same turn of
 * the event loop become one batch read (one MGET, or one script call per master
 * on a Cluster), `set`s one batch write. Flushed from `setImmediate`, i.e. after
 * every call made in this turn has been queued, or as soon as `maxBatch` are
 * queued, or when the owner needs the queue sent now (to keep calls in the
 * order they were made: see RedisFeatureCache).
 *
 * Each caller still gets exactly its own answer: inputs are validated (and
 * records encoded) before they join a batch, so a batch holds only good inputs
 * and one caller's bad input never fails another's call. When a batch fails,
 * `retryAlone` may answer each caller by itself (on a Cluster, where one
 * master's failure would otherwise fail callers whose keys live elsewhere);
 * otherwise every caller gets the batch's error, as each would have alone.
 */

interface Waiter<I, R> {
  input: I;
  resolve(value: R): void;
  reject(err: unknown): void;
}

export interface CoalescerOptions<I, R> {
  /** Answers a batch: one result per input, in input order. */
  run(inputs: I[]): Promise<R[]>;
  /** Most inputs in one batch. */
  maxBatch: number;
  /** Given: a failed batch of several is answered input by input with this. */
  retryAlone?: (input: I) => Promise<R>;
}

export class Coalescer<I, R> {
  private queue: Array<Waiter<I, R>> = [];
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly o: CoalescerOptions<I, R>) {}

  push(input: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.queue.length >= this.o.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  /** Sends what is queued now and resolves when every batch sent so far has its answer. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.all([...this.inFlight]);
  }

  /** Sends what is queued now (its commands go out before anything issued after this call). */
  flush(): void {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    const done = this.o.run(batch.map((w) => w.input)).then(
      (results) => {
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
      },
      async (err: unknown) => {
        const alone = this.o.retryAlone;
        if (batch.length > 1 && alone) {
          await Promise.all(batch.map((w) => alone(w.input).then((v) => w.resolve(v), (e: unknown) => w.reject(e))));
          return;
        }
        for (const w of batch) w.reject(err);
      },
    );
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }
}
