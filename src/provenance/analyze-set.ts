/**
 * analyzeSet: the one-call duplicate check over a set of cached images.
 * 1. One batch read of every record.
 * 2. Cheap candidate pairs (src/provenance/candidates.ts).
 * 3. One batch read of the candidates' cached verdicts (pair-cache.ts: served
 *    only while both records are unchanged).
 * 4. Geometric verification of the uncached pairs only, in chunks: in the worker
 *    pool when one is given (off the event loop, on every core), else in-process
 *    with a yield between chunks. No Redis command of this call is in flight
 *    meanwhile, so RANSAC never makes one wait past its timeout.
 * 5. One batch write of the new verdicts; verified edges unioned into groups.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Cluster, Redis } from 'ioredis';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import type { ExtractionPool } from '../features/pool.js';
import type { KeySchema } from '../redis/keys.js';
import type { FeatureRecord, Features } from '../types.js';
import type { Verdict, VerifyResult } from './types.js';
import { proposeCandidates, type Candidate, type CandidateInput, type CandidateOptions } from './candidates.js';
import {
  pairVerdictSettings,
  pairVerdictSlot,
  readPairVerdicts,
  recordFingerprint,
  writePairVerdicts,
  type PairVerdictSettings,
  type VerifyPairOptions,
} from './pair-cache.js';
import { addAppearanceCandidates } from './appearance-candidates.js';
import { UnionFind } from './union-find.js';
import { buildVerifyChunk, verifyChunk, type VerifyChunkResult } from './verify-chunk.js';


/** One related pair: `a` comes before `b` in the input. */
export interface SetEdge {
  a: string;
  b: string;
  verdict: Exclude<Verdict, 'unrelated'>;
  /** Plain words: "identical file", "cropped: B is 52% of A", "rotated 90°", ... */
  reasons: string[];
  /** RANSAC inliers (0 when the edge rests on hashes alone). */
  inliers: number;
}

/** Where verification runs off the event loop: the extraction worker pool (src/features/pool.ts). */
export type VerificationPool = Pick<ExtractionPool, 'verify' | 'size'>;

export interface AnalyzeSetOptions extends CandidateOptions {
  /** Options of each pair's verification (verifyPair's: the verdicts go through the same cache). */
  verify?: VerifyPairOptions;
  /** Most distinct image IDs per call. @default 10000 */
  maxIds?: number;
  /** Pairs per verification chunk (one pool task, or one run between two yields to the event loop). @default 16 */
  verifyBatch?: number;
  /**
   * Verify in this pool's workers (off the event loop, 2 x `pool.size` chunks at a
   * time). Without it, chunks run in-process with a yield between them.
   */
  pool?: VerificationPool;
  /** Stops between verification chunks (rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Called after the cached verdicts are read and after each verification chunk; `verified` counts judged pairs, cached ones included. */
  onProgress?(progress: { verified: number; candidates: number }): void;
}

export interface AnalyzeSetResult {
  /** Related images, 2 or more each, in input order; groups ordered by their first member. */
  groups: string[][];
  /** Every related pair found, ordered by (a, b) in input order. */
  edges: SetEdge[];
  /** IDs without a cached record. */
  missing: string[];
  /** IDs whose record has no `orb` features (judged by their hashes alone). */
  without_orb: string[];
  /** What the analysis cost: `verified` pairs judged, of which `cached` came from the verdict cache (no RANSAC). */
  stats: { images: number; candidates: number; verified: number; cached: number; ms: number };
}

interface Present {
  id: string;
  record: FeatureRecord;
}

export const ANALYZE_SET_DEFAULTS = Object.freeze({ maxIds: 10_000, verifyBatch: 16 });

export interface AnalyzeSetDeps {
  /** Records aligned with the IDs, null when absent (no hit/miss counting needed). */
  read(imageIds: string[]): Promise<Array<FeatureRecord | null>>;
  /** Where verdicts are cached (the pairwise-verdict cache of verifyPair). */
  pairs: { client: Redis | Cluster; keys: KeySchema };
}

