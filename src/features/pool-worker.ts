/**
 * Worker thread of the extraction pool: runs each task it is sent (extractFeatures
 * on an image, or a chunk of pair verifications for analyzeSet) and answers with
 * the value or a serialisable error (code kept).
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { FeatureCacheError, type ErrorCode } from '../errors.js';
import { extractFeatures, type ExtractedFeatures } from './extract.js';
import type { ExtractOptions } from './options.js';
import { verifyChunk, type VerifyChunk, type VerifyChunkResult } from '../provenance/verify-chunk.js';

/** main -> worker: one extraction (`image` bytes arrive transferred, not shared). */
export interface ExtractTask {
  kind: 'extract';
  id: number;
  image: Uint8Array | string;
  options?: ExtractOptions;
}

/** main -> worker: a chunk of pair verifications (pure CPU: RANSAC off the event loop). */
export interface VerifyTask {
  kind: 'verify';
  id: number;
  chunk: VerifyChunk;
}

export type TaskMessage = ExtractTask | VerifyTask;

/** An error as it crosses the thread boundary: FeatureCacheError fields survive. */
export interface WireError {
  name: string;
  message: string;
  code?: ErrorCode;
  details?: Record<string, unknown>;
  /** The message of the error's cause (e.g. libvips' own words), for logs and CLI reasons. */
  cause?: string;
}

/** worker -> main: the outcome of one task. */
export type ResultMessage =
  | { id: number; ok: true; value: Partial<ExtractedFeatures> | VerifyChunkResult }
  | { id: number; ok: false; error: WireError };

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

function run(task: TaskMessage): Promise<Partial<ExtractedFeatures> | VerifyChunkResult> {
  if (task.kind === 'verify') return new Promise((resolve) => resolve(verifyChunk(task.chunk)));
  const image = typeof task.image === 'string' ? task.image : Buffer.from(task.image.buffer, task.image.byteOffset, task.image.byteLength);
  return extractFeatures(image, task.options);
}

function serve(port: MessagePort): void {
  port.on('message', (task: TaskMessage) => {
    run(task).then(
      (value) => port.postMessage({ id: task.id, ok: true, value } satisfies ResultMessage),
      (err: unknown) => {
        let error = toWire(err);
        try {
          structuredClone(error);
        } catch {
          // details that cannot cross the boundary are dropped, never the answer
          error = { name: error.name, message: error.message, ...(error.code ? { code: error.code } : {}) };
        }
        port.postMessage({ id: task.id, ok: false, error } satisfies ResultMessage);
      },
    );
  });
}

// The main thread imports this module's types only (erased); act only inside a worker.
if (parentPort !== null) serve(parentPort);
