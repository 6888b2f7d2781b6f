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
import { verifyDetailed } from '../verify.js';
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
}

/** A candidate (texture-hook.ts: its fields; `score`: the votes weighted by rarity, vote.ts, the order of the unverified). */
interface Found extends TierCandidate {
  /** Inlier positions in the query (x, y pairs), when verified related by geometry. */
  explained?: number[];
}

/**
 * When none of the first `verify` hosts is related, this many times `verify`
 * more are verified. Measured (docs/PROVENANCE.md): a 10° rotation's source
 * ranked 24th at 20,000 images, and verified with 180 inliers.
 */
export const VERIFY_MORE_FACTOR = 2;

const now = () => performance.now();
const ms = (t: number) => Math.round((now() - t) * 100) / 100;

export async function searchProvenance(deps: SearchDeps, query: ProvenanceQuery, options: ProvenanceSearchOptions = {}): Promise<ProvenanceSearchResult> {
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
  if ('image' in query) timings.extract = ms(tq);

  // tier 1: hosts
  const ti = now();
  const selfNum = q.selfId === null ? null : ((await deps.index.numbersOf([q.selfId]))[0] ?? null);
  const exclude = new Set<number>(selfNum === null ? [] : [selfNum]);
  const votes = q.orb ? await deps.index.vote(queryTerms(q.orb.descriptors).terms, q.mirrored ? queryTerms(q.mirrored.descriptors).terms : null, exclude) : new Map<number, Tally>();
  const hosts = await topLive(deps.index, votes, o.limit, minVotes, q.selfId, 'host');
  timings.index = ms(ti);
  const tv = now();
  await verifyAll(deps, q, hosts.slice(0, verifyCount));
  // none related: a source sharing few rare chunks may rank just below (an edit that keeps little
  // of it): verify twice as many again, a cost only queries without a found source pay
  if (verifyCount > 0 && !hosts.slice(0, verifyCount).some(isRelated)) {
    await verifyAll(deps, q, hosts.slice(verifyCount, (1 + VERIFY_MORE_FACTOR) * verifyCount));
  }
  timings.verify = ms(tv);

  // tier 2: donors, with the keypoints the verified hosts do not explain
  let donors: Found[] = [];
  const explained = new ExplainedPoints();
  for (const h of hosts) if (h.explained) explained.add(h.explained);
  if (o.donors && explained.size > 0 && q.orb) {
    const orb = q.orb;
    const td = now();
    for (const h of hosts) exclude.add(h.num);
    const keepForward = (k: number) => !explained.covers(orb.keypoints[2 * k]!, orb.keypoints[2 * k + 1]!);
    const mirrored = q.mirrored;
    const keepMirrored = mirrored ? (k: number) => !explained.covers(mirrored.width - 1 - mirrored.keypoints[2 * k]!, mirrored.keypoints[2 * k + 1]!) : null;
    const forwardTerms = queryTerms(orb.descriptors, keepForward).terms;
    const mirroredTerms = mirrored && keepMirrored ? queryTerms(mirrored.descriptors, keepMirrored).terms : null;
    if (forwardTerms.length > 0 || (mirroredTerms?.length ?? 0) > 0) {
      const dv = await deps.index.vote(forwardTerms, mirroredTerms, exclude);
      donors = (await topLive(deps.index, dv, o.limit, minVotes, q.selfId, 'donor')).filter((d) => !hosts.some((h) => h.imageId === d.imageId));
      await verifyAll(deps, q, donors.slice(0, verifyCount));
    }
    timings.donors = ms(td);
  }

  // tier 3: texture-poor sources, by appearance (texture-tier.ts)
  const found = o.texturePoor ? await withTexturePoor(deps.index.texture, (ids) => deps.peekMany(ids), q, [...hosts, ...donors], timings) : [...hosts, ...donors];
  timings.total = ms(t0);
  return { candidates: rank(found).map(toCandidate), timings_ms: timings };
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
    return { ...withOrb(record.features, `image ${JSON.stringify(query.imageId)}`), mirrored: null, selfId: query.imageId };
  }
  if ('image' in query) {
    if (!Buffer.isBuffer(query.image) && !((query.image as unknown) instanceof Uint8Array)) {
      throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, 'image must be a Buffer');
    }
    const { features, mirrored } = await deps.extract(Buffer.from(query.image));
    return { ...withOrb(features, 'the query image'), mirrored, selfId: null };
  }
  if ('features' in query) {
    const mirrored = query.mirrored ? readOrb(query.mirrored, 'mirrored') : null;
    return { ...withOrb(query.features, 'the query'), mirrored, selfId: null };
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

/** Verifies candidates against the query (their records in one batch read). */
async function verifyAll(deps: SearchDeps, q: Query, list: Found[]): Promise<void> {
  if (list.length === 0) return;
  const records = await deps.peekMany(list.map((f) => f.imageId));
  list.forEach((f, k) => {
    const r = records[k];
    if (!r) return; // removed since the vote
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
    if (v.geometry && v.result.verdict !== 'unrelated') f.explained = v.geometry.inliersB;
  });
}

/** Related (verified) first by inliers, then the rest by score (rarity-weighted votes). */
function rank(list: Found[]): Found[] {
  return list.sort((a, b) => {
    const ra = isRelated(a);
    const rb = isRelated(b);
    if (ra !== rb) return ra ? -1 : 1;
    if (ra && rb && strength(b) !== strength(a)) return strength(b) - strength(a);
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