/** The ORB descriptors of a record, when present and well formed. */
function descriptorsOf(f: Features): Uint8Array | null {
  const orb = f.orb;
  if (orb === null || typeof orb !== 'object' || Array.isArray(orb) || ArrayBuffer.isView(orb)) return null;
  const d = (orb as Record<string, unknown>).descriptors;
  return d instanceof Uint8Array && d.length >= 32 && d.length % 32 === 0 ? d : null;
}

/** The dihedral pHash variants, else the plain pHash. */
function hashesOf(f: Features): string[] | null {
  const dihedral = f.phash_dihedral;
  if (Array.isArray(dihedral) && dihedral.length > 0 && dihedral.every((h) => typeof h === 'string')) return dihedral;
  return typeof f.phash === 'string' ? [f.phash] : null;
}

/** What candidate proposal reads from a record's features (shared with provenanceGraph). */
export function candidateInputOf(f: Features): CandidateInput {
  return { descriptors: descriptorsOf(f), hashes: hashesOf(f), contentHash: typeof f.content_hash === 'string' ? f.content_hash : null };
}

/** The edge a verification gives, or null when it says unrelated (or could not judge the pair). */
function edgeOf(r: VerifyResult | null): Omit<SetEdge, 'a' | 'b'> | null {
  return r === null || r.verdict === 'unrelated' ? null : { verdict: r.verdict, reasons: r.reasons, inliers: r.inliers };
}

/**
 * Every pair worth verifying, each once, ordered by (a, b). The cheap evidence of
 * candidates.ts; another proposer (e.g. by appearance) adds its pairs here.
 */
async function proposePairs(
  inputs: readonly CandidateInput[],
  features: readonly Features[],
  options: AnalyzeSetOptions,
): Promise<Array<Pick<Candidate, 'a' | 'b'>>> {
  // texture-poor images get no descriptor votes: their appearance neighbours are proposed too
  return await addAppearanceCandidates(await proposeCandidates(inputs, options), features);
}

/** The cache slot of each candidate pair (one fingerprint per record, computed once). */
async function slotsOf(deps: AnalyzeSetDeps, settings: PairVerdictSettings, present: readonly Present[], pairs: ReadonlyArray<Pick<Candidate, 'a' | 'b'>>) {
  const prints = new Map<number, string>();
  const printOf = (i: number): string => {
    let p = prints.get(i);
    if (p === undefined) {
      p = recordFingerprint(present[i]!.record);
      prints.set(i, p);
    }
    return p;
  };
  const slots = [];
  for (const [k, c] of pairs.entries()) {
    slots.push(pairVerdictSlot(deps.pairs.keys, settings, present[c.a]!.id, present[c.b]!.id, printOf(c.a), printOf(c.b)));
    if ((k & 255) === 255) await yieldToLoop(); // hashing ~16 KB per record
  }
  return slots;
}

/**
 * Verifies `pairs` (indexes into `features`) in chunks of `batch`: `pool.size`
 * chunks at a time in the pool, else one at a time in-process after a yield.
 * `done` gets each chunk's first pair index and results as they arrive.
 */
async function verifyInChunks(
  features: readonly Features[],
  pairs: ReadonlyArray<readonly [number, number]>,
  settings: PairVerdictSettings,
  options: AnalyzeSetOptions,
  batch: number,
  done: (at: number, results: VerifyChunkResult) => void,
): Promise<void> {
  const pool = options.pool;
  const run = pool
    ? (at: number) => pool.verify(buildVerifyChunk(features, pairs.slice(at, at + batch), settings.verify))
    : async (at: number) => {
        await yieldToLoop();
        return verifyChunk(buildVerifyChunk(features, pairs.slice(at, at + batch), settings.verify));
      };
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < pairs.length) {
      options.signal?.throwIfAborted();
      const at = next;
      next += batch;
      try {
        done(at, await run(at));
      } catch (err) {
        failed = true; // the other lanes submit no more
        throw err;
      }
    }
  };
  // two chunks per worker: the next one waits in the queue while the main thread takes a result
  const lanes = Math.max(1, Math.min(pool ? 2 * pool.size : 1, Math.ceil(pairs.length / batch)));
  await Promise.all(Array.from({ length: lanes }, lane));
}

