/**
 * Which image of a verified pair came first, from evidence that can be
 * measured on the cached features — or "direction unknown". Each kind of
 * evidence votes for one direction with a weight (graph-thresholds.ts):
 * - composite: an image made of two others (composites.ts) comes after them;
 * - coverage: a crop lies inside its source's frame while the source shows
 *   content beyond it (extent.ts); for a free rotation, blank corners around
 *   the other image are the padding the rotation added;
 * - resampling: a reduced copy (scale <= 0.8) has less detail than its source.
 * JPEG re-compression traces are not measured: a record keeps no quantisation
 * tables or DCT statistics (only the format), so there is nothing honest to read.
 * The signed weights are summed; below MIN_DIRECTION, or with nothing to go on,
 * the edge stays undirected with the reason why.
 */
import type { PairGeometry } from './pair-geometry.js';
import * as G from './graph-thresholds.js';
import { REASON, rotatedReason } from './reasons.js';
import * as T from './thresholds.js';
import type { VerifyResult } from './types.js';

export interface EdgeFacts {
  /** Image IDs in the order the pair was verified (the verdict's A and B). */
  a: string;
  b: string;
  result: VerifyResult;
  geometry: PairGeometry | null;
  /** When B is a composite that A is part of: the other parts (and the other way round). */
  aPartOfB: string[] | null;
  bPartOfA: string[] | null;
}

export interface Direction {
  from: string;
  to: string;
  directed: boolean;
  /** Confidence in the direction (0 when undirected). */
  confidence: number;
  reasons: string[];
}

interface Vote {
  /** +1: A -> B; -1: B -> A. */
  sign: 1 | -1;
  weight: number;
  reason: string;
}

const q = (id: string) => JSON.stringify(id);
const pct = (f: number) => `${Math.round(f * 100)}%`;
const list = (ids: string[]) => ids.map(q).join(' and ');

export const UNKNOWN = 'direction unknown';

function compositeVotes(f: EdgeFacts): Vote[] {
  const out: Vote[] = [];
  if (f.aPartOfB) out.push({ sign: 1, weight: G.WEIGHT.composite, reason: `${q(f.b)} combines content of ${list([f.a, ...f.aPartOfB])} (a composite)` });
  if (f.bPartOfA) out.push({ sign: -1, weight: G.WEIGHT.composite, reason: `${q(f.a)} combines content of ${list([f.b, ...f.bPartOfA])} (a composite)` });
  return out;
}

function coverageVotes(f: EdgeFacts, freeRotation: boolean): Vote[] {
  const g = f.geometry;
  if (!g) return [];
  const out: Vote[] = [];
  const overlap = f.result.overlap ?? { a: 1 - g.extentA.outsideFraction, b: 1 - g.extentB.outsideFraction };
  const sides = [
    { sign: 1 as const, src: f.a, dst: f.b, srcExt: g.extentA, dstExt: g.extentB, covered: overlap.a },
    { sign: -1 as const, src: f.b, dst: f.a, srcExt: g.extentB, dstExt: g.extentA, covered: overlap.b },
  ];
  for (const { sign, src, dst, srcExt, dstExt, covered } of sides) {
    const shown = pct(covered);
    if (dstExt.extent === 'inside' && srcExt.extent !== 'inside' && !freeRotation) {
      // a frame inside the other's: a crop (the source shows what was cut away, unless that part has no texture)
      const content = srcExt.extent === 'content';
      out.push({
        sign,
        weight: content ? G.WEIGHT.containedWithContent : G.WEIGHT.contained,
        reason: content
          ? `cropped: ${q(dst)} lies inside ${q(src)}, which shows content beyond it (${q(dst)} shows about ${shown} of it)`
          : `cropped: ${q(dst)} lies inside ${q(src)} (about ${shown} of it)`,
      });
    } else if (freeRotation && srcExt.extent === 'content' && (dstExt.extent === 'inside' || dstExt.extent === 'blank')) {
      out.push({ sign, weight: G.WEIGHT.containedWithContent, reason: `cropped: ${q(dst)} shows part of ${q(src)}, which shows content beyond it` });
    } else if (freeRotation && srcExt.extent === 'inside' && dstExt.extent === 'blank') {
      out.push({ sign, weight: G.WEIGHT.padding, reason: `${q(dst)} holds all of ${q(src)} turned, with blank corners (the padding a rotation adds)` });
    }
  }
  return out;
}

