/**
 * ProvenanceIndex: a cache extension that keeps an inverted index of ORB
 * descriptor chunks in Redis (layout.ts) in step with the records, and
 * answers the vote of a query's descriptors (searchProvenance builds on it:
 * search.ts). docs/PROVENANCE.md, "Provenance II".
 *
 * - write: a record whose descriptors changed gets a new image number, its
 *   postings and both map entries (reverse first, postings, then forward, so a
 *   concurrent query sees the old or the new number, never a half);
 * - removal (invalidate, expiry, eviction, an overwrite without `orb`): both map
 *   entries go, the postings stay until cleanup() and are filtered by resolve();
 * - cleanup(): map entries whose record is gone or that disagree are removed,
 *   records with descriptors but no index entry (written before the index was
 *   enabled, or a hook that failed before its forward entry) are indexed, then
 *   every posting of a number no longer live is compacted away.
 */
import type { CacheExtension, ExtensionContext } from '../../cache/extension.js';
import { LayoutGuard } from '../../cache/layout-guard.js';
import { mapRedisError } from '../../redis/map-error.js';
import { defineSimilarityScripts } from '../../search/scripts.js';
import type { Features } from '../../types.js';
import { readOrb } from '../orb-input.js';
import { POSTING_BYTES, ProvenanceLayout } from './layout.js';
import { ImageNumbers, type ForwardEntry } from './numbers.js';
import { resolveProvenanceIndexOptions, type ResolvedProvenanceIndexOptions } from './options.js';
import { PostingStore, SENTINEL_NUMBER, type PostingOp } from './postings.js';
import { defineProvenanceScripts } from './scripts.js';
import { descriptorFingerprint, indexTerms } from './terms.js';
import { TextureRegistry } from './texture-registry.js';
import type { ProvenanceIndexOptions } from './types.js';
import { bestOf, tallyVotes, type Tally } from './vote.js';

const SCAN_COUNT = 500;
const REPAIR_CHUNK = 500;

export class ProvenanceIndex implements CacheExtension {
  readonly name = 'provenance';
  readonly options: ResolvedProvenanceIndexOptions;
  readonly layout: ProvenanceLayout;
  readonly numbers: ImageNumbers;
  readonly postings: PostingStore;
  /** The texture-poor registry (texture-registry.ts), kept by the same hooks. */
  readonly texture: TextureRegistry;
  private readonly layoutGuard: LayoutGuard;

  constructor(
    readonly ctx: ExtensionContext,
    options: ProvenanceIndexOptions | true = {},
  ) {
    this.options = resolveProvenanceIndexOptions(options);
    defineSimilarityScripts(ctx.client);
    defineProvenanceScripts(ctx.client);
    this.layout = new ProvenanceLayout(ctx.keys.prefix, ctx.keys.version, this.options);
    this.numbers = new ImageNumbers(ctx, this.layout);
    this.postings = new PostingStore(ctx, this.layout, this.options.bucketCap);
    this.texture = new TextureRegistry(ctx, this.layout.base);
    this.layoutGuard = new LayoutGuard(ctx.client, {
      metaKey: this.layout.meta,
      want: this.layout.describe(),
      operation: 'provenance index layout check',
      mismatch: (have) =>
        `the provenance index in Redis was built with another layout (${have}); use the same expectedImages/bucketBits, or bump featureVersion to rebuild`,
    });
  }

  /** Throws INVALID_OPTIONS when the index in Redis was built with another layout (another expectedImages/bucketBits). */
  ensureLayout(): Promise<void> {
    return this.layoutGuard.ensure();
  }

  async afterWrite(items: ReadonlyArray<{ imageId: string; features: Features }>): Promise<void> {
    await this.index(items, false);
    await this.texture.write(items);
  }

  /** Indexes records (the last of each ID wins); `force` re-indexes unchanged descriptors too (repair). */
  private async index(items: ReadonlyArray<{ imageId: string; features: Features }>, force: boolean): Promise<void> {
    if (items.length === 0) return;
    await this.ensureLayout();
    const last = new Map<string, Uint8Array | null>();
    for (const it of items) last.set(it.imageId, descriptorsOf(it.features));
    const ids = [...last.keys()];
    const current = await this.numbers.forward(ids);
    const fresh: Array<{ imageId: string; descriptors: Uint8Array; fingerprint: number }> = [];
    const dropped: Array<{ imageId: string; entry: ForwardEntry }> = [];
    ids.forEach((imageId, i) => {
      const d = last.get(imageId)!;
      const cur = current[i] ?? null;
      if (d === null) {
        if (cur) dropped.push({ imageId, entry: cur });
        return;
      }
      const fingerprint = descriptorFingerprint(d);
      if (cur && cur.fingerprint === fingerprint && !force) return;
      fresh.push({ imageId, descriptors: d, fingerprint });
    });
    if (dropped.length > 0) await this.unlink(dropped);
    if (fresh.length === 0) return;
    const first = await this.numbers.allocate(fresh.length);
    const adds: PostingOp[] = [];
    const entries = fresh.map((f, k) => {
      const num = first + k;
      for (const term of indexTerms(f.descriptors)) adds.push({ num, term });
      return { imageId: f.imageId, num, fingerprint: f.fingerprint };
    });
    await this.numbers.putReverse(entries);
    const refused = await this.postings.apply([], adds);
    if (refused > 0) this.ctx.logger.debug({ refused }, 'provenance index: full buckets refused postings (stop-listed chunks)');
    const previous = await this.numbers.swapForward(entries);
    const stale = previous.flatMap((p, k) => (p && p.num !== entries[k]!.num ? [{ num: p.num, imageId: entries[k]!.imageId }] : []));
    if (stale.length > 0) await this.numbers.deleteReverse(stale);
  }

