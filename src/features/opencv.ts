/**
 * OpenCV (4.5, compiled to WebAssembly by @techstark/opencv-js), loaded lazily, once
 * per thread: the first ORB extraction in a thread pays ~0.2-0.6 s; a thread that never
 * extracts ORB never loads it. One instance is single-threaded, so the extraction
 * worker pool (one instance per worker) is what spreads ORB over the cores.
 *
 * Gotchas handled here, once:
 * - the module object has a `then` method, so `await cv` (or resolving a promise
 *   with it) never settles: readiness is awaited through `onRuntimeInitialized`
 *   (or `cv.Mat` when it is already there), and the module is handed out wrapped;
 * - on load it adds process-wide `uncaughtException` (rethrow from inside its own
 *   7 MB one-line source, which Node then prints whole) and `unhandledRejection`
 *   (abort) listeners: they are removed again;
 * - its console output (`print`/`printErr`) is silenced, and its errors (C++
 *   exception pointers, binding errors, aborts) become short FeatureCacheErrors
 *   (`opencvError`): nothing of it reaches a log raw.
 * Every Mat, vector and algorithm object must be `.delete()`d by the caller.
 */
import { createRequire } from 'node:module';
import { ErrorCodes, FeatureCacheError } from '../errors.js';

/** The few OpenCV objects featcache uses (the package's own typings omit ORB). */
export interface CvMat {
  readonly rows: number;
  readonly cols: number;
  readonly data: Uint8Array;
  delete(): void;
}

export interface CvKeyPoint {
  pt: { x: number; y: number };
  response: number;
  size: number;
  angle: number;
  octave: number;
}

export interface CvKeyPointVector {
  size(): number;
  get(i: number): CvKeyPoint;
  delete(): void;
}

export interface CvOrb {
  detectAndCompute(image: CvMat, mask: CvMat, keypoints: CvKeyPointVector, descriptors: CvMat): void;
  setMaxFeatures(n: number): void;
  setNLevels(n: number): void;
  delete(): void;
}

export interface OpenCv {
  Mat: new (rows?: number, cols?: number, type?: number) => CvMat;
  Size: new (width: number, height: number) => unknown;
  KeyPointVector: new () => CvKeyPointVector;
  ORB: new (nfeatures?: number) => CvOrb;
  CLAHE: new (clipLimit: number, tiles: unknown) => { apply(src: CvMat, dst: CvMat): void; delete(): void };
  equalizeHist(src: CvMat, dst: CvMat): void;
  CV_8UC1: number;
  INTER_AREA: number;
  matFromArray(rows: number, cols: number, type: number, data: ArrayLike<number>): CvMat;
  resize(src: CvMat, dst: CvMat, size: unknown, fx: number, fy: number, interpolation: number): void;
  flip(src: CvMat, dst: CvMat, flipCode: number): void;
  exceptionFromPtr?(ptr: number): { msg?: string };
}

/** Longest piece of an OpenCV message kept in an error (its messages can hold source). */
const MAX_MESSAGE = 160;

let loading: Promise<{ cv: OpenCv }> | undefined;

const PROCESS_EVENTS: readonly string[] = ['uncaughtException', 'unhandledRejection'];

/** process.listeners / removeListener over plain event names (the typings overload by signal). */
const events = process as unknown as NodeJS.EventEmitter;

function load(): Promise<{ cv: OpenCv }> {
  return new Promise((resolve, reject) => {
    const g = globalThis as { Module?: unknown };
    const before = PROCESS_EVENTS.map((e) => new Set(events.listeners(e)));
    // The UMD wrapper builds the Emscripten module from a global `Module`, if any.
    const previous = g.Module;
    g.Module = {
      print: () => {},
      printErr: () => {},
      onAbort: () => reject(new FeatureCacheError(ErrorCodes.COMPUTE_FAILED, 'OpenCV failed to initialise')),
    };
    let cv: OpenCv & { onRuntimeInitialized?: () => void };
    try {
      cv = createRequire(import.meta.url)('@techstark/opencv-js') as typeof cv;
    } catch (err) {
      reject(opencvError('loading OpenCV', err));
      return;
    } finally {
      if (previous === undefined) delete g.Module;
      else g.Module = previous;
      PROCESS_EVENTS.forEach((e, i) => {
        for (const l of events.listeners(e)) if (!before[i]!.has(l)) events.removeListener(e, l as (...args: unknown[]) => void);
      });
    }
    if (typeof cv.Mat === 'function') resolve({ cv });
    else cv.onRuntimeInitialized = () => resolve({ cv });
  });
}

/**
 * This thread's OpenCV instance, loaded on first use. Resolves with `{ cv }` (never
 * the module itself, which is a thenable). A failed load is retried on the next call.
 */
export function loadOpenCv(): Promise<{ cv: OpenCv }> {
  loading ??= load().catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

/** A short, log-safe COMPUTE_FAILED error for anything OpenCV threw while doing `what`. */
export function opencvError(what: string, err: unknown, cv?: OpenCv): FeatureCacheError {
  if (err instanceof FeatureCacheError) return err;
  let text: string;
  if (typeof err === 'number') {
    // a C++ exception arrives as a pointer
    let msg: string | undefined;
    try {
      msg = cv?.exceptionFromPtr?.(err).msg;
    } catch {
      msg = undefined;
    }
    text = msg ?? `C++ exception ${err}`;
  } else if (err instanceof Error) text = `${err.name}: ${err.message}`;
  else text = String(err);
  if (text.length > MAX_MESSAGE) text = `${text.slice(0, MAX_MESSAGE)}...`;
  return new FeatureCacheError(ErrorCodes.COMPUTE_FAILED, `OpenCV failed ${what}: ${text}`, { details: { reason: 'OPENCV' } });
}
