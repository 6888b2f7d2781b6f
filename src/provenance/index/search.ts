/**
 * searchProvenance: where does this image come from? The query's descriptors
 * (and, with the image at hand, its mirror image's) vote in the provenance
 * index; the top candidates are verified geometrically (verifyFeatures, the
 * candidate as A and the query as B, their records read in one batch); then the
 * two-tier step: the keypoints the verified hosts do not explain vote again,
 * so that the small donors of a composite (a pasted patch, the other half of a
 * splice) are found too. docs/PROVENANCE.md, "Provenance II".
 */
import { ErrorCodes, FeatureCacheError } from '../../errors.js';
import type { FeatureRecord, Features } from '../../types.js';
import { parseArgs } from '../../search/options.js';
import { readOrb, type OrbFeatures } from '../orb-input.js';
import { matchForward, matchMirrored } from '../geometric.js';
import { hashEvidence } from '../hash-evidence.js';
import { invert, type Homography } from '../homography.js';
import * as T from '../thresholds.js';
import { verifyDetailed } from '../verify.js';
import { occludedRegion, regionOrb } from './donor-region.js';
import { ExplainedPoints } from './explained.js';
import { provenanceSearchOptionsSchema } from './options.js';
import type { ProvenanceIndex } from './provenance-index.js';
import { queryTerms } from './terms.js';
import { queryThumb, withTexturePoor, type TierCandidate } from './texture-hook.js';
import type { ProvenanceCandidate, ProvenanceQuery, ProvenanceSearchOptions, ProvenanceSearchResult } from './types.js';
import type { Tally } from './vote.js';


export interface SearchDeps {
  index: ProvenanceIndex;
  peekMany(ids: string[]): Promise<Array<FeatureRecord | null>>;
  /** The features verification reads, and the mirror image's ORB. */
  extract(image: Buffer): Promise<{ features: Features; mirrored: OrbFeatures }>;
}

interface Query {
  features: Features;
  /** Null for a query without keypoints (a smooth image): only the texture-poor tier searches it. */
  orb: OrbFeatures | null;
  mirrored: OrbFeatures | null;
  /** The query image's own ID (left out of the answer). */
  selfId: string | null;
  /** The query image, when at hand (the donor tier's region pass, donor-region.ts). */
  image: Buffer | null;
}

/** A candidate (texture-hook.ts: its fields; `score`: the votes weighted by rarity, vote.ts, the order of the unverified). */
interface Found extends TierCandidate {
  /** Inlier positions in the query (x, y pairs), when verified related by geometry. */
  explained?: number[];
  /** The candidate's ORB and the query -> candidate homography, when verified related by geometry. */
  view?: { orb: OrbFeatures; inverse: Homography };
  /** Whether its inliers fill the query's frame (FRAME_HELD_GRID), or it is the identical file: set when verified. */
  holdsFrame?: boolean;
  /** Among the donor tier's first `verify` candidates (its shortlist: ranked before unverified hosts once a host is related). */
  shortlisted?: boolean;
}

/**
 * When none of the first `verify` hosts is related, this many times `verify`
 * more are verified. Measured (docs/PROVENANCE.md): a 10° rotation's source
 * ranked 24th at 20,000 images, and verified with 180 inliers.
 */
export const VERIFY_MORE_FACTOR = 2;

/**
 * Hosts are verified in rounds of this many, in rank order; after each round
 * the search may stop (a clear winner; in the verify-more round, the first
 * related host). One batch read per round.
 */
export const VERIFY_ROUND = 2;

/**
 * A verified related host is a clear winner when its score (rarity-weighted
 * votes) is at least this many times the next unverified candidate's: the rest
 * of the budget is not verified. Measured at 20,000 images (docs/PROVENANCE.md):
 * a true source scores 13.7 median, the best distractor 2.9 (7.0 at most).
 * Content of another source the winner does not explain is the donor tier's.
 */
export const CLEAR_WINNER_MARGIN = 3;

