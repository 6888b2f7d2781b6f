/**
 * A worker-thread pool for extractFeatures: the JavaScript hashing (~50 ms per
 * megapixel) runs off the event loop and on every core. It also runs analyzeSet's
 * pair verifications (`verify`, chunks of RANSAC: pure CPU that would otherwise
 * hold the event loop while Redis replies wait).
 *
 * - Workers start on demand, up to `size`, and stay for later tasks (unref'd while idle).
 * - The queue is bounded: beyond `maxQueue` waiting tasks, extract() rejects at once.
 * - Errors come back as FeatureCacheError with their code (INVALID_IMAGE, ...).
 * - A worker that crashes or exceeds `taskTimeoutMs` is terminated and replaced;
 *   its task is rejected (COMPUTE_FAILED), so no promise is left hanging.
 * - The worker module sits next to this file with the same extension: `.js` under
 *   dist/, `.ts` under tsx/vitest (then the worker is started with `--import tsx`).
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import type { ExtractedFeatures } from './extract.js';
import type { ExtractOptions } from './options.js';
import { nativeOrb } from './orb-native.js';
import type { VerifyChunk, VerifyChunkResult } from '../provenance/verify-chunk.js';
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
  /** The worker module (tests, custom workers). @default pool-worker next to this file */
  workerUrl?: URL;
}

export interface ExtractionPoolStats {
  size: number;
  /** Live worker threads. */
  workers: number;
  /** Workers running a task now. */
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
  /**
   * extractFeatures(image, options) in a worker; a Buffer/Uint8Array is copied, a path is
   * read by the worker. With `options.extractors` only the selected features are present.
   */
  extract(image: Buffer | Uint8Array | string, options?: ExtractOptions): Promise<Partial<ExtractedFeatures>>;
  /**
   * verifyChunk(chunk) in a worker (the features are copied): a chunk of pair
   * verifications off the event loop. Queued like extractions (maxQueue, timeout).
   */
  verify(chunk: VerifyChunk): Promise<VerifyChunkResult>;
  stats(): ExtractionPoolStats;
  /** Rejects waiting and running tasks with CLOSED and terminates the workers. Idempotent. */
  close(): Promise<void>;
}