function scaleVotes(f: EdgeFacts): Vote[] {
  const s = f.result.transform?.scale;
  if (s === undefined || !(s > 0)) return [];
  if (s <= G.DOWNSCALE) return [{ sign: 1, weight: G.WEIGHT.downscale, reason: `resampled: ${q(f.b)} is a ${pct(s)} reduced copy of ${q(f.a)} (a reduced copy has less detail: it is the derived one)` }];
  if (s >= 1 / G.DOWNSCALE) return [{ sign: -1, weight: G.WEIGHT.downscale, reason: `resampled: ${q(f.a)} is a ${pct(1 / s)} reduced copy of ${q(f.b)} (a reduced copy has less detail: it is the derived one)` }];
  return [];
}

/** Why nothing could be measured, in plain words. */
function unknownWhy(f: EdgeFacts, shared: boolean): string {
  if (f.result.verdict === 'identical') return `${UNKNOWN}: identical files (either could be the copy)`;
  const g = f.geometry;
  if (shared) return `${UNKNOWN}: they share a region, but neither is shown to be made of the other`;
  if (g && g.extentA.extent === 'content' && g.extentB.extent === 'content') {
    return `${UNKNOWN}: each shows content the other lacks (both may come from a common source)`;
  }
  if (f.result.verdict === 'near_duplicate') {
    return `${UNKNOWN}: the same picture at about the same size (a recompressed, rotated or mirrored copy leaves no measurable order)`;
  }
  return `${UNKNOWN}: no measurable evidence of which came first`;
}

/** The verification's own reasons, told from `from` to `to` (the verdict was computed from A to B). */
function verificationReasons(f: EdgeFacts, forward: boolean): string[] {
  const out: string[] = [];
  const t = f.result.transform;
  for (const r of f.result.reasons) {
    if (r.startsWith('cropped: ') || r.startsWith('rotated ')) continue; // told by the coverage reasons / below
    out.push(r);
  }
  if (t && f.result.verdict !== 'identical') {
    // the inverse of "mirror, then rotate by r" is itself a mirror then a rotation by r
    const turned = rotatedReason(forward || t.mirrored ? t.rotation_deg : -t.rotation_deg);
    if (turned) out.push(turned);
  }
  return out;
}

export function decideDirection(f: EdgeFacts): Direction {
  const shared = f.result.reasons.includes(REASON.sharesRegion);
  const rotation = f.result.transform?.rotation_deg ?? 0;
  const freeRotation = Math.abs(rotation - Math.round(rotation / 90) * 90) > T.AXIS_TOLERANCE_DEG;
  const votes: Vote[] = f.result.verdict === 'identical' ? [] : [...compositeVotes(f), ...(shared ? [] : coverageVotes(f, freeRotation)), ...scaleVotes(f)];
  const score = votes.reduce((s, v) => s + v.sign * v.weight, 0);
  const directed = Math.abs(score) >= G.MIN_DIRECTION;
  const forward = !directed || score > 0;
  const reasons: string[] = [];
  if (directed) {
    const agreeing = votes.filter((v) => v.sign === (forward ? 1 : -1));
    const against = votes.filter((v) => v.sign !== (forward ? 1 : -1));
    reasons.push(...agreeing.map((v) => v.reason));
    if (against.length > 0) reasons.push(...against.map((v) => `outweighed: ${v.reason}`));
  } else if (votes.length > 0) {
    reasons.push(`${UNKNOWN}: the evidence conflicts`, ...votes.map((v) => v.reason));
  } else {
    reasons.push(unknownWhy(f, shared));
  }
  reasons.push(...verificationReasons(f, forward));
  return {
    from: forward ? f.a : f.b,
    to: forward ? f.b : f.a,
    directed,
    confidence: directed ? Math.min(G.MAX_DIRECTION_CONFIDENCE, Math.abs(score)) : 0,
    reasons,
  };
}