/**
 * The verify-more round screens its candidates first: the query's strongest
 * SCREEN_KEYPOINTS keypoints (ORB lists the strongest first) matched against
 * the candidate, forward and mirrored; only a candidate with at least
 * SCREEN_MIN_INLIERS inliers there (or a file or pHash match) is verified in
 * full. A screen costs about SCREEN_KEYPOINTS / 430 of a verification; a
 * source found by the full match keeps about that share of its inliers (the
 * 10° rotation ranked 24th at 20,000 images: 180 of 430), an unrelated
 * image's RANSAC rarely reaches 8 by chance.
 */
export const SCREEN_KEYPOINTS = 160;
export const SCREEN_MIN_INLIERS = 8;
/**
 * The donor tier screens its candidates with the query keypoints no host
 * explains (all of a donor's) when they are at most this share of the query's.
 */
export const DONOR_SCREEN_SHARE = 0.5;

/**
 * A textured query skips the texture-poor tier when one candidate verified
 * related by geometry holds inliers in every cell of a FRAME_HELD_GRID x
 * FRAME_HELD_GRID grid over the query's frame (at least FRAME_HELD_INLIERS in
 * each), or is the identical file. What the tier can find for a textured query
 * is a texture-poor image of the same frame, region by region (the smooth half
 * of a splice, the smooth host of an overlay): the query's part that comes from
 * it holds no inliers of another source, so some cell is empty. Crops, mirrors,
 * rotations, rescales and re-encodings of a found textured source fill the grid.
 * Not verification's `overlap` (the share of the query that the candidate's
 * projected frame covers): a splice keeps each half at its place, so the
 * textured half's source covers the whole query (measured on Waves' splice).
 * docs/PROVENANCE.md, "recall" (late-night session).
 */
export const FRAME_HELD_GRID = 3;
export const FRAME_HELD_INLIERS = 2;

/**
 * How verification is scheduled. `staged` (the default): hosts in rounds,
 * stopping at a clear winner and, in the verify-more round, at the first
 * related host; hosts left unverified may come back as donors. `staged: false`
 * is the one-batch schedule it replaced, kept for the scale bench's same-run
 * A/B only (not a public option).
 */
export interface VerifySchedule {
  staged: boolean;
  /**
   * Whether a textured query whose frame a verified candidate holds skips the
   * texture-poor tier (FRAME_HELD_GRID), and the tier verifies for a textured
   * query only registered images near by signature (texture-tier.ts,
   * SAME_FRAME_MAX_DISTANCE); `false` runs the tier on every query with its 8
   * nearest (the A/B baseline, not a public option).
   */
  tierGate: boolean;
  /**
   * The donor tier's region pass and donor-first order of the unverified (`donorRegion`, the default); false
   * for the donors bench's same-run A/B only.
   */
  donorRegion?: boolean;
}
export const DEFAULT_VERIFY_SCHEDULE: Readonly<VerifySchedule> = Object.freeze({ staged: true, tierGate: true, donorRegion: true });

const now = () => performance.now();
const ms = (t: number) => Math.round((now() - t) * 100) / 100;

