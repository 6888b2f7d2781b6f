/**
 * searchProvenance's hook into the texture-poor tier (texture-tier.ts): reads
 * the query's thumbnail, runs the tier, and merges what it verified into the
 * candidates of the descriptor tiers (a candidate already there and not yet
 * verified takes the verdict; a new one comes as tier `appearance`, 0 votes).
 */
import type { FeatureRecord, Features } from '../../types.js';
import type { OrbFeatures } from '../orb-input.js';
import { readThumb, type ThumbFeatures } from '../thumb-input.js';
import type { ProvenanceCandidate, ProvenanceSearchResult } from './types.js';
import type { TextureRegistry } from './texture-registry.js';
import { searchTexturePoor } from './texture-tier.js';

/** A search candidate (search.ts's `Found` adds the inlier positions). */
export interface TierCandidate {
  num: number;
  imageId: string;
  votes: number;
  /** The votes weighted by rarity (vote.ts): the order of the unverified. */
  score: number;
  tier: ProvenanceCandidate['tier'];
  verdict?: ProvenanceCandidate['verdict'];
  inliers?: number;
  reasons?: string[];
}

/** Number of a candidate that has no index number (found by appearance). */
const NO_NUMBER = -1;

/** The query's thumbnail, or null (absent or malformed: the tier is skipped). */
export function queryThumb(features: Features): ThumbFeatures | null {
  try {
    return readThumb(features['thumb']);
  } catch {
    return null;
  }
}

export async function withTexturePoor<F extends TierCandidate>(
  registry: TextureRegistry,
  peekMany: (ids: string[]) => Promise<Array<FeatureRecord | null>>,
  q: { features: Features; orb: OrbFeatures | null; mirrored: OrbFeatures | null; selfId: string | null },
  found: F[],
  timings: ProvenanceSearchResult['timings_ms'],
  sameFrameMaxDistance?: number | null,
): Promise<Array<F | TierCandidate>> {
  const thumb = queryThumb(q.features);
  if (!thumb) return found;
  const t = performance.now();
  const byId = new Map(found.map((f) => [f.imageId, f]));
  const skip = new Set(found.filter((f) => f.verdict !== undefined).map((f) => f.imageId));
  if (q.selfId !== null) skip.add(q.selfId);
  const keypoints = q.orb ? q.orb.keypoints.length / 2 : 0;
  const seen = await searchTexturePoor({ registry, peekMany }, { features: q.features, thumb, keypoints, mirrored: q.mirrored }, skip, undefined, sameFrameMaxDistance);
  const out: Array<F | TierCandidate> = [...found];
  for (const s of seen) {
    const verdict = { verdict: s.verdict, inliers: s.inliers, reasons: s.reasons };
    const there = byId.get(s.imageId);
    if (there) Object.assign(there, verdict);
    else out.push({ num: NO_NUMBER, imageId: s.imageId, votes: 0, score: 0, tier: 'appearance', ...verdict });
  }
  timings.appearance = Math.round((performance.now() - t) * 100) / 100;
  return out;
}
