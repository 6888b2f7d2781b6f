/**
 * Coalescing of concurrent single-image calls: `get`s issued in the same turn of
 * the event loop become one batch read (one MGET, or one script call per master
 * on a Cluster), `set`s one batch write. Flushed from `setImmediate`, i.e. after
 * every call made in this turn has been queued, or as soon as `maxBatch` are
 * queued.
 *
 * Each caller still gets exactly its own answer: inputs are validated (and
 * records encoded) before they join a batch, so a batch holds only good inputs
 * and one caller's bad input never fails another's call. A Redis failure fails
 * every caller of that batch, as it would have failed each of them alone.
 */

interface Waiter<I, R> {
  input: I;
  resolve(value: R): void;
  reject(err: unknown): void;
}

export class Coalescer<I, R> {
  private queue: Array<Waiter<I, R>> = [];
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();

  /**
   * @param run answers a batch: one result per input, in input order
   * @param maxBatch most inputs in one batch
   */
  constructor(
    private readonly run: (inputs: I[]) => Promise<R[]>,
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

  /** Sends what is queued now and resolves when every batch sent so far has its answer. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.all([...this.inFlight]);
  }

  private flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    const done = this.run(batch.map((w) => w.input)).then(
      (results) => {
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
      },
      (err: unknown) => {
        for (const w of batch) w.reject(err);
      },
    );
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }
}