export async function searchProvenance(
  deps: SearchDeps,
  query: ProvenanceQuery,
  options: ProvenanceSearchOptions = {},
  schedule: Readonly<VerifySchedule> = DEFAULT_VERIFY_SCHEDULE,
): Promise<ProvenanceSearchResult> {
  const t0 = now();
  const o = parseArgs(provenanceSearchOptionsSchema, options ?? {}, 'provenance search option');
  const { maxLimit, minVotes } = deps.index.options;
  if (o.limit > maxLimit) {
    throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `limit ${o.limit} is above the maximum ${maxLimit}`, { details: { maxLimit } });
  }
  const verifyCount = o.verify === false ? 0 : Math.min(o.verify ?? o.limit, maxLimit);
  const timings: ProvenanceSearchResult['timings_ms'] = { index: 0, verify: 0, total: 0 };

  const tq = now();
  const q = await resolveQuery(deps, query);
  if ('image' in query && !('features' in query)) timings.extract = ms(tq);

  // tier 1: hosts
  const ti = now();
  const selfNum = q.selfId === null ? null : ((await deps.index.numbersOf([q.selfId]))[0] ?? null);
  const exclude = new Set<number>(selfNum === null ? [] : [selfNum]);
  const votes = q.orb ? await deps.index.vote(queryTerms(q.orb.descriptors).terms, q.mirrored ? queryTerms(q.mirrored.descriptors).terms : null, exclude) : new Map<number, Tally>();
  const hosts = await topLive(deps.index, votes, o.limit, minVotes, q.selfId, 'host');
  timings.index = ms(ti);
  const tv = now();
  if (schedule.staged) await verifyHostsStaged(deps, q, hosts, verifyCount);
  else await verifyHostsAtOnce(deps, q, hosts, verifyCount);
  timings.verify = ms(tv);

  // tier 2: donors, with the keypoints the verified hosts do not explain
  let donors: Found[] = [];
  const explained = new ExplainedPoints();
  for (const h of hosts) if (h.explained) explained.add(h.explained);
  if (schedule.staged) for (const h of hosts) if (h.view) explained.addHost(h.view.orb, h.view.inverse);
  if (o.donors && explained.size > 0 && q.orb) {
    const orb = q.orb;
    const td = now();
    // verified hosts do not vote again; an unverified one may (the other half of a splice
    // below a clear winner), and is then verified as a donor
    for (const h of hosts) if (!schedule.staged || h.verdict !== undefined) exclude.add(h.num);
    const keepForward = (k: number) => !explained.explains(orb.keypoints[2 * k]!, orb.keypoints[2 * k + 1]!, orb.descriptors, k);
    const mirrored = q.mirrored;
    const keepMirrored = mirrored ? (k: number) => !explained.explains(mirrored.width - 1 - mirrored.keypoints[2 * k]!, mirrored.keypoints[2 * k + 1]!, mirrored.descriptors, k) : null;
    const forwardTerms = queryTerms(orb.descriptors, keepForward).terms;
    const mirroredTerms = mirrored && keepMirrored ? queryTerms(mirrored.descriptors, keepMirrored).terms : null;
    if (forwardTerms.length > 0 || (mirroredTerms?.length ?? 0) > 0) {
      const dv = await deps.index.vote(forwardTerms, mirroredTerms, exclude);
      donors = (await topLive(deps.index, dv, o.limit, minVotes, q.selfId, 'donor')).filter((d) => !hosts.some((h) => h.imageId === d.imageId && h.verdict !== undefined));
      // the donor candidates are screened with the unexplained keypoints (where a donor's lie) when they are few
      const unexplained = { forward: subset(orb, keepForward), mirrored: mirrored && keepMirrored ? subset(mirrored, keepMirrored) : null };
      const few = unexplained.forward.descriptors.length <= DONOR_SCREEN_SHARE * orb.descriptors.length;
      for (const d of donors.slice(0, verifyCount)) d.shortlisted = true;
      await verifyAll(deps, q, donors.slice(0, verifyCount), schedule.staged && few ? unexplained : null);
    }
    if (schedule.donorRegion !== false && q.image && !donors.some(isRelated)) {
      donors = await regionDonors(deps, q, orb, explainedKeypoints(orb, keepForward), hosts, donors, exclude, o.limit, verifyCount, minVotes);
    }
    timings.donors = ms(td);
  }

  // tier 3: texture-poor sources, by appearance (texture-tier.ts)
  const donorsFirst = schedule.donorRegion !== false && hosts.some(isRelated);
  const candidates = merge(hosts, donors, donorsFirst);
  const found = o.texturePoor ? await texturePoorTier(deps, q, candidates, timings, schedule) : candidates;
  timings.total = ms(t0);
  return { candidates: rank(found, donorsFirst).map(toCandidate), timings_ms: timings };
}