interface Task {
  id: number;
  message: TaskMessage;
  transfer: ArrayBuffer[];
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** A task message before the pool numbers it. */
type TaskBody<M = TaskMessage> = M extends TaskMessage ? Omit<M, 'id'> : never;

interface Slot {
  worker: Worker;
  task: Task | null;
  timer: NodeJS.Timeout | null;
}

// each waiting task holds its image bytes (up to FEATCACHE_MAX_IMAGE_BYTES): keep the queue short
const DEFAULT_MAX_QUEUE = 32;
const DEFAULT_TASK_TIMEOUT_MS = 60_000;

/** How a worker is started: a module URL, or (TypeScript sources) a bootstrap that registers tsx first. */
interface WorkerEntry {
  filename: URL | string;
  eval: boolean;
}

/**
 * The worker module beside this one. Under dist/ it is `pool-worker.js`, loaded directly.
 * Under tsx/vitest it is `pool-worker.ts`: Node 20 does not apply `--import tsx` hooks
 * inside worker threads, so the worker starts from a small script that registers tsx's
 * loader (resolved from this package) and then imports the module.
 */
function workerEntry(url: URL): WorkerEntry {
  const ext = extname(fileURLToPath(url));
  if (ext !== '.ts' && ext !== '.mts') return { filename: url, eval: false };
  // tsx's ESM API (the `import` condition of `tsx/esm/api`), resolved from this package
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(join(tsxDir, 'dist', 'esm', 'api', 'index.mjs')).href;
  const code = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return { filename: code, eval: true };
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

/**
 * Creates a pool of extraction workers.
 * @param options.size worker threads. @default os.availableParallelism()
 * @param options.maxQueue waiting tasks before rejection. @default 32
 * @param options.taskTimeoutMs per-task limit. @default 60000
 */
export function createExtractionPool(options: ExtractionPoolOptions = {}): ExtractionPool {
  const size = positiveInt('size', options.size, availableParallelism());
  const maxQueue = options.maxQueue === 0 ? 0 : positiveInt('maxQueue', options.maxQueue, DEFAULT_MAX_QUEUE);
  const taskTimeoutMs = positiveInt('taskTimeoutMs', options.taskTimeoutMs, DEFAULT_TASK_TIMEOUT_MS);
  const entry = workerEntry(options.workerUrl ?? defaultWorkerUrl());
  // OpenCV's native build reads its CPU settings once per process: loaded here first,
  // so the workers' ORB runs natively with the same bytes (orb-native.ts)
  nativeOrb();

  const slots: Slot[] = [];
  const queue: Task[] = [];
  const threads = new Set<number>();
  let nextId = 1;
  let closed = false;
  const counters = { peakBusy: 0, completed: 0, failed: 0, crashed: 0 };

  const busyCount = () => slots.reduce((n, s) => n + (s.task ? 1 : 0), 0);

  function spawn(): Slot {
    const worker = new Worker(entry.filename, {
      eval: entry.eval,
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    });
    const slot: Slot = { worker, task: null, timer: null };
    worker.on('message', (msg: ResultMessage) => {
      const task = slot.task;
      if (task === null || msg.id !== task.id) return;
      finish(slot);
      threads.add(worker.threadId);
      if (msg.ok) {
        counters.completed += 1;
        task.resolve(msg.value);
      } else {
        counters.failed += 1;
        task.reject(fromWire(msg.error));
      }
      dispatch();
    });
    let lastError: Error | undefined;
    worker.on('error', (err) => {
      lastError = err;
    });
    worker.on('exit', (code) => {
      const i = slots.indexOf(slot);
      if (i >= 0) slots.splice(i, 1);
      const task = slot.task;
      finish(slot);
      if (task) {
        counters.crashed += 1;
        counters.failed += 1;
        task.reject(
          closed
            ? new FeatureCacheError(ErrorCodes.CLOSED, 'the extraction pool was closed')
            : new FeatureCacheError(ErrorCodes.COMPUTE_FAILED, `the extraction worker exited (code ${code})${lastError ? `: ${lastError.message}` : ''}`, {
                cause: lastError,
                details: { reason: 'WORKER_EXITED', exitCode: code },
              }),
        );
      }
      dispatch(); // replaces the worker if tasks are waiting
    });
    slots.push(slot);
    return slot;
  }

  function finish(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.task = null;
    slot.worker.unref();
  }

  function run(slot: Slot, task: Task): void {
    slot.task = task;
    slot.worker.ref();
    slot.timer = setTimeout(() => {
      if (slot.task !== task) return;
      // The worker is stuck; terminating it rejects the task through 'exit'.
      counters.crashed += 1;
      counters.failed += 1;
      slot.task = null;
      const i = slots.indexOf(slot);
      if (i >= 0) slots.splice(i, 1); // never hand this worker another task
      task.reject(
        new FeatureCacheError(ErrorCodes.COMPUTE_FAILED, `a pool task took longer than ${taskTimeoutMs} ms; the worker was replaced`, {
          details: { reason: 'TIMEOUT', timeoutMs: taskTimeoutMs },
        }),
      );
      void slot.worker.terminate();
      dispatch();
    }, taskTimeoutMs);
    slot.timer.unref();
    slot.worker.postMessage(task.message, task.transfer);
    counters.peakBusy = Math.max(counters.peakBusy, busyCount());
  }

  function dispatch(): void {
    while (!closed && queue.length > 0) {
      let slot = slots.find((s) => s.task === null);
      if (slot === undefined) {
        if (slots.length >= size) return;
        slot = spawn();
      }
      run(slot, queue.shift()!);
    }
  }

  /** Queues one task, or rejects at once when closed or when every worker is busy and the queue is full. */
  function submit<T>(message: TaskBody, transfer: ArrayBuffer[]): Promise<T> {
    if (closed) return Promise.reject(new FeatureCacheError(ErrorCodes.CLOSED, 'the extraction pool was closed'));
    const idle = slots.some((s) => s.task === null) || slots.length < size;
    if (!idle && queue.length >= maxQueue) {
      return Promise.reject(
        new FeatureCacheError(ErrorCodes.COMPUTE_FAILED, `the extraction queue is full (${maxQueue} waiting); retry later`, {
          details: { reason: 'QUEUE_FULL', maxQueue },
        }),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const id = nextId++;
      queue.push({ id, message: { ...message, id }, transfer, resolve, reject });
      dispatch();
    });
  }

  return {
    size,
    extract(image, extractOptions) {
      if (closed) return Promise.reject(new FeatureCacheError(ErrorCodes.CLOSED, 'the extraction pool was closed'));
      let payload: Uint8Array | string;
      let transfer: ArrayBuffer[] = [];
      if (typeof image === 'string') payload = image;
      else if (image instanceof Uint8Array) {
        // copy exactly these bytes (a Buffer may view a larger slab) and move the copy
        const copy = new Uint8Array(image.byteLength);
        copy.set(image);
        payload = copy;
        transfer = [copy.buffer];
      } else {
        return Promise.reject(new FeatureCacheError(ErrorCodes.INVALID_IMAGE, 'image must be a Buffer, a Uint8Array or a file path'));
      }
      const message = extractOptions === undefined ? { kind: 'extract' as const, image: payload } : { kind: 'extract' as const, image: payload, options: extractOptions };
      return submit<Partial<ExtractedFeatures>>(message, transfer);
    },
    verify(chunk) {
      return submit<VerifyChunkResult>({ kind: 'verify', chunk }, []);
    },
    stats() {
      return {
        size,
        workers: slots.length,
        busy: busyCount(),
        queued: queue.length,
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
      const err = new FeatureCacheError(ErrorCodes.CLOSED, 'the extraction pool was closed');
      for (const task of queue.splice(0)) task.reject(err);
      await Promise.all(slots.slice().map((s) => s.worker.terminate()));
    },
  };
}
