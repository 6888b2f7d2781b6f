/**
 * The vote: each query term adds to every image whose posting in the term's
 * bucket carries the same rest bits (an exact 32-bit chunk match at the same
 * position). A term matching more than `maxTermImages` images is skipped
 * (the stop list: a chunk that common is no evidence), and an image counts
 * once per term.
 *
 * Each image gets two figures: `votes`, the matching terms, and `score`, the
 * same terms weighted by rarity (termWeight: 1 for a chunk only one image
 * holds, falling to 0 at the stop list), by which candidates are ranked. A
 * distractor's votes are chunks common in the corpus (flat or repeated
 * texture); a true source's are rare ones. Measured on the scale bench's
 * queries at 20,000 images (bench/provenance/vote-diagnosis.ts,
 * docs/PROVENANCE.md): the true source in the top 10 by votes alone 133 of
 * 180 pairs, by score 140.
 */
import type { ProvenanceLayout } from './layout.js';
import { SENTINEL_NUMBER, type BucketReads } from './postings.js';
import { POSTING_BYTES } from './layout.js';

export interface VoteOptions {
  maxTermImages: number;
  /** Numbers that do not vote (the query image itself, candidates already found). */
  exclude?: ReadonlySet<number>;
}

/** An image's tally: matching terms, and the same weighted by rarity. */
export interface Tally {
  votes: number;
  score: number;
}

/**
 * Weight of a term that `images` images hold: 1 - ln(images) / ln(maxTermImages + 1),
 * an inverse document frequency scaled to the stop list (1 for a unique chunk,
 * ~0 for one at the stop list) so that it needs no corpus size.
 */
export function termWeight(images: number, maxTermImages: number): number {
  return 1 - Math.log(images) / Math.log(maxTermImages + 1);
}

export function tallyVotes(layout: ProvenanceLayout, reads: BucketReads, terms: ArrayLike<number>, o: VoteOptions): Map<number, Tally> {
  const tallies = new Map<number, Tally>();
  const matched: number[] = [];
  const restMask = (1 << layout.restBits) - 1;
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i]!;
    const r = reads.get(t >>> layout.restBits);
    if (!r) continue;
    const rest = t & restMask;
    matched.length = 0;
    const end = r.start + r.length;
    for (let o2 = r.start; o2 + POSTING_BYTES <= end; o2 += POSTING_BYTES) {
      if (r.blob.readUInt16BE(o2 + 4) !== rest) continue;
      const num = r.blob.readUInt32BE(o2);
      if (num === SENTINEL_NUMBER) continue;
      matched.push(num);
    }
    if (matched.length === 0 || matched.length > o.maxTermImages) continue;
    if (matched.length > 1) matched.sort((a, b) => a - b);
    let distinct = 0;
    for (let k = 0; k < matched.length; k++) if (k === 0 || matched[k] !== matched[k - 1]) distinct++;
    const w = termWeight(distinct, o.maxTermImages);
    let prev = -1;
    for (const num of matched) {
      if (num === prev) continue;
      prev = num;
      if (o.exclude?.has(num)) continue;
      const tl = tallies.get(num);
      if (tl) {
        tl.votes++;
        tl.score += w;
      } else tallies.set(num, { votes: 1, score: w });
    }
  }
  return tallies;
}

/** The better of two tallies per image (identity and mirrored query), by score. */
export function bestOf(a: Map<number, Tally>, b: Map<number, Tally> | null): Map<number, Tally> {
  if (!b) return a;
  const out = new Map(a);
  for (const [num, t] of b) if (t.score > (out.get(num)?.score ?? 0)) out.set(num, t);
  return out;
}
