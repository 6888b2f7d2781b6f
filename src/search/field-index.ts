/**
 * The index of one hash field (e.g. phash): keeps the dictionary and the m
 * tables in step with the records (upsert, remove, repair) and checks that the
 * stored layout matches this process's options.
 */
import type { ExtensionContext } from '../cache/extension.js';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import { mapRedisError } from '../redis/map-error.js';
import type { Features } from '../types.js';
import { isHash64, parseHash64 } from './hash64.js';
import { IndexLayout } from './layout.js';
import { IndexStore, type BucketOp } from './index-store.js';
import type { ResolvedSimilarityOptions } from './options.js';

export interface WriteOutcome {
  /** Entries a capped (degenerate) bucket refused. */
  refused: number;
}

export class FieldIndex {
  readonly layout: IndexLayout;
  readonly store: IndexStore;
  private metaChecked: Promise<void> | null = null;

  constructor(
    private readonly ctx: ExtensionContext,
    readonly field: string,
    readonly o: ResolvedSimilarityOptions,
  ) {
    this.layout = new IndexLayout(ctx.keys.prefix, ctx.keys.version, field, o);
    this.store = new IndexStore(ctx, this.layout);
  }

  /** The hash a record carries for this field, or null. */
  hashOf(features: Features | undefined | null): bigint | null {
    const v = features?.[this.field];
    return isHash64(v) ? parseHash64(v) : null;
  }

  /**
   * Throws INVALID_OPTIONS when the index in Redis was built with another layout.
   * Reads first and writes the layout only when none is stored, so it needs no
   * write when the index exists (start-up, queries and cleanup on a full Redis).
   * When Redis is full and no layout is stored yet, it warns and checks again on
   * the next call: nothing is indexed under this version, so nothing can clash.
   */
  ensureLayout(): Promise<void> {
    this.metaChecked ??= this.checkLayout().catch((err) => {
      this.metaChecked = null;
      throw err;
    });
    return this.metaChecked;
  }

  private async checkLayout(): Promise<void> {
    const want = this.layout.describe();
    let have: string | null;
    try {
      have = await this.ctx.client.get(this.layout.meta);
      if (have === null && (await this.ctx.client.set(this.layout.meta, want, 'NX')) === null) {
        have = await this.ctx.client.get(this.layout.meta); // another writer recorded it first
      }
    } catch (err) {
      const mapped = mapRedisError(err, 'similarity index layout check');
      if (mapped.code !== ErrorCodes.REDIS_FULL) throw mapped;
      this.ctx.logger.warn({ field: this.field }, 'similarity index: Redis is full, so the layout is not recorded yet; checked again on the next use');
      this.metaChecked = null;
      return;
    }
    if (have !== null && have !== want) {
      throw new FeatureCacheError(
        ErrorCodes.INVALID_OPTIONS,
        `the ${this.field} similarity index in Redis was built with another layout (${have}); use the same tables/bucketBits/tableShardBits/dictionaryBits, or bump featureVersion to rebuild`,
        { details: { stored: have, configured: want } },
      );
    }
  }

  /**
   * Indexes images under their hashes: one dictionary round trip, then one for
   * all table updates (none when every hash is unchanged). `force` rewrites the
   * table entries anyway (repair: one copy removed, one added).
   */
  async upsert(items: Array<{ imageId: string; hash: bigint }>, force = false): Promise<WriteOutcome> {
    if (items.length === 0) return { refused: 0 };
    await this.ensureLayout();
    const last = new Map<string, bigint>();
    for (const it of items) last.set(it.imageId, it.hash);
    const unique = [...last].map(([imageId, hash]) => ({ imageId, hash }));
    const previous = await this.store.dictPut(unique);
    const removes: BucketOp[] = [];
    const adds: BucketOp[] = [];
    unique.forEach((it, i) => {
      const prev = previous[i] ?? null;
      if (prev === it.hash && !force) return;
      const ptr = this.layout.dictShard(it.imageId);
      if (prev !== null) this.store.opsFor(ptr, prev, removes);
      this.store.opsFor(ptr, it.hash, adds);
    });
    return { refused: await this.store.applyBuckets(removes, adds) };
  }

  /** Removes images from the index (table entries first, then the dictionary). */
  async remove(imageIds: readonly string[]): Promise<number> {
    if (imageIds.length === 0) return 0;
    await this.ensureLayout();
    const entries = (await this.store.dictGet([...new Set(imageIds)])).filter((e) => e !== null);
    if (entries.length === 0) return 0;
    const removes: BucketOp[] = [];
    for (const e of entries) this.store.opsFor(e.shard, e.hash, removes);
    await this.store.applyBuckets(removes, []);
    return this.store.dictDelete(entries);
  }

  /** Brings these images' entries in line with their records; returns how many were wrong. */
  async repair(items: Array<{ imageId: string; indexed: bigint; record: Features | null }>): Promise<number> {
    const gone: string[] = [];
    const changed: Array<{ imageId: string; hash: bigint }> = [];
    for (const it of items) {
      const h = it.record ? this.hashOf(it.record) : null;
      if (h === null) gone.push(it.imageId);
      else if (h !== it.indexed) changed.push({ imageId: it.imageId, hash: h });
    }
    await this.remove(gone);
    await this.upsert(changed, true);
    return gone.length + changed.length;
  }
}