/** Positions (x, y pairs) of the query keypoints the verified hosts explain. */
function explainedKeypoints(orb: OrbFeatures, unexplained: (k: number) => boolean): number[] {
  const out: number[] = [];
  for (let k = 0; 32 * k < orb.descriptors.length; k++) if (!unexplained(k)) out.push(orb.keypoints[2 * k]!, orb.keypoints[2 * k + 1]!);
  return out;
}

/**
 * The donor tier's region pass (donor-region.ts), when the query image is at hand and the donor
 * tier found no related donor: the region no host shows is cut out and extracted again (a faint
 * patch gets its keypoints from the extractor's CLAHE pass, as its source did), those keypoints
 * vote (the verified hosts and donors excluded), and the best `verifyCount` are screened with them
 * and verified against them. Related ones join the donors (an unverified donor entry of the same
 * image gives way); the others are left out.
 */
async function regionDonors(
  deps: SearchDeps,
  q: Query,
  orb: OrbFeatures,
  explained: number[],
  hosts: Found[],
  donors: Found[],
  exclude: Set<number>,
  limit: number,
  verifyCount: number,
  minVotes: number,
): Promise<Found[]> {
  const views = hosts.flatMap((h) => (h.view ? [h.view] : []));
  const box = q.image && views.length > 0 ? occludedRegion(orb, explained, views) : null;
  if (!box || !q.image) return donors;
  const region = await regionOrb(q.image, orb.width, box);
  if (region.descriptors.length === 0) return donors;
  const skip = new Set(exclude);
  for (const d of donors) if (d.verdict !== undefined) skip.add(d.num);
  const votes = await deps.index.vote(queryTerms(region.descriptors).terms, null, skip);
  const found = (await topLive(deps.index, votes, Math.min(limit, verifyCount), minVotes, q.selfId, 'donor')).filter((f) => !hosts.some((h) => h.imageId === f.imageId && h.verdict !== undefined));
  const regionQuery: Query = { features: { orb: region }, orb: region, mirrored: null, selfId: q.selfId, image: null };
  await verifyAll(deps, regionQuery, found, { forward: strongest(region, SCREEN_KEYPOINTS), mirrored: null });
  const related = found.filter(isRelated);
  for (const f of related) delete f.view; // keypoints of the cut-out, not of the query
  for (const f of related) delete f.explained;
  const relatedIds = new Set(related.map((f) => f.imageId));
  return [...related, ...donors.filter((d) => !relatedIds.has(d.imageId))];
}

/** The one-batch schedule (the A/B baseline): the first `verifyCount`, then 2 x as many more when none is related. */
async function verifyHostsAtOnce(deps: SearchDeps, q: Query, hosts: Found[], verifyCount: number): Promise<void> {
  await verifyAll(deps, q, hosts.slice(0, verifyCount));
  if (verifyCount > 0 && !hosts.slice(0, verifyCount).some(isRelated)) {
    await verifyAll(deps, q, hosts.slice(verifyCount, (1 + VERIFY_MORE_FACTOR) * verifyCount));
  }
}

/**
 * Hosts in rank order, VERIFY_ROUND at a time: within the first `verifyCount`,
 * stop once a related host is a clear winner (CLEAR_WINNER_MARGIN); when none
 * of them is related, go on up to (1 + VERIFY_MORE_FACTOR) x `verifyCount`
 * (a source sharing few rare chunks may rank just below the budget) and stop
 * at the round that finds the first related host.
 */
async function verifyHostsStaged(deps: SearchDeps, q: Query, hosts: Found[], verifyCount: number): Promise<void> {
  const orb = q.orb;
  if (!orb) return; // no keypoints, no hosts
  const last = Math.min(hosts.length, (1 + VERIFY_MORE_FACTOR) * verifyCount);
  let best: Found | null = null;
  for (let at = 0; at < last; ) {
    if (best && (at >= verifyCount || clearWinner(best, hosts[at]))) return;
    const end = Math.min(at + VERIFY_ROUND, at < verifyCount ? verifyCount : last);
    const round = hosts.slice(at, end);
    await verifyAll(deps, q, round, at >= verifyCount ? { forward: strongest(orb, SCREEN_KEYPOINTS), mirrored: q.mirrored && strongest(q.mirrored, SCREEN_KEYPOINTS) } : null);
    for (const h of round) if (isRelated(h) && (!best || h.score > best.score)) best = h;
    at = end;
  }
}

