/**
 * Candidate pairs for texture-poor images (analyzeSet's proposal stage): their
 * ORB descriptors give no votes, so without this their edits would never be
 * verified. Cheap, because texture-poor images are few:
 *
 * - a texture-poor image (ORB keypoints below MIN_TEXTURE_KEYPOINTS, with a
 *   `thumb`) against every image with a full thumbnail (few keypoints: its crops
 *   and rotations are among them) while there are at most
 *   APPEARANCE_ALL_PAIRS_MAX_IMAGES of those, else its APPEARANCE_NEIGHBOURS
 *   nearest by mean colour;
 * - a texture-poor image against every other image of the same frame shape
 *   (an overlay or a splice of it has keypoints in the pasted part only): its
 *   APPEARANCE_NEIGHBOURS nearest by mean same-frame distance;
 * - two images of the same frame shape that share a half at the same position
 *   (a splice or an overlay whose keypoints lie elsewhere: geometry gives them
 *   no votes; a texture-poor source whose splice is among more than 8 images
 *   nearer as whole frames): every pair's halves compared by a coarse signature
 *   (3 x 3 samples each), each image's SAME_FRAME_NEIGHBOURS nearest within
 *   SAME_FRAME_PROPOSE_MAX_DISTANCE checked with verification's own same-frame
 *   test (matchSameFrame), and only the pairs that pass it proposed.
 *
 * Verification (verifyFeatures, with its appearance stage) decides each pair.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Features } from '../types.js';
import { frameDistance, halfSignatures, matchSameFrame, sameShape, signatureDistance, toPlanes, type Planes } from './appearance.js';
import type { Candidate } from './candidates.js';
import { readOrb } from './orb-input.js';
import { readThumb } from './thumb-input.js';
import { isFullThumb } from '../features/thumb.js';
import * as T from './thresholds.js';

/** Texture-poor images up to which every pair of them is proposed. */
export const APPEARANCE_ALL_PAIRS_MAX_IMAGES = 64;
/** Appearance neighbours proposed per texture-poor image (by mean colour; by same-frame score). */
export const APPEARANCE_NEIGHBOURS = 8;
/** Samples per side of a half's signature (same-frame proposals of textured images). */
export const SAME_FRAME_SIGNATURE_GRID = 3;
/**
 * Largest signature distance of a shared half that is checked: of the bench's
 * 7,461 same-shape pairs of two textured images, the related ones that pass the
 * same-frame test lie at <= 15.4, and 309 pairs lie within 16 (docs/PROVENANCE.md).
 */
export const SAME_FRAME_PROPOSE_MAX_DISTANCE = 16;
/** Same-frame pairs checked per image (its nearest by signature), bounding the cost on sets of look-alike images. */
export const SAME_FRAME_NEIGHBOURS = 8;
/** Images whose signatures are computed, or whose pairs are compared, between two event-loop yields (~64,000 comparisons). */
const ROWS_PER_YIELD = 64;
/** Same-frame tests between two event-loop yields (~0.1 ms each on a quiet core). */
const CHECKS_PER_YIELD = 128;

interface Smooth {
  index: number;
  /** Texture-poor (not only a full thumbnail). */
  poor: boolean;
  planes: Planes;
  /** Mean Y, Cb, Cr of the thumbnail. */
  mean: [number, number, number];
}

function meanColour(p: Planes): [number, number, number] {
  const n = p.w * p.h;
  let y = 0;
  let cb = 0;
  let cr = 0;
  for (let i = 0; i < n; i++) {
    y += p.y[i]!;
    cb += p.cb[i]!;
    cr += p.cr[i]!;
  }
  return [y / n, cb / n, cr / n];
}

/** Thumbnail planes of a record, whether it is texture-poor and its thumbnail full; null without a usable thumb or orb. */
function readRecord(f: Features): { planes: Planes; poor: boolean; full: boolean } | null {
  try {
    const thumb = readThumb(f['thumb']);
    const orb = readOrb(f['orb']);
    if (!thumb || !orb) return null;
    return { planes: toPlanes(thumb), poor: orb.keypoints.length / 2 < T.MIN_TEXTURE_KEYPOINTS, full: isFullThumb(thumb) };
  } catch {
    return null; // malformed features: verification reports them
  }
}

/** The `k` smallest by score, as indexes. */
function nearest(scored: Array<[number, number]>, k: number): number[] {
  return scored.sort((x, y) => x[1] - y[1]).slice(0, k).map(([i]) => i);
}

/**
 * `candidates` plus the pairs texture-poor images need (no pair twice; a < b).
 * `features` are the records aligned with the candidates' indexes.
 */
