/**
 * A worker-thread pool for extractFeatures on piscina: the JavaScript hashing
 * (~50 ms per megapixel) runs off the event loop and on every core.
 *
 * piscina starts `size` workers, keeps them while idle (unref'd), replaces a
 * worker that exits, and terminates the worker of an aborted task. On top of it this module keeps featcache's contract:
 * - The queue is bounded: beyond `maxQueue` waiting tasks, extract() rejects at once.
 * - Errors come back as FeatureCacheError with their code (INVALID_IMAGE, ...).
 * - A task running longer than `taskTimeoutMs` (counted from its start, not its
 *   time in the queue) is aborted, which terminates and replaces its worker; a
 *   crashed worker's task is rejected (COMPUTE_FAILED), so no promise is left hanging.
 * - close() rejects waiting and running tasks with CLOSED.
 * - The handler module sits next to this file with the same extension: `.js` under
 *   dist/, `.ts` under tsx/vitest (then workers start with tsx's loader).
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, type ResourceLimits } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import type { ExtractedFeatures } from './extract.js';
import type { ExtractOptions } from './options.js';
import type { ResultMessage, TaskMessage, WireError } from './pool-worker.js';

export interface ExtractionPoolOptions {
  /** Worker threads. @default os.availableParallelism() */
  size?: number;
  /** Tasks that may wait for a free worker; more are rejected (COMPUTE_FAILED, details.reason 'QUEUE_FULL'). @default 32 */
  maxQueue?: number;
  /** A task running longer is abandoned: its worker is terminated and replaced. @default 60000 */
  taskTimeoutMs?: number;
  /** V8 heap limits of each worker. */
  resourceLimits?: ResourceLimits;
  /** The handler module (tests, custom workers): a default export `(task: TaskMessage) => Promise<ResultMessage>`. @default pool-worker next to this file */
  workerUrl?: URL;
}

export interface ExtractionPoolStats {
  size: number;
  /** Live worker threads. */
  workers: number;
  /** Workers running a task now (tasks in the pool, up to size). */
  busy: number;
  /** Tasks waiting for a worker. */
  queued: number;
  /** Most workers ever busy at once. */
  peakBusy: number;
  completed: number;
  failed: number;
  /** Workers that exited or timed out while running a task. */
  crashed: number;
  /** Distinct worker threads that completed at least one task. */
  threadsUsed: number;
}

export interface ExtractionPool {
  readonly size: number;
  /** extractFeatures(image, options) in a worker; a Buffer/Uint8Array is copied, a path is read by the worker. */
  extract(image: Buffer | Uint8Array | string, options?: ExtractOptions): Promise<ExtractedFeatures>;
  stats(): ExtractionPoolStats;
  /** Rejects waiting and running tasks with CLOSED and terminates the workers. Idempotent. */
  close(): Promise<void>;
}

// each waiting task holds its image bytes (up to FEATCACHE_MAX_IMAGE_BYTES): keep the queue short
const DEFAULT_MAX_QUEUE = 32;
const DEFAULT_TASK_TIMEOUT_MS = 60_000;

/**
 * The handler module and the worker's Node options. Under dist/ it is
 * `pool-worker.js`, loaded directly. Under tsx/vitest it is `pool-worker.ts`:
 * Node 20 does not apply the parent's loader hooks inside worker threads, so
 * workers start with `--import` of tsx's loader (resolved from this package).
 */
function workerEntry(url: URL): { filename: string; execArgv?: string[] } {
  const filename = fileURLToPath(url);
  const ext = extname(filename);
  if (ext !== '.ts' && ext !== '.mts') return { filename };
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  return { filename, execArgv: ['--import', pathToFileURL(join(tsxDir, 'dist', 'loader.mjs')).href] };
}