/**
 * The texture-poor tier (texture-hook.ts), gated (`schedule.tierGate`): skipped
 * for a textured query whose frame a verified candidate holds (frameHeld), and
 * bounded to near signatures for the other textured queries.
 */
async function texturePoorTier(deps: SearchDeps, q: Query, candidates: Found[], timings: ProvenanceSearchResult['timings_ms'], schedule: Readonly<VerifySchedule>): Promise<TierCandidate[]> {
  if (schedule.tierGate && frameHeld(q, candidates)) return candidates;
  return withTexturePoor(deps.index.texture, (ids) => deps.peekMany(ids), q, candidates, timings, schedule.tierGate ? undefined : null);
}

/**
 * Whether the texture-poor tier has nothing left to find for this query: it is
 * textured (MIN_TEXTURE_KEYPOINTS keypoints or more) and a verified related
 * candidate holds its frame (FRAME_HELD_GRID).
 */
function frameHeld(q: Query, found: readonly Found[]): boolean {
  if (!q.orb || q.orb.descriptors.length < 32 * T.MIN_TEXTURE_KEYPOINTS) return false;
  return found.some((f) => isRelated(f) && f.holdsFrame === true);
}

/** Whether every cell of a FRAME_HELD_GRID grid over `frame` holds FRAME_HELD_INLIERS of `points` (x, y pairs). */
export function fillsGrid(points: ArrayLike<number>, frame: { width: number; height: number }): boolean {
  const n = FRAME_HELD_GRID;
  const counts = new Array<number>(n * n).fill(0);
  for (let i = 0; i + 1 < points.length; i += 2) {
    const cx = Math.min(n - 1, Math.max(0, Math.floor((points[i]! / frame.width) * n)));
    const cy = Math.min(n - 1, Math.max(0, Math.floor((points[i + 1]! / frame.height) * n)));
    counts[cy * n + cx]!++;
  }
  return counts.every((c) => c >= FRAME_HELD_INLIERS);
}

/** Query keypoints a screen matches (forward and of the mirror image). */
interface Screen {
  forward: OrbFeatures;
  mirrored: OrbFeatures | null;
}

/**
 * Whether a candidate is worth a full verification: the same file or a near
 * pHash (verification's hash verdicts), no readable ORB (verification decides),
 * or SCREEN_MIN_INLIERS inliers between it and the screen's keypoints.
 */
function passesScreen(candidate: Features, q: Query, screen: Screen): boolean {
  const hashes = hashEvidence(candidate, q.features);
  const distance = Math.min(hashes.phashDistance ?? Infinity, hashes.orientation?.distance ?? Infinity);
  if (hashes.identicalFile || distance <= T.MAX_HASH_DISTANCE) return true;
  let orb: OrbFeatures | null;
  try {
    orb = readOrb(candidate['orb']);
  } catch {
    return true;
  }
  if (!orb) return true;
  const params = { ratio: T.RATIO, thresholdPx: T.RANSAC_THRESHOLD_PX, minInliers: SCREEN_MIN_INLIERS, maxIterations: T.RANSAC_MAX_ITERATIONS, seed: T.RANSAC_SEED };
  if (screen.forward.descriptors.length >= 64 && matchForward(orb, screen.forward, params).inliersA.length >= SCREEN_MIN_INLIERS) return true;
  return screen.mirrored !== null && screen.mirrored.descriptors.length >= 64 && matchMirrored(orb, screen.mirrored, params).inliersA.length >= SCREEN_MIN_INLIERS;
}