/** Union-find over indexes, smallest index as root (so groups come out in input order). */
function unionGroups(n: number, pairs: Iterable<[number, number]>): number[][] {
  const sets = new UnionFind(n);
  for (const [a, b] of pairs) sets.union(a, b);
  const byRoot = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const r = sets.find(i);
    const g = byRoot.get(r);
    if (g) g.push(i);
    else byRoot.set(r, [i]);
  }
  return [...byRoot.values()].filter((g) => g.length >= 2);
}

/**
 * Groups of related images among `imageIds` (duplicates are analysed once).
 * Throws FeatureCacheError INVALID_ARGUMENT when imageIds is not an array or has
 * more than `maxIds` distinct IDs.
 */
export async function analyzeSet(deps: AnalyzeSetDeps, imageIds: string[], options: AnalyzeSetOptions = {}): Promise<AnalyzeSetResult> {
  const started = performance.now();
  if (!Array.isArray(imageIds)) throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, 'imageIds must be an array');
  const maxIds = options.maxIds ?? ANALYZE_SET_DEFAULTS.maxIds;
  const batch = options.verifyBatch ?? ANALYZE_SET_DEFAULTS.verifyBatch;
  const ids = [...new Set(imageIds)];
  if (ids.length > maxIds) {
    throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `analyzeSet takes at most ${maxIds} image IDs (got ${ids.length})`, {
      details: { maxIds },
    });
  }

  if (!Number.isInteger(batch) || batch < 1) {
    throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, 'verifyBatch must be a positive integer', { details: { option: 'verifyBatch' } });
  }
  const settings = pairVerdictSettings(options.verify);

  const records = ids.length > 0 ? await deps.read(ids) : [];
  const missing: string[] = [];
  const withoutOrb: string[] = [];
  const present: Present[] = [];
  ids.forEach((id, i) => {
    const record = records[i];
    if (!record) return void missing.push(id);
    present.push({ id, record });
  });
  const features = present.map((p) => p.record.features);
  const inputs = features.map(candidateInputOf);
  present.forEach((p, i) => {
    if (inputs[i]!.descriptors === null) withoutOrb.push(p.id);
  });

  const candidates = await proposePairs(inputs, features, options);
  // the cached verdicts, one batch (awaited before any verification runs)
  const slots = await slotsOf(deps, settings, present, candidates);
  const results = candidates.length > 0 ? await readPairVerdicts(deps.pairs.client, slots) : [];
  const cached = results.filter((r) => r !== null).length;
  let verified = cached;
  options.onProgress?.({ verified, candidates: candidates.length });

  // the rest verified in chunks, with no Redis command of this call in flight
  const todo = candidates.flatMap((_, k) => (results[k] === null ? [k] : []));
  const fresh = new Map<number, VerifyResult>();
  await verifyInChunks(features, todo.map((k) => [candidates[k]!.a, candidates[k]!.b] as const), settings, options, batch, (at, chunk) => {
    chunk.forEach((r, j) => {
      const k = todo[at + j]!;
      results[k] = r;
      if (r !== null) fresh.set(k, r); // a pair that cannot be judged is not cached (as verifyPair throws for it)
    });
    verified += chunk.length;
    options.onProgress?.({ verified, candidates: candidates.length });
  });
  // the new verdicts, one batch
  if (fresh.size > 0) await writePairVerdicts(deps.pairs.client, settings, [...fresh].map(([k, result]) => ({ slot: slots[k]!, result })));

  const edges: SetEdge[] = [];
  const linked: Array<[number, number]> = [];
  candidates.forEach((c, k) => {
    const edge = edgeOf(results[k] ?? null);
    if (!edge) return;
    edges.push({ a: present[c.a]!.id, b: present[c.b]!.id, ...edge });
    linked.push([c.a, c.b]);
  });

  const groups = unionGroups(present.length, linked).map((g) => g.map((i) => present[i]!.id));
  return {
    groups,
    edges,
    missing,
    without_orb: withoutOrb,
    stats: { images: ids.length, candidates: candidates.length, verified, cached, ms: Math.round(performance.now() - started) },
  };
}