  /** Removes both map entries of these images (their postings are filtered until cleanup). */
  private async unlink(list: ReadonlyArray<{ imageId: string; entry: ForwardEntry }>): Promise<void> {
    await this.numbers.deleteForward(list.map((l) => ({ imageId: l.imageId, raw: l.entry.raw })));
    await this.numbers.deleteReverse(list.map((l) => ({ num: l.entry.num, imageId: l.imageId })));
  }

  async afterRemove(imageIds: readonly string[]): Promise<void> {
    if (imageIds.length === 0) return;
    const ids = [...new Set(imageIds)];
    // an ID written again since its removal keeps its (new) entries
    const present = await this.ctx.exists(ids);
    const gone = ids.filter((_, i) => !present[i]);
    if (gone.length === 0) return;
    await this.ensureLayout();
    await this.texture.remove(gone);
    const current = await this.numbers.forward(gone);
    await this.unlink(gone.flatMap((imageId, i) => (current[i] ? [{ imageId, entry: current[i] }] : [])));
  }

  /**
   * Tallies of the query's terms (and of its mirror image's terms), the better of
   * the two per image number; `exclude` numbers do not vote.
   */
  async vote(terms: Uint32Array, mirrored: Uint32Array | null, exclude?: ReadonlySet<number>): Promise<Map<number, Tally>> {
    await this.ensureLayout();
    const all = mirrored ? concat(terms, mirrored) : terms;
    const reads = await this.postings.read(all);
    const o = { maxTermImages: this.options.maxTermImages, ...(exclude ? { exclude } : {}) };
    const forward = tallyVotes(this.layout, reads, terms, o);
    return bestOf(forward, mirrored ? tallyVotes(this.layout, reads, mirrored, o) : null);
  }

  /**
   * Repairs what a missed or failed hook left, then compacts postings:
   * 1. reverse entries that disagree with the forward map or whose record is
   *    gone are removed (and the forward entries of gone records);
   * 2. forward entries without a matching reverse entry are re-indexed from the record;
   * 3. records with ORB descriptors and no forward entry are indexed (a SCAN of the records);
   * 4. postings of numbers no longer live are removed, bucket by bucket.
   * Returns how many map entries and postings were removed or fixed.
   */
  async cleanup(): Promise<number> {
    await this.ensureLayout();
    const maxNum = await this.numbers.lastNumber();
    let fixed = 0;
    const live = new Set<number>();
    // 1. reverse map against forward map and records
    for (const key of this.layout.allReverseKeys()) {
      const entries = await this.hashEntries(key);
      for (let i = 0; i < entries.length; i += REPAIR_CHUNK) {
        const part = entries.slice(i, i + REPAIR_CHUNK).map(([f, v]) => ({ num: f.readUInt32BE(0), imageId: v.toString() }));
        const [fwd, exists] = await Promise.all([this.numbers.forward(part.map((p) => p.imageId)), this.ctx.exists(part.map((p) => p.imageId))]);
        const bad: Array<{ num: number; imageId: string }> = [];
        const goneFwd: Array<{ imageId: string; raw: Buffer }> = [];
        part.forEach((p, k) => {
          const f = fwd[k] ?? null;
          if (exists[k] && f?.num === p.num) live.add(p.num);
          else {
            bad.push(p);
            if (!exists[k] && f) goneFwd.push({ imageId: p.imageId, raw: f.raw });
          }
        });
        if (goneFwd.length > 0) fixed += await this.numbers.deleteForward(goneFwd);
        if (bad.length > 0) fixed += await this.numbers.deleteReverse(bad);
      }
    }
    // 2. forward entries whose number has no reverse entry: re-index (or drop when the record is gone)
    for (const key of this.layout.allForwardKeys()) {
      const entries = await this.hashEntries(key);
      const orphans = entries.filter(([, v]) => v.length === 8 && !live.has(v.readUInt32BE(0)) && v.readUInt32BE(0) <= maxNum);
      for (let i = 0; i < orphans.length; i += REPAIR_CHUNK) {
        const part = orphans.slice(i, i + REPAIR_CHUNK).map(([f, v]) => ({ imageId: f.toString(), raw: v }));
        const records = await this.ctx.peekMany(part.map((p) => p.imageId));
        const again = records.flatMap((r) => (r ? [{ imageId: r.imageId, features: r.features }] : []));
        const gone = part.filter((_, k) => !records[k]);
        if (gone.length > 0) fixed += await this.numbers.deleteForward(gone);
        await this.index(again, true);
        fixed += again.length;
      }
    }
    // 3. records never indexed (cached before the index was enabled, or a failed hook)
    fixed += await this.indexMissing();
    fixed += await this.texture.cleanup();
    // 4. compaction: postings of numbers not live (numbers given out after the walk began are left alone)
    for (const key of this.layout.allPostingKeys()) fixed += await this.compact(key, live, maxNum);
    return fixed;
  }

