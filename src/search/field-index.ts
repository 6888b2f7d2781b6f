/**
 * The index of one hash field (e.g. phash): keeps the dictionary and the m
 * tables in step with the records (upsert, remove, repair) and checks that the
 * stored layout matches this process's options.
 */
import type { ExtensionContext } from '../cache/extension.js';
import { LayoutGuard } from '../cache/layout-guard.js';
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
  private readonly layoutGuard: LayoutGuard;

  constructor(
    private readonly ctx: ExtensionContext,
    readonly field: string,
    readonly o: ResolvedSimilarityOptions,
  ) {
    this.layout = new IndexLayout(ctx.keys.prefix, ctx.keys.version, field, o);
    this.store = new IndexStore(ctx, this.layout);
    this.layoutGuard = new LayoutGuard(ctx.client, {
      metaKey: this.layout.meta,
      want: this.layout.describe(),
      operation: 'similarity index layout check',
      mismatch: (have) =>
        `the ${field} similarity index in Redis was built with another layout (${have}); use the same tables/bucketBits/tableShardBits/dictionaryBits, or bump featureVersion to rebuild`,
      onFull: () =>
        ctx.logger.warn({ field }, 'similarity index: Redis is full, so the layout is not recorded yet; checked again on the next use'),
    });
  }

  /** The hash a record carries for this field, or null. */
  hashOf(features: Features | undefined | null): bigint | null {
    const v = features?.[this.field];
    return isHash64(v) ? parseHash64(v) : null;
  }

  /** Throws INVALID_OPTIONS when the index in Redis was built with another layout (src/cache/layout-guard.ts). */
  ensureLayout(): Promise<void> {
    return this.layoutGuard.ensure();
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
