/**
 * provenanceGraph: which image of a set was derived from which, and which are
 * composites of others.
 * 1. One batch read of every record; the candidate pairs of analyzeSet
 *    (candidates.ts: content hash, dihedral pHash, shared descriptor chunks).
 * 2. Each candidate verified through the pairwise-verdict cache (verifyPair:
 *    a set analysed again is answered from Redis).
 * 3. The skeleton: a maximum spanning forest over the verified edges, weighted
 *    by inliers x the geometric mean of the two overlaps (the shared area seen
 *    from both sides), so that a copy hangs from its nearest relative rather
 *    than from a remoter ancestor with as many inliers.
 * 4. The skeleton edges' geometry (pair-geometry.ts), the composites
 *    (composites.ts) and each edge's direction (direction.ts), or "direction unknown".
 * docs/PROVENANCE.md ("The provenance graph") tells the rules and their measurements.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { ErrorCodes, FeatureCacheError, isFeatureCacheError } from '../errors.js';
import type { FeatureRecord, Features } from '../types.js';
import { candidateInputOf } from './analyze-set.js';
import { proposeCandidates, type CandidateOptions } from './candidates.js';
import { findComposites } from './composites.js';
import { decideDirection } from './direction.js';
import * as G from './graph-thresholds.js';
import { verifyPair, type PairCacheContext, type VerifyPairOptions } from './pair-cache.js';
import { readOrb } from './orb-input.js';
import { pairGeometry, type PairGeometry } from './pair-geometry.js';
import { REASON } from './reasons.js';
import { maximumSpanningForest } from './skeleton.js';
import * as T from './thresholds.js';
import type { VerifyResult } from './types.js';

export interface ProvenanceGraphNode {
  imageId: string;
  /** No cached record: the node takes part in no edge. */
  missing?: true;
}

export interface ProvenanceGraphEdge {
  /** With `directed`, `from` is the source and `to` the derived image; else the two in input order. */
  from: string;
  to: string;
  /** false: "direction unknown" (the reasons say why). */
  directed: boolean;
  /** 0..1: how sure the link is, times how sure its direction is when directed. */
  confidence: number;
  /** RANSAC inliers of the pair (0 when the link rests on hashes alone). */
  inliers: number;
  /** Plain words: the direction evidence first, then what verification found. */
  reasons: string[];
}

export interface ProvenanceGraph {
  /** Every distinct input ID, in input order. */
  nodes: ProvenanceGraphNode[];
  /** The skeleton's edges (a forest: no cycles), ordered by their nodes' input order. */
  edges: ProvenanceGraphEdge[];
  /** Images made of two or more of their neighbours, in input order. */
  composites: string[];
  stats: { images: number; candidates: number; verified: number; ms: number };
}

export type SkeletonWeight = 'shared-area' | 'inliers';

export interface ProvenanceGraphOptions extends CandidateOptions {
  /** Options of each pair's verification (verifyPair). */
  verify?: VerifyPairOptions;
  /** What the spanning tree maximises: inliers x shared area (default) or plain inliers. */
  skeleton?: SkeletonWeight;
  /** Most distinct image IDs per call. @default 1000 */
  maxIds?: number;
  /** Stops between verifications (rejects with the signal's reason). */
  signal?: AbortSignal;
}

export const PROVENANCE_GRAPH_DEFAULTS = Object.freeze({ maxIds: 1000, verifyBatch: 16 });

export interface ProvenanceGraphDeps {
  /** Records aligned with the IDs, null when absent (no hit/miss counting). */
  read(imageIds: string[]): Promise<Array<FeatureRecord | null>>;
  /** Where verdicts are cached (verifyPair's context without its record reader: the records read above serve it). */
  pairs: Omit<PairCacheContext, 'peekMany'>;
}

interface Verified {
  a: number;
  b: number;
  result: VerifyResult;
}

function skeletonWeight(r: VerifyResult, how: SkeletonWeight): number {
  if (r.verdict === 'identical') return G.IDENTICAL_EDGE_WEIGHT;
  if (r.inliers === 0) return G.HASH_EDGE_WEIGHT;
  if (how === 'inliers' || !r.overlap) return r.inliers;
  return r.inliers * Math.sqrt(Math.max(0, r.overlap.a) * Math.max(0, r.overlap.b));
}

function linkConfidence(r: VerifyResult, minInliers: number): number {
  if (r.verdict === 'identical') return 1;
  if (r.inliers === 0) return G.HASH_LINK_CONFIDENCE;
  const full = G.LINK_FULL_AT_MIN_INLIERS_TIMES * minInliers;
  return Math.min(1, 0.5 + (0.5 * (r.inliers - minInliers)) / (full - minInliers));
}

function checkIds(imageIds: unknown, maxIds: number): string[] {
  if (!Array.isArray(imageIds)) throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, 'imageIds must be an array');
  const ids = [...new Set(imageIds as string[])];
  if (ids.length > maxIds) {
    throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `provenanceGraph takes at most ${maxIds} image IDs (got ${ids.length})`, { details: { maxIds } });
  }
  return ids;
}

/**
 * The provenance graph of `imageIds` (duplicates analysed once). Throws
 * INVALID_ARGUMENT when imageIds is not an array, has more than `maxIds`
 * distinct IDs, or an option is out of range.
 */