/** The keypoints of `orb` that `keep` keeps. */
function subset(orb: OrbFeatures, keep: (k: number) => boolean): OrbFeatures {
  const kept: number[] = [];
  for (let k = 0; 32 * k < orb.descriptors.length; k++) if (keep(k)) kept.push(k);
  const keypoints = new Uint16Array(2 * kept.length);
  const descriptors = new Uint8Array(32 * kept.length);
  kept.forEach((k, i) => {
    keypoints[2 * i] = orb.keypoints[2 * k]!;
    keypoints[2 * i + 1] = orb.keypoints[2 * k + 1]!;
    descriptors.set(orb.descriptors.subarray(32 * k, 32 * k + 32), 32 * i);
  });
  return { ...orb, keypoints, descriptors };
}

/** The first `n` keypoints (ORB's strongest) of `orb`. */
function strongest(orb: OrbFeatures, n: number): OrbFeatures {
  return { ...orb, keypoints: orb.keypoints.subarray(0, 2 * n), descriptors: orb.descriptors.subarray(0, 32 * n) };
}

/** A related host whose score is CLEAR_WINNER_MARGIN times the next candidate's (none left: clear). */
function clearWinner(best: Found, next: Found | undefined): boolean {
  return next === undefined || best.score >= CLEAR_WINNER_MARGIN * next.score;
}

/**
 * Hosts and donors, each image once: a host left unverified gives way to its verified donor entry
 * (with `preferDonors`, to its shortlisted one too: the unexplained keypoints voted for it, and the
 * shortlist ranks first).
 */
function merge(hosts: Found[], donors: Found[], preferDonors = false): Found[] {
  const verifiedDonors = new Set(donors.filter((d) => (preferDonors && d.shortlisted === true) || d.verdict !== undefined).map((d) => d.imageId));
  const keptHosts = hosts.filter((h) => h.verdict !== undefined || !verifiedDonors.has(h.imageId));
  const hostIds = new Set(keptHosts.map((h) => h.imageId));
  return [...keptHosts, ...donors.filter((d) => !hostIds.has(d.imageId))];
}

async function resolveQuery(deps: SearchDeps, query: ProvenanceQuery): Promise<Query> {
  if (query === null || typeof query !== 'object') throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, 'query must be { imageId } or { image }');
  if ('imageId' in query) {
    if (typeof query.imageId !== 'string' || query.imageId.length === 0) throw new FeatureCacheError(ErrorCodes.INVALID_IMAGE_ID, 'imageId must be a non-empty string');
    const [record] = await deps.peekMany([query.imageId]);
    if (!record) {
      throw new FeatureCacheError(ErrorCodes.NOT_FOUND, `no cached record for image ${JSON.stringify(query.imageId)}`, {
        details: { reason: 'unknown_image', imageId: query.imageId },
      });
    }
    return { ...withOrb(record.features, `image ${JSON.stringify(query.imageId)}`), mirrored: null, selfId: query.imageId, image: null };
  }
  if ('features' in query) {
    const mirrored = query.mirrored ? readOrb(query.mirrored, 'mirrored') : null;
    const image = query.image !== undefined && Buffer.isBuffer(query.image) ? query.image : null;
    return { ...withOrb(query.features, 'the query'), mirrored, selfId: null, image };
  }
  if ('image' in query) {
    if (!Buffer.isBuffer(query.image) && !((query.image as unknown) instanceof Uint8Array)) {
      throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, 'image must be a Buffer');
    }
    const { features, mirrored } = await deps.extract(Buffer.from(query.image));
    return { ...withOrb(features, 'the query image'), mirrored, selfId: null, image: Buffer.from(query.image) };
  }
  throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, 'query must be { imageId } or { image }');
}

/** The query's ORB (null without keypoints when it has a thumbnail: the texture-poor tier searches it); INVALID_ARGUMENT with neither. */
function withOrb(features: Features, what: string): { features: Features; orb: OrbFeatures | null } {
  const orb = readOrb(features['orb']);
  if (orb && orb.descriptors.length > 0) return { features, orb };
  if (queryThumb(features)) return { features, orb: null };
  throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `${what} has neither ORB keypoints nor a \`thumb\` (extract \`orb\` and \`thumb\`; a smooth image has no keypoints, only its thumbnail)`, {
    details: { reason: 'no_orb' },
  });
}

