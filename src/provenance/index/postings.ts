/**
 * Posting buckets in Redis: per term bucket, packed postings
 * [image number u32 BE | the term's rest bits u16 BE]. Writes and reads go
 * through the similarity index's bucket scripts (one script call per posting
 * key, one pipeline per node): additions append, a removal deletes one copy,
 * a bucket at `bucketCap` refuses more (and holds a sentinel posting, number
 * 0xffffffff, which readers skip).
 */
import type { ChainableCommander } from 'ioredis';
import type { ExtensionContext } from '../../cache/extension.js';
import { runGrouped } from '../../search/grouped.js';
import type { SimilarityScripts } from '../../search/scripts.js';
import { FIELD_BYTES, POSTING_BYTES, type ProvenanceLayout } from './layout.js';

type ScriptPipe = ChainableCommander & { [K in keyof SimilarityScripts]: (...a: Parameters<SimilarityScripts[K]>) => ScriptPipe };

/** Postings written per round trip (~10 images). */
export const POSTINGS_PER_ROUND = 5000;

/** Number of the sentinel posting of a capped bucket. */
export const SENTINEL_NUMBER = 0xffffffff;

/** One posting to add or remove: image `num` under `term`. */
export interface PostingOp {
  num: number;
  term: number;
}

/** Where each bucket read lies: bucket id (term >>> restBits) -> [blob, start, byte length]. */
export type BucketReads = Map<number, { blob: Buffer; start: number; length: number }>;

const FIELD_NAMES: Buffer[] = [];

/** The 2-byte field of a bucket (cached: at most 4,096 distinct). */
function fieldName(f: number): Buffer {
  let b = FIELD_NAMES[f];
  if (!b) {
    b = Buffer.allocUnsafe(FIELD_BYTES);
    b.writeUInt16BE(f, 0);
    FIELD_NAMES[f] = b;
  }
  return b;
}

export class PostingStore {
  constructor(
    private readonly ctx: Pick<ExtensionContext, 'client' | 'router'>,
    private readonly layout: ProvenanceLayout,
    private readonly bucketCap: number,
  ) {}

  /**
   * Applies removals then additions; returns the additions refused by full
   * buckets. Rounds of at most POSTINGS_PER_ROUND postings, one after the other
   * (one script call per posting key each), so no single round trip holds Redis
   * long enough to hit the command timeout on a loaded host (a chunk of 100
   * images is ~48,000 postings).
   */
  async apply(removes: readonly PostingOp[], adds: readonly PostingOp[]): Promise<number> {
    let refused = 0;
    for (let i = 0; i < removes.length; i += POSTINGS_PER_ROUND) refused += await this.applyRound(removes.slice(i, i + POSTINGS_PER_ROUND), []);
    for (let i = 0; i < adds.length; i += POSTINGS_PER_ROUND) refused += await this.applyRound([], adds.slice(i, i + POSTINGS_PER_ROUND));
    return refused;
  }

  private async applyRound(removes: readonly PostingOp[], adds: readonly PostingOp[]): Promise<number> {
    if (removes.length === 0 && adds.length === 0) return 0;
    const byShard = new Map<number, { rm: PostingOp[]; add: PostingOp[] }>();
    const put = (op: PostingOp, kind: 'rm' | 'add') => {
      const s = this.layout.shardOf(op.term);
      let g = byShard.get(s);
      if (!g) byShard.set(s, (g = { rm: [], add: [] }));
      g[kind].push(op);
    };
    for (const op of removes) put(op, 'rm');
    for (const op of adds) put(op, 'add');
    const replies = await runGrouped(
      this.ctx,
      [...byShard].map(([shard, g]) => {
        const key = this.layout.postingKey(shard);
        return {
          key,
          add: (pipe: ChainableCommander) => {
            const [rf, re] = this.pack(g.rm);
            const [af, ae] = this.pack(g.add);
            (pipe as ScriptPipe).fcxBucketUpdate(key, POSTING_BYTES, FIELD_BYTES, this.bucketCap, rf, re, af, ae);
          },
        };
      }),
      'provenance index write',
    );
    return replies.reduce<number>((a, n) => a + Number(n), 0);
  }

  private pack(ops: readonly PostingOp[]): [Buffer, Buffer] {
    const fields = Buffer.allocUnsafe(FIELD_BYTES * ops.length);
    const entries = Buffer.allocUnsafe(POSTING_BYTES * ops.length);
    ops.forEach((op, j) => {
      fields.writeUInt16BE(this.layout.fieldOf(op.term), FIELD_BYTES * j);
      entries.writeUInt32BE(op.num >>> 0, POSTING_BYTES * j);
      entries.writeUInt16BE(this.layout.restOf(op.term), POSTING_BYTES * j + 4);
    });
    return [fields, entries];
  }

  /** Reads the buckets of these terms (each bucket once): one HMGET per posting key, one pipeline per node. */
  async read(terms: ArrayLike<number>): Promise<BucketReads> {
    const byShard = new Map<number, Set<number>>();
    for (let i = 0; i < terms.length; i++) {
      const t = terms[i]!;
      const s = this.layout.shardOf(t);
      let set = byShard.get(s);
      if (!set) byShard.set(s, (set = new Set()));
      set.add(this.layout.fieldOf(t));
    }
    const shards = [...byShard].map(([shard, set]) => ({ shard, fields: [...set] }));
    const replies = await runGrouped(
      this.ctx,
      shards.map(({ shard, fields }) => {
        const key = this.layout.postingKey(shard);
        return { key, add: (pipe: ChainableCommander) => void pipe.hmgetBuffer(key, ...fields.map(fieldName)) };
      }),
      'provenance search',
    );
    const out: BucketReads = new Map();
    const fieldBits = this.layout.fieldBits;
    shards.forEach(({ shard, fields }, k) => {
      const values = replies[k] as Array<Buffer | null>;
      fields.forEach((f, j) => {
        const v = values[j];
        if (v && v.length > 0) out.set(((shard << fieldBits) | f) >>> 0, { blob: v, start: 0, length: v.length });
      });
    });
    return out;
  }

  /** The bucket id of a term (the key of BucketReads). */
  bucketOf(term: number): number {
    return term >>> this.layout.restBits;
  }
}