export async function provenanceGraph(deps: ProvenanceGraphDeps, imageIds: string[], options: ProvenanceGraphOptions = {}): Promise<ProvenanceGraph> {
  const started = performance.now();
  const ids = checkIds(imageIds, options.maxIds ?? PROVENANCE_GRAPH_DEFAULTS.maxIds);
  const how = options.skeleton ?? 'shared-area';
  if (how !== 'shared-area' && how !== 'inliers') {
    throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `provenanceGraph option skeleton must be 'shared-area' or 'inliers'`, { details: { option: 'skeleton' } });
  }
  const { cacheTtlSeconds: _ttl, ...verifyOpts } = options.verify ?? {};
  const minInliers = verifyOpts.minInliers ?? T.MIN_INLIERS;

  const records = ids.length > 0 ? await deps.read(ids) : [];
  const byId = new Map<string, FeatureRecord>();
  const present: Array<{ id: string; features: Features }> = [];
  ids.forEach((id, i) => {
    const rec = records[i];
    if (!rec) return;
    byId.set(id, rec);
    present.push({ id, features: rec.features });
  });
  const ctx: PairCacheContext = { ...deps.pairs, peekMany: (pair) => Promise.resolve(pair.map((id) => byId.get(id) ?? null)) };

  // 1-2. candidates, verified through the pair cache
  const candidates = await proposeCandidates(present.map((p) => candidateInputOf(p.features)), options);
  const related: Verified[] = [];
  const relatedKeys = new Set<number>();
  const n = present.length;
  let verified = 0;
  for (const c of candidates) {
    options.signal?.throwIfAborted();
    let result: VerifyResult;
    try {
      result = await verifyPair(ctx, present[c.a]!.id, present[c.b]!.id, options.verify);
    } catch (err) {
      if (isFeatureCacheError(err, ErrorCodes.INVALID_FEATURES)) continue; // nothing verifiable in a record: no edge
      throw err;
    }
    verified++;
    if (verified % PROVENANCE_GRAPH_DEFAULTS.verifyBatch === 0) await yieldToLoop();
    if (result.verdict === 'unrelated') continue;
    related.push({ a: c.a, b: c.b, result });
    relatedKeys.add(c.a * n + c.b);
  }

  // 3. the skeleton
  const tree = maximumSpanningForest(n, related.map((v) => ({ ...v, weight: skeletonWeight(v.result, how) })));

  // 4. geometry, composites, directions
  const geometry = new Map<Verified, PairGeometry | null>();
  for (const e of tree) {
    geometry.set(e, e.result.inliers >= minInliers && e.result.verdict !== 'identical' ? pairGeometry(present[e.a]!.features, present[e.b]!.features, verifyOpts) : null);
  }
  const neighbours: number[][] = Array.from({ length: n }, () => []);
  const edgeOf = new Map<number, (typeof tree)[number]>();
  for (const e of tree) {
    neighbours[e.a]!.push(e.b);
    neighbours[e.b]!.push(e.a);
    edgeOf.set(e.a * n + e.b, e);
  }
  const pairOf = (x: number, y: number) => edgeOf.get(Math.min(x, y) * n + Math.max(x, y));
  const composites = findComposites({
    neighbours,
    sharesRegion: (x, y) => pairOf(x, y)?.result.reasons.includes(REASON.sharesRegion) ?? false,
    related: (x, y) => relatedKeys.has(Math.min(x, y) * n + Math.max(x, y)),
    inliersIn: (x, y) => {
      const e = pairOf(x, y);
      const g = e ? geometry.get(e) : null;
      if (!e || !g) return null;
      return e.a === x ? g.inliersA : g.inliersB;
    },
    keypointsOf: (x) => readOrb(present[x]!.features.orb, 'orb')?.keypoints ?? null,
  });
  const partsOf = new Map(composites.map((c) => [c.node, c.parts]));
  const otherParts = (composite: number, part: number): string[] | null => {
    const parts = partsOf.get(composite);
    return parts?.includes(part) ? parts.filter((p) => p !== part).map((p) => present[p]!.id) : null;
  };

  const edges = tree
    .map((e) => {
      const d = decideDirection({
        a: present[e.a]!.id,
        b: present[e.b]!.id,
        result: e.result,
        geometry: geometry.get(e) ?? null,
        aPartOfB: otherParts(e.b, e.a),
        bPartOfA: otherParts(e.a, e.b),
      });
      const link = linkConfidence(e.result, minInliers);
      return {
        order: d.from === present[e.a]!.id ? [e.a, e.b] : [e.b, e.a],
        edge: { from: d.from, to: d.to, directed: d.directed, confidence: round3(d.directed ? link * d.confidence : link), inliers: e.result.inliers, reasons: d.reasons },
      };
    })
    .sort((x, y) => x.order[0]! - y.order[0]! || x.order[1]! - y.order[1]!)
    .map((x) => x.edge);

  return {
    nodes: ids.map((id) => (byId.has(id) ? { imageId: id } : { imageId: id, missing: true as const })),
    edges,
    composites: composites.map((c) => c.node).sort((x, y) => x - y).map((i) => present[i]!.id),
    stats: { images: ids.length, candidates: candidates.length, verified, ms: Math.round(performance.now() - started) },
  };
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
