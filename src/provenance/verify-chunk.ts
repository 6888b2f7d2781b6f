/**
 * A chunk of pair verifications as one unit of work: what analyzeSet hands the
 * worker pool (src/features/pool.ts, so RANSAC runs off the event loop and on
 * every core) or runs itself between yields. Pure: no Redis, no I/O.
 */
import { ErrorCodes, isFeatureCacheError } from '../errors.js';
import type { FeatureValue, Features } from '../types.js';
import type { VerifyOptions, VerifyResult } from './types.js';
import { verifyFeatures } from './verify.js';

/** The feature types verification reads (a chunk carries only these; the pair cache's fingerprint covers exactly these). */
export const VERIFY_INPUTS = ['orb', 'content_hash', 'phash', 'phash_dihedral', 'width', 'height', 'thumb'] as const;

export interface VerifyChunk {
  /** The features of the images the pairs name (VERIFY_INPUTS only). */
  features: Features[];
  /** Pairs as indexes into `features`, A then B: a0, b0, a1, b1, ... */
  pairs: Uint32Array;
  options?: VerifyOptions;
}

/** Aligned with the chunk's pairs: the result, or null for a pair verification cannot judge (INVALID_FEATURES). */
export type VerifyChunkResult = Array<VerifyResult | null>;

/**
 * A typed array that owns exactly its bytes: a decoded record's arrays may view a
 * larger buffer (the whole reply), and structured clone copies a view's entire buffer.
 */
function compact(v: unknown): unknown {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView) && v.byteLength !== v.buffer.byteLength) return (v as Uint8Array).slice();
  return v;
}

/** What verification reads of a record's features (a smaller message to a worker: only these, typed arrays compacted). */
export function verificationInputs(f: Features): Features {
  const out: Features = {};
  for (const type of VERIFY_INPUTS) {
    const v = f[type];
    if (v === undefined) continue;
    const isObject = v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);
    out[type] = (isObject ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, compact(x)])) : compact(v)) as FeatureValue;
  }
  return out;
}

/**
 * The chunk for `pairs` (indexes into `all`): each image the pairs name once,
 * reduced to what verification reads.
 */
export function buildVerifyChunk(all: readonly Features[], pairs: ReadonlyArray<readonly [number, number]>, options?: VerifyOptions): VerifyChunk {
  const local = new Map<number, number>();
  const features: Features[] = [];
  const at = (i: number): number => {
    let k = local.get(i);
    if (k === undefined) {
      k = features.length;
      local.set(i, k);
      features.push(verificationInputs(all[i]!));
    }
    return k;
  };
  const packed = new Uint32Array(pairs.length * 2);
  pairs.forEach(([a, b], j) => {
    packed[2 * j] = at(a);
    packed[2 * j + 1] = at(b);
  });
  return options === undefined ? { features, pairs: packed } : { features, pairs: packed, options };
}

/** Verifies every pair of the chunk (verifyFeatures); other errors than INVALID_FEATURES propagate. */
export function verifyChunk(chunk: VerifyChunk): VerifyChunkResult {
  const out: VerifyChunkResult = [];
  for (let j = 0; j < chunk.pairs.length; j += 2) {
    const a = chunk.features[chunk.pairs[j]!]!;
    const b = chunk.features[chunk.pairs[j + 1]!]!;
    try {
      out.push(verifyFeatures(a, b, chunk.options));
    } catch (err) {
      if (!isFeatureCacheError(err, ErrorCodes.INVALID_FEATURES)) throw err;
      out.push(null);
    }
  }
  return out;
}