  /** Indexes the records with descriptors that have no forward entry; returns how many. */
  private async indexMissing(): Promise<number> {
    let indexed = 0;
    for await (const ids of this.ctx.scanIds()) {
      for (let i = 0; i < ids.length; i += REPAIR_CHUNK) {
        const part = ids.slice(i, i + REPAIR_CHUNK);
        const fwd = await this.numbers.forward(part);
        const missing = part.filter((_, k) => !fwd[k]);
        if (missing.length === 0) continue;
        const records = await this.ctx.peekMany(missing);
        const items = records.flatMap((r) => (r && descriptorsOf(r.features) ? [{ imageId: r.imageId, features: r.features }] : []));
        await this.index(items, false);
        // records without descriptors (a smooth image's) are read here anyway: the texture-poor registry takes them
        await this.texture.write(records.flatMap((r) => (r && !descriptorsOf(r.features) ? [r] : [])));
        indexed += items.length;
      }
    }
    return indexed;
  }

  /** Removes the dead postings of one posting key; returns how many. */
  private async compact(key: string, live: ReadonlySet<number>, maxNum: number): Promise<number> {
    const shard = this.layout.allPostingKeys().indexOf(key);
    const dead: PostingOp[] = [];
    for (const [field, value] of await this.hashEntries(key)) {
      const bucket = (shard << this.layout.fieldBits) | field.readUInt16BE(0);
      for (let o = 0; o + POSTING_BYTES <= value.length; o += POSTING_BYTES) {
        const num = value.readUInt32BE(o);
        if (num === SENTINEL_NUMBER || num > maxNum || live.has(num)) continue;
        dead.push({ num, term: ((bucket << this.layout.restBits) | value.readUInt16BE(o + 4)) >>> 0 });
      }
    }
    if (dead.length === 0) return 0;
    // numbers written meanwhile (a write between the walk and now) are kept
    const nums = [...new Set(dead.map((d) => d.num))];
    const now = await this.numbers.resolve(nums);
    const revived = new Set(nums.filter((_, i) => now[i] !== null));
    const remove = dead.filter((d) => !revived.has(d.num));
    await this.postings.apply(remove, []);
    return remove.length;
  }

  /** All (field, value) pairs of a hash, with HSCAN, as Buffers. */
  private async hashEntries(key: string): Promise<Array<[Buffer, Buffer]>> {
    const out: Array<[Buffer, Buffer]> = [];
    let cursor = '0';
    do {
      const [next, flat] = await this.ctx.client.hscanBuffer(key, cursor, 'COUNT', SCAN_COUNT).catch((err: unknown) => {
        throw mapRedisError(err, 'provenance cleanup');
      });
      cursor = next.toString();
      for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
    } while (cursor !== '0');
    return out;
  }

  /**
   * The IDs of these numbers that are live: both maps agree and the record
   * exists (a removal whose hook was missed is filtered too); null otherwise, aligned.
   */
  async liveIds(nums: readonly number[]): Promise<Array<string | null>> {
    const ids = await this.numbers.resolve(nums);
    const named = ids.flatMap((id, i) => (id === null ? [] : [{ id, i }]));
    const exists = named.length > 0 ? await this.ctx.exists(named.map((n) => n.id)) : [];
    named.forEach((n, k) => {
      if (!exists[k]) ids[n.i] = null;
    });
    return ids;
  }

  /** Live image numbers of these IDs (null when not indexed), aligned. */
  async numbersOf(imageIds: readonly string[]): Promise<Array<number | null>> {
    await this.ensureLayout();
    return (await this.numbers.forward(imageIds)).map((f) => f?.num ?? null);
  }
}

/** The record's ORB descriptors, or null (absent or malformed: nothing to index). */
function descriptorsOf(features: Features): Uint8Array | null {
  try {
    const orb = readOrb(features['orb']);
    return orb && orb.descriptors.length > 0 ? orb.descriptors : null;
  } catch {
    return null;
  }
}

function concat(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
