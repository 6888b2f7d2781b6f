/**
 * The vote: each query term adds one vote to every image whose posting in the
 * term's bucket carries the same rest bits (an exact 32-bit chunk match at the
 * same position). A term matching more than `maxTermImages` images is skipped
 * (the stop list: a chunk that common is no evidence), and an image counts
 * once per term.
 */
import type { ProvenanceLayout } from './layout.js';
import { SENTINEL_NUMBER, type BucketReads } from './postings.js';
import { POSTING_BYTES } from './layout.js';

export interface VoteOptions {
  maxTermImages: number;
  /** Numbers that do not vote (the query image itself, candidates already found). */
  exclude?: ReadonlySet<number>;
}

export function tallyVotes(layout: ProvenanceLayout, reads: BucketReads, terms: ArrayLike<number>, o: VoteOptions): Map<number, number> {
  const votes = new Map<number, number>();
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
    let prev = -1;
    if (matched.length > 1) matched.sort((a, b) => a - b);
    for (const num of matched) {
      if (num === prev) continue;
      prev = num;
      if (o.exclude?.has(num)) continue;
      votes.set(num, (votes.get(num) ?? 0) + 1);
    }
  }
  return votes;
}

/** The better of two tallies per image (identity and mirrored query). */
export function bestOf(a: Map<number, number>, b: Map<number, number> | null): Map<number, number> {
  if (!b) return a;
  const out = new Map(a);
  for (const [num, v] of b) if (v > (out.get(num) ?? 0)) out.set(num, v);
  return out;
}
