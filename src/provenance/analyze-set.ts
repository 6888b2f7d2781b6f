/**
 * analyzeSet: the one-call duplicate check over a set of cached images.
 * One batch read of every record, cheap candidate pairs (src/provenance/candidates.ts),
 * geometric verification of those pairs only, verified edges unioned into groups.
 * Verification runs in batches with a yield to the event loop between them, so a
 * server stays responsive while a large set is analysed.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { ErrorCodes, FeatureCacheError, isFeatureCacheError } from '../errors.js';
import type { FeatureRecord, Features } from '../types.js';
import type { Verdict, VerifyOptions, VerifyResult } from './types.js';
import { proposeCandidates, type CandidateInput, type CandidateOptions } from './candidates.js';
import { addAppearanceCandidates } from './appearance-candidates.js';
import { UnionFind } from './union-find.js';


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

export interface AnalyzeSetOptions extends CandidateOptions {
  /** Options of each pair's verification (verifyFeatures). */
  verify?: VerifyOptions;
  /** Most distinct image IDs per call. @default 10000 */
  maxIds?: number;
  /** Pairs verified between two yields to the event loop. @default 16 */
  verifyBatch?: number;
  /** Stops between verification batches (rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Called after each verification batch. */
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
  /** What the analysis cost. */
  stats: { images: number; candidates: number; verified: number; ms: number };
}

export const ANALYZE_SET_DEFAULTS = Object.freeze({ maxIds: 10_000, verifyBatch: 16 });

export interface AnalyzeSetDeps {
  /** Records aligned with the IDs, null when absent (no hit/miss counting needed). */
  read(imageIds: string[]): Promise<Array<FeatureRecord | null>>;
  /** Geometric verification of two records' features (verifyFeatures). */
  verify(a: Features, b: Features, opts?: VerifyOptions): VerifyResult;
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

/**
 * The edge one candidate pair gives, or null when the evidence says unrelated.
 * The verification fuses the content hash, the keypoints and the hashes
 * (dihedral pHash included); a pair it cannot judge (a record with neither `orb`
 * nor a pHash) is no edge.
 */
function judge(fa: Features, fb: Features, deps: AnalyzeSetDeps, opts: VerifyOptions | undefined): Omit<SetEdge, 'a' | 'b'> | null {
  let r: VerifyResult;
  try {
    r = deps.verify(fa, fb, opts);
  } catch (err) {
    if (isFeatureCacheError(err, ErrorCodes.INVALID_FEATURES)) return null;
    throw err;
  }
  return r.verdict === 'unrelated' ? null : { verdict: r.verdict, reasons: r.reasons, inliers: r.inliers };
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

  const records = ids.length > 0 ? await deps.read(ids) : [];
  const missing: string[] = [];
  const withoutOrb: string[] = [];
  const present: Array<{ id: string; features: Features }> = [];
  ids.forEach((id, i) => {
    const rec = records[i];
    if (!rec) return void missing.push(id);
    present.push({ id, features: rec.features });
  });
  const inputs = present.map((p) => candidateInputOf(p.features));
  present.forEach((p, i) => {
    if (inputs[i]!.descriptors === null) withoutOrb.push(p.id);
  });

  // texture-poor images get no descriptor votes: their appearance neighbours are proposed too
  const candidates = addAppearanceCandidates(await proposeCandidates(inputs, options), present.map((p) => p.features));
  const edges: SetEdge[] = [];
  const linked: Array<[number, number]> = [];
  let verified = 0;
  for (let at = 0; at < candidates.length; at += batch) {
    options.signal?.throwIfAborted();
    for (const c of candidates.slice(at, at + batch)) {
      const edge = judge(present[c.a]!.features, present[c.b]!.features, deps, options.verify);
      verified++;
      if (!edge) continue;
      edges.push({ a: present[c.a]!.id, b: present[c.b]!.id, ...edge });
      linked.push([c.a, c.b]);
    }
    options.onProgress?.({ verified, candidates: candidates.length });
    await yieldToLoop();
  }

  const groups = unionGroups(present.length, linked).map((g) => g.map((i) => present[i]!.id));
  return {
    groups,
    edges,
    missing,
    without_orb: withoutOrb,
    stats: { images: ids.length, candidates: candidates.length, verified, ms: Math.round(performance.now() - started) },
  };
}
