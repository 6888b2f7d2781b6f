/** Public types of the provenance index and searchProvenance (docs/PROVENANCE.md, "Provenance II"). */
import type { Features } from '../../types.js';
import type { OrbFeatures, Verdict } from '../types.js';

/**
 * The query of searchProvenance: a cached image (its record's `orb`), image
 * bytes (extracted here, the mirror image too), or features already extracted
 * (what verification reads: `orb` and the hashes; `mirrored`: the ORB of the
 * mirror image, `extractOrb(image, { mirror: true })`, for the mirrored vote).
 */
export type ProvenanceQuery =
  | { imageId: string }
  | { image: Buffer }
  | {
      features: Features;
      mirrored?: OrbFeatures | null;
      /**
       * The image the features were extracted from, when at hand: the donor tier cuts out the region the host does not
       * show and extracts it again (a faint pasted patch; docs/PROVENANCE.md, "donors"). Without it that step is skipped.
       */
      image?: Buffer;
    };

export interface ProvenanceSearchOptions {
  /** Most candidates of each tier (hosts; donors). @default 10 */
  limit?: number;
  /**
   * Verification budget of each tier: at most this many top-ranked candidates are verified geometrically (false: none).
   * Hosts are verified in rank order and stop early at a clear winner; when no host among them is related, up to twice
   * as many more are screened and verified until one is (docs/PROVENANCE.md, "The search"). @default limit
   */
  verify?: number | false;
  /** Two-tier search: search again with the keypoints the verified hosts do not explain (small donors of a composite). @default true */
  donors?: boolean;
  /**
   * Texture-poor tier: propose images with few or no ORB keypoints (smooth gradients, blurred pictures)
   * from the texture-poor registry by colour statistics, verify the nearest by appearance (`thumb`),
   * and add the related ones (tier `appearance`). Needs the query's `thumb`. @default true
   */
  texturePoor?: boolean;
}

export interface ProvenanceCandidate {
  imageId: string;
  /** Index votes: exact descriptor chunks shared with the query (identity or mirrored query, the better of the two). */
  votes: number;
  /**
   * Found by the first search (`host`), by the search with the keypoints the hosts do not explain (`donor`),
   * or by the texture-poor tier (`appearance`: proposed by colour statistics, verified by appearance; 0 votes).
   */
  tier: 'host' | 'donor' | 'appearance';
  /** Present when verified (verifyFeatures with the candidate as A and the query as B); absent for candidates the search did not verify. */
  verdict?: Verdict;
  inliers?: number;
  reasons?: string[];
}

export interface ProvenanceSearchResult {
  /** Related (verified) candidates first, by inliers; then the others by rarity-weighted votes (vote.ts). The texture-poor tier adds only related ones. */
  candidates: ProvenanceCandidate[];
  timings_ms: { extract?: number; index: number; verify: number; donors?: number; appearance?: number; total: number };
}

/** Options of the provenance index (`createFeatureCache({ provenanceIndex })`). */
export interface ProvenanceIndexOptions {
  /** Expected indexed images: sizes the posting buckets (~32-64 postings each). Every process on one Redis must use the same value. @default 1_000_000 */
  expectedImages?: number;
  /** Bits of a term naming its posting bucket (16..24); default from expectedImages. */
  bucketBits?: number;
  /** A query term matching more images than this is ignored (stop list: flat areas, logos). @default 256 */
  maxTermImages?: number;
  /** Postings kept per bucket; a fuller bucket refuses more (a chunk so common it is stop-listed anyway). @default 4096 */
  bucketCap?: number;
  /** Fewest votes (matching terms) that make a candidate. @default 2 */
  minVotes?: number;
  /** Largest `limit` of a search. @default 200 */
  maxLimit?: number;
}