export async function addAppearanceCandidates(candidates: Candidate[], features: readonly Features[]): Promise<Candidate[]> {
  const records = features.map(readRecord);
  const smooth: Smooth[] = [];
  records.forEach((r, index) => {
    if (r?.full) smooth.push({ index, poor: r.poor, planes: r.planes, mean: meanColour(r.planes) });
  });
  const poor = smooth.filter((p) => p.poor);
  const seen = new Set(candidates.map((c) => `${c.a},${c.b}`));
  const out = [...candidates];
  const add = (i: number, j: number) => {
    const [a, b] = i < j ? [i, j] : [j, i];
    const key = `${a},${b}`;
    if (a === b || seen.has(key)) return;
    seen.add(key);
    out.push({ a, b, votes: 0, hashDistance: null, orientation: null, identical: false });
  };
  for (const [i, j] of await sharedHalves(records)) add(i, j);
  const all = smooth.length <= APPEARANCE_ALL_PAIRS_MAX_IMAGES;
  for (const p of poor) {
    const colourNear = all
      ? smooth.map((q) => q.index)
      : nearest(
          smooth.filter((q) => q !== p).map((q) => [q.index, Math.abs(q.mean[0] - p.mean[0]) + Math.abs(q.mean[1] - p.mean[1]) + Math.abs(q.mean[2] - p.mean[2])]),
          APPEARANCE_NEIGHBOURS,
        );
    for (const j of colourNear) add(p.index, j);
    const frames: Array<[number, number]> = [];
    records.forEach((r, j) => {
      if (!r || r.full || !sameShape(p.planes, r.planes)) return;
      frames.push([j, frameDistance(p.planes, r.planes)]);
    });
    for (const j of nearest(frames, APPEARANCE_NEIGHBOURS)) add(p.index, j);
  }
  return out;
}

/**
 * Pairs of images with a thumbnail that pass verification's same-frame test
 * (which decides such a pair whether its images are textured or not): each
 * image's SAME_FRAME_NEIGHBOURS nearest by half signature, within
 * SAME_FRAME_PROPOSE_MAX_DISTANCE, checked. n²/2 signature comparisons
 * (4 halves x 27 values), yielding to the event loop.
 */
async function sharedHalves(records: ReadonlyArray<ReturnType<typeof readRecord>>): Promise<Array<[number, number]>> {
  const framed: Array<{ index: number; planes: Planes; halves: ReturnType<typeof halfSignatures> }> = [];
  for (const [index, r] of records.entries()) {
    if (!r) continue;
    framed.push({ index, planes: r.planes, halves: halfSignatures(r.planes, SAME_FRAME_SIGNATURE_GRID) });
    if (framed.length % ROWS_PER_YIELD === 0) await yieldToLoop();
  }
  const near: Array<Array<[number, number]>> = framed.map(() => []);
  for (let x = 0; x < framed.length; x++) {
    const p = framed[x]!;
    for (let y = x + 1; y < framed.length; y++) {
      const q = framed[y]!;
      if (!sameShape(p.planes, q.planes)) continue;
      let best = Infinity;
      for (let h = 0; h < p.halves.length; h++) {
        const hp = p.halves[h]!;
        const hq = q.halves[h]!;
        // a flat half on both sides proves nothing (the same-frame test rejects it too)
        if (hp.spread < T.APPEARANCE_MIN_SPREAD && hq.spread < T.APPEARANCE_MIN_SPREAD) continue;
        best = Math.min(best, signatureDistance(hp.values, hq.values));
      }
      if (best > SAME_FRAME_PROPOSE_MAX_DISTANCE) continue;
      near[x]!.push([y, best]);
      near[y]!.push([x, best]);
    }
    if (x % ROWS_PER_YIELD === ROWS_PER_YIELD - 1) await yieldToLoop();
  }
  const checked = new Set<string>();
  const pairs: Array<[number, number]> = [];
  for (let x = 0; x < framed.length; x++) {
    for (const y of nearest(near[x]!, SAME_FRAME_NEIGHBOURS)) {
      const [lo, hi] = x < y ? [x, y] : [y, x];
      const key = `${lo},${hi}`;
      if (checked.has(key)) continue;
      checked.add(key);
      if (matchSameFrame(framed[lo]!.planes, framed[hi]!.planes)) pairs.push([framed[lo]!.index, framed[hi]!.index]);
      if (checked.size % CHECKS_PER_YIELD === 0) await yieldToLoop();
    }
  }
  return pairs;
}
