/**
 * The extraction pool's task handler, run by piscina in a worker thread: tells
 * the pool it started (the task timeout counts from here, not from the queue),
 * runs extractFeatures and answers with the features or a serialisable error
 * (a FeatureCacheError's code and details survive the thread boundary, which
 * structured cloning of an Error would drop).
 */
import { threadId, type MessagePort } from 'node:worker_threads';
import { FeatureCacheError, type ErrorCode } from '../errors.js';
import { extractFeatures, type ExtractedFeatures } from './extract.js';
import type { ExtractOptions } from './options.js';

/** main -> worker: one extraction. `image` bytes arrive transferred (not shared). */
export interface TaskMessage {
  image: Uint8Array | string;
  options?: ExtractOptions;
  /** Receives one message when the task starts running; the worker closes it. */
  started: MessagePort;
}

/** An error as it crosses the thread boundary: FeatureCacheError fields survive. */
export interface WireError {
  name: string;
  message: string;
  code?: ErrorCode;
  details?: Record<string, unknown>;
  /** The message of the error's cause (e.g. libvips' own words), for logs and CLI reasons. */
  cause?: string;
}

/** worker -> main: the outcome of one task, and the thread that ran it. */
export type ResultMessage = ({ ok: true; value: ExtractedFeatures } | { ok: false; error: WireError }) & { threadId?: number };

function toWire(err: unknown): WireError {
  if (err instanceof FeatureCacheError) {
    const wire: WireError = { name: err.name, message: err.message, code: err.code };
    if (err.details !== undefined) wire.details = err.details;
    if (err.cause instanceof Error) wire.cause = err.cause.message;
    return wire;
  }
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

/** piscina's entry: one task in, its ResultMessage out (never throws). */
export default async function extractTask(task: TaskMessage): Promise<ResultMessage> {
  task.started.postMessage(null);
  task.started.close();
  const image = typeof task.image === 'string' ? task.image : Buffer.from(task.image.buffer, task.image.byteOffset, task.image.byteLength);
  try {
    return { ok: true, value: await extractFeatures(image, task.options), threadId };
  } catch (err) {
    let error = toWire(err);
    try {
      structuredClone(error);
    } catch {
      // details that cannot cross the boundary are dropped, never the answer
      error = { name: error.name, message: error.message, ...(error.code ? { code: error.code } : {}) };
    }
    return { ok: false, error, threadId };
  }
}