/** The `limit` best-voted live images (stale numbers and removed records skipped), best first. */
async function topLive(index: ProvenanceIndex, votes: Map<number, Tally>, limit: number, minVotes: number, selfId: string | null, tier: Found['tier']): Promise<Found[]> {
  const ranked = [...votes].filter(([, v]) => v.votes >= minVotes).sort((a, b) => b[1].score - a[1].score || a[0] - b[0]);
  const out: Found[] = [];
  for (let i = 0; i < ranked.length && out.length < limit; ) {
    const batch = ranked.slice(i, i + Math.max(2 * (limit - out.length), 16));
    i += batch.length;
    const ids = await index.liveIds(batch.map(([num]) => num));
    batch.forEach(([num, v], k) => {
      const imageId = ids[k];
      if (imageId && imageId !== selfId && out.length < limit) out.push({ num, imageId, votes: v.votes, score: v.score, tier });
    });
  }
  return out;
}

/** Verifies candidates against the query (their records in one batch read); with a screen, only those that pass it (passesScreen). */
async function verifyAll(deps: SearchDeps, q: Query, list: Found[], screen: Screen | null = null): Promise<void> {
  if (list.length === 0) return;
  const records = await deps.peekMany(list.map((f) => f.imageId));
  list.forEach((f, k) => {
    const r = records[k];
    if (!r) return; // removed since the vote
    if (screen && !passesScreen(r.features, q, screen)) return; // left unverified
    let v: ReturnType<typeof verifyDetailed>;
    try {
      v = verifyDetailed(r.features, q.features, q.mirrored ? { mirroredB: q.mirrored } : {});
    } catch (err) {
      if (err instanceof FeatureCacheError && err.code === ErrorCodes.INVALID_FEATURES) return; // a record verification cannot read
      throw err;
    }
    f.verdict = v.result.verdict;
    f.inliers = v.result.inliers;
    f.reasons = v.result.reasons;
    f.holdsFrame = v.result.verdict === 'identical' || (v.geometry !== null && v.result.verdict !== 'unrelated' && fillsGrid(v.geometry.inliersB, v.geometry.frameB));
    if (v.geometry && v.result.verdict !== 'unrelated') {
      f.explained = v.geometry.inliersB;
      const orb = readOrb(r.features['orb']);
      const inverse = invert(v.geometry.h);
      if (orb && inverse) f.view = { orb, inverse };
    }
  });
}

/**
 * Related (verified) first by inliers, then the rest by score (rarity-weighted votes); with
 * `donorsFirst` (a related host was found) the donor tier's shortlist (its first `verify`) before
 * the others: voted with the keypoints no host explains, the hosts' with what the host explains.
 */
function rank(list: Found[], donorsFirst = false): Found[] {
  return list.sort((a, b) => {
    const ra = isRelated(a);
    const rb = isRelated(b);
    if (ra !== rb) return ra ? -1 : 1;
    if (ra && rb && strength(b) !== strength(a)) return strength(b) - strength(a);
    const sa = donorsFirst && a.shortlisted === true;
    const sb = donorsFirst && b.shortlisted === true;
    if (!ra && !rb && sa !== sb) return sa ? -1 : 1;
    return b.score - a.score;
  });
}

/** Verified, and not unrelated. */
function isRelated(f: Found): boolean {
  return f.verdict !== undefined && f.verdict !== 'unrelated';
}

/** Verified evidence: inliers, an identical file above all. */
function strength(f: Found): number {
  return f.verdict === 'identical' ? Number.MAX_SAFE_INTEGER : (f.inliers ?? 0);
}

function toCandidate(f: Found): ProvenanceCandidate {
  return {
    imageId: f.imageId,
    votes: f.votes,
    tier: f.tier,
    ...(f.verdict === undefined ? {} : { verdict: f.verdict, inliers: f.inliers ?? 0, reasons: f.reasons ?? [] }),
  };
}