function defaultWorkerUrl(): URL {
  return new URL(`./pool-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
}

function fromWire(e: WireError): Error {
  if (e.code !== undefined) {
    const opts: { details?: Record<string, unknown>; cause?: unknown } = {};
    if (e.details !== undefined) opts.details = e.details;
    if (e.cause !== undefined) opts.cause = new Error(e.cause);
    return new FeatureCacheError(e.code, e.message, opts);
  }
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new FeatureCacheError(ErrorCodes.INVALID_OPTIONS, `${name} must be a positive integer, got ${String(value)}`, { details: { option: name } });
  }
  return value;
}

const closedError = () => new FeatureCacheError(ErrorCodes.CLOSED, 'the extraction pool was closed');

/** One submitted task: settled once, by its outcome, its timeout or close(). */
interface Task {
  settled: boolean;
  /** It started in a worker: its timeout runs. */
  running: boolean;
  timer: NodeJS.Timeout | undefined;
  resolve(value: ExtractedFeatures): void;
  reject(err: unknown): void;
}

/**
 * Creates a pool of extraction workers.
 * @param options.size worker threads. @default os.availableParallelism()
 * @param options.maxQueue waiting tasks before rejection. @default 32
 * @param options.taskTimeoutMs per-task limit from the task's start. @default 60000
 */
export function createExtractionPool(options: ExtractionPoolOptions = {}): ExtractionPool {
  const size = positiveInt('size', options.size, availableParallelism());
  const maxQueue = options.maxQueue === 0 ? 0 : positiveInt('maxQueue', options.maxQueue, DEFAULT_MAX_QUEUE);
  const taskTimeoutMs = positiveInt('taskTimeoutMs', options.taskTimeoutMs, DEFAULT_TASK_TIMEOUT_MS);
  const entry = workerEntry(options.workerUrl ?? defaultWorkerUrl());
  const piscina = new Piscina<TaskMessage, ResultMessage>({
    filename: entry.filename,
    ...(entry.execArgv ? { execArgv: entry.execArgv } : {}),
    ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    // all workers start at once and a removed one is replaced at once: with fewer,
    // piscina starts a worker only when a task is submitted, so tasks queued behind
    // an aborted one would wait for the next submission
    minThreads: size,
    maxThreads: size,
    idleTimeout: Infinity, // workers stay for later tasks (piscina unrefs them while idle)
    concurrentTasksPerWorker: 1,
    atomics: 'disabled',
    // the bound is kept here (size running + maxQueue waiting), where it is exact:
    // piscina counts a task as queued while the worker it started for is booting
    maxQueue: Infinity,
  });
  // a worker that exits with no task is replaced by piscina; there is nothing to fail
  piscina.on('error', () => {});

  const tasks = new Set<Task>();
  const threads = new Set<number>();
  let closed = false;
  const counters = { peakBusy: 0, completed: 0, failed: 0, crashed: 0 };

  function settle(task: Task, outcome: { value: ExtractedFeatures } | { error: unknown }): void {
    if (task.settled) return;
    task.settled = true;
    tasks.delete(task);
    if (task.timer) clearTimeout(task.timer);
    if ('value' in outcome) {
      counters.completed += 1;
      task.resolve(outcome.value);
    } else {
      counters.failed += 1;
      task.reject(outcome.error);
    }
  }

  /** piscina's own rejections: a worker that exited (crash), or our abort (timeout). */
  function failure(err: unknown, timedOut: boolean): FeatureCacheError {
    if (closed) return closedError();
    counters.crashed += 1;
    if (timedOut) {
      return new FeatureCacheError(ErrorCodes.COMPUTE_FAILED, `extraction took longer than ${taskTimeoutMs} ms; the worker was replaced`, {
        details: { reason: 'TIMEOUT', timeoutMs: taskTimeoutMs },
      });
    }
    const message = err instanceof Error ? err.message : String(err);
    const code = /exited with code:? (-?\d+)/.exec(message)?.[1];
    return new FeatureCacheError(ErrorCodes.COMPUTE_FAILED, `the extraction worker exited: ${message}`, {
      cause: err,
      details: { reason: 'WORKER_EXITED', exitCode: code === undefined ? null : Number(code) },
    });
  }

  return {
    size,
    extract(image, extractOptions) {
      if (closed) return Promise.reject(closedError());
      let payload: Uint8Array | string;
      const transferList: ArrayBuffer[] = [];
      if (typeof image === 'string') payload = image;
      else if (image instanceof Uint8Array) {
        // copy exactly these bytes (a Buffer may view a larger slab) and move the copy
        const copy = new Uint8Array(image.byteLength);
        copy.set(image);
        payload = copy;
        transferList.push(copy.buffer);
      } else {
        return Promise.reject(new FeatureCacheError(ErrorCodes.INVALID_IMAGE, 'image must be a Buffer, a Uint8Array or a file path'));
      }
      if (tasks.size >= size + maxQueue) {
        return Promise.reject(
          new FeatureCacheError(ErrorCodes.COMPUTE_FAILED, `the extraction queue is full (${maxQueue} waiting); retry later`, {
            details: { reason: 'QUEUE_FULL', maxQueue },
          }),
        );
      }
      return new Promise<ExtractedFeatures>((resolve, reject) => {
        const task: Task = { settled: false, running: false, timer: undefined, resolve, reject };
        tasks.add(task);
        counters.peakBusy = Math.max(counters.peakBusy, Math.min(tasks.size, size));
        const abort = new AbortController();
        let timedOut = false;
        const { port1, port2 } = new MessageChannel();
        port1.once('message', () => {
          port1.close();
          if (task.settled) return;
          task.running = true;
          task.timer = setTimeout(() => {
            timedOut = true;
            abort.abort();
          }, taskTimeoutMs);
          task.timer.unref();
        });
        port1.unref();
        const message: TaskMessage = { image: payload, started: port2 };
        if (extractOptions !== undefined) message.options = extractOptions;
        piscina.run(message, { transferList: [...transferList, port2] as never, signal: abort.signal }).then(
          (r) => {
            if (r.threadId !== undefined) threads.add(r.threadId);
            settle(task, r.ok ? { value: r.value } : { error: fromWire(r.error) });
          },
          (err: unknown) => {
            port1.close();
            settle(task, { error: failure(err, timedOut) });
          },
        );
      });
    },
    stats() {
      return {
        size,
        workers: piscina.threads.length,
        // piscina hands a task to the first free worker, so the first `size` tasks run and the rest wait
        busy: Math.min(tasks.size, size),
        queued: Math.max(0, tasks.size - size),
        peakBusy: counters.peakBusy,
        completed: counters.completed,
        failed: counters.failed,
        crashed: counters.crashed,
        threadsUsed: threads.size,
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const task of [...tasks]) settle(task, { error: closedError() });
      await piscina.destroy();
    },
  };
}
