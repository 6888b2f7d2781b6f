/**
 * SimilarityIndex: a cache extension that keeps a multi-index-hashing index of
 * 64-bit hash fields (phash, dhash) in Redis and answers exact Hamming-radius
 * queries over it. See docs/SEARCH.md.
 */
import type { CacheExtension, ExtensionContext } from '../cache/extension.js';
import { ErrorCodes, FeatureCacheError, type ErrorCode } from '../errors.js';
import { escapeGlob } from '../redis/keys.js';
import { mapRedisError } from '../redis/map-error.js';
import type { Cluster, Redis } from 'ioredis';
import type { Features } from '../types.js';
import { compareSet, type CompareResult } from './compare-set.js';
import { shardEntries } from './dict-shard.js';
import { FieldIndex } from './field-index.js';
import { isHash64, parseHash64 } from './hash64.js';
import {
  parseArgs,
  resolveSimilarityOptions,
  searchOptionsSchema,
  type CompareOptions,
  type ResolvedSimilarityOptions,
  type SearchOptions,
  type SimilarityOptions,
  type SimilarQuery,
} from './options.js';
import { DIHEDRAL_FEATURE, DIHEDRAL_INDEX_FIELD, runOrientedQuery } from './orientations.js';
import { runQuery, type SimilarResult } from './query.js';
import { defineSimilarityScripts } from './scripts.js';

/** Code of the error for a query by an image ID that has no cached record (details.reason 'unknown_image'). */
export const UNKNOWN_IMAGE_CODE: ErrorCode = ErrorCodes.NOT_FOUND;

const SCAN_COUNT = 1000;
const REPAIR_CHUNK = 500;

export class SimilarityIndex implements CacheExtension {
  readonly name = 'similarity';
  readonly options: ResolvedSimilarityOptions;
  readonly fields: ReadonlyMap<string, FieldIndex>;

  /** @param options see SimilarityOptions (defaults: fields ['phash'], expectedImages 1e6 -> m = 3 tables of 14-bit buckets, maxRadius 12, bucketCap 4096). */
  constructor(
    private readonly ctx: ExtensionContext,
    options: SimilarityOptions = {},
  ) {
    this.options = resolveSimilarityOptions(options);
    defineSimilarityScripts(ctx.client);
    this.fields = new Map(this.options.fields.map((f) => [f, new FieldIndex(ctx, f, this.options)]));
  }

  async afterWrite(items: ReadonlyArray<{ imageId: string; features: Features }>): Promise<void> {
    for (const index of this.fields.values()) {
      const put: Array<{ imageId: string; hash: bigint }> = [];
      const drop: string[] = [];
      for (const it of items) {
        const h = index.hashOf(it.features);
        if (h === null) drop.push(it.imageId);
        else put.push({ imageId: it.imageId, hash: h });
      }
      const { refused } = await index.upsert(put);
      if (refused > 0) this.ctx.logger.warn({ field: index.field, refused }, 'similarity index: capped buckets refused entries (degenerate hashes)');
      // an overwrite without the hash field leaves nothing to index
      await index.remove(drop);
    }
  }

  async afterRemove(imageIds: readonly string[]): Promise<void> {
    if (imageIds.length === 0) return;
    const ids = [...new Set(imageIds)];
    // an ID written again since its removal keeps its (new) entries
    const present = await this.ctx.exists(ids);
    const gone = ids.filter((_, i) => !present[i]);
    for (const index of this.fields.values()) await index.remove(gone);
  }

  /**
   * Repairs what a missed or failed hook left: entries whose record is gone or
   * whose hash changed (the dictionary is walked with SCAN and checked against
   * the records in batches), and index keys of other feature versions.
   * Returns how many entries and keys were removed or fixed.
   */
  async cleanup(): Promise<number> {
    // index keys of versions no longer in use are reclaimed by the cache's own cleanup,
    // which knows every version still open (a root and its withVersion() views)
    let fixed = 0;
    for (const index of this.fields.values()) {
      await index.ensureLayout();
      for await (const batch of this.scanDictionary(index)) {
        for (let i = 0; i < batch.length; i += REPAIR_CHUNK) {
          const part = batch.slice(i, i + REPAIR_CHUNK);
          const records = await this.ctx.peekMany(part.map((p) => p.imageId));
          fixed += await index.repair(part.map((p, k) => ({ ...p, record: records[k]?.features ?? null })));
        }
      }
    }
    return fixed;
  }

  /**
   * Cached images within `maxDistance` (Hamming) of a hash or of a cached
   * image's hash, nearest first — exactly what a brute-force scan of the
   * records would return (see docs/SEARCH.md for the capped-bucket caveat).
   * With `orientations: 'all'` the query's 8 rotations/mirrorings are searched on the
   * `phash` index (docs/SEARCH.md): query by imageId (its record's `phash_dihedral`)
   * or by `{ phash_dihedral }`.
   * Throws INVALID_ARGUMENT (malformed hash, radius above maxRadius, unknown
   * field, orientations without dihedral hashes), UNKNOWN_IMAGE_CODE for an image ID
   * without a record.
   */
  async searchSimilar(query: SimilarQuery, options: SearchOptions): Promise<SimilarResult> {
    const o = parseArgs(searchOptionsSchema, options, 'search option');
    if (o.maxDistance > this.options.maxRadius) {
      throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `maxDistance ${o.maxDistance} is above the supported maximum ${this.options.maxRadius}`, {
        details: { maxRadius: this.options.maxRadius },
      });
    }
    const limit = o.limit ?? Math.min(100, this.options.maxLimit);
    if (limit > this.options.maxLimit) {
      throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `limit ${limit} is above the maximum ${this.options.maxLimit}`, {
        details: { maxLimit: this.options.maxLimit },
      });
    }
    const all = o.orientations === 'all';
    const { index, hashes, excludeId } = await this.resolveQuery(query, o.includeSelf, all);
    await index.ensureLayout();
    const input = { maxDistance: o.maxDistance, limit, withFeatures: o.withFeatures, excludeId };
    return all ? runOrientedQuery(this.ctx, index, hashes, input) : runQuery(this.ctx, index, { ...input, hash: hashes[0]! });
  }

  /** compareSet over the cache's records (peekMany: no hit/miss counting). */
  compareSet(imageIds: string[], options: CompareOptions): Promise<CompareResult> {
    return compareSet((ids) => this.ctx.peekMany(ids), imageIds, options);
  }

  private fieldIndex(field: string | undefined): FieldIndex {
    const name = field ?? this.options.fields[0]!;
    const index = this.fields.get(name);
    if (!index) {
      throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `field ${JSON.stringify(name)} is not indexed (indexed: ${this.options.fields.join(', ')})`, {
        details: { field: name },
      });
    }
    return index;
  }

  /**
   * The index and the hash(es) a query searches: one hash, or with `dihedral` the 8
   * dihedral pHashes (on the phash index).
   */
  private async resolveQuery(
    query: SimilarQuery,
    includeSelf: boolean,
    dihedral: boolean,
  ): Promise<{ index: FieldIndex; hashes: bigint[]; excludeId?: string }> {
    if (query === null || typeof query !== 'object') throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, 'query must be an object');
    if (DIHEDRAL_FEATURE in query) {
      const hashes = dihedralHashesOf(query.phash_dihedral, DIHEDRAL_FEATURE);
      if (hashes === null) throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `${DIHEDRAL_FEATURE} must be 8 hashes of 16 hex digits`);
      return { index: this.fieldIndex(DIHEDRAL_INDEX_FIELD), hashes: dihedral ? hashes : hashes.slice(0, 1) };
    }
    if (dihedral && !('imageId' in query)) {
      throw new FeatureCacheError(
        ErrorCodes.INVALID_ARGUMENT,
        `orientations 'all' needs the query's ${DIHEDRAL_FEATURE}: query by imageId or by { ${DIHEDRAL_FEATURE} }, not by a single hash`,
        { details: { reason: 'no_dihedral' } },
      );
    }
    if ('imageId' in query) {
      const index = this.fieldIndex(dihedral ? (query.field ?? DIHEDRAL_INDEX_FIELD) : query.field);
      if (dihedral && index.field !== DIHEDRAL_INDEX_FIELD) {
        throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `orientations 'all' searches the ${DIHEDRAL_INDEX_FIELD} index, not ${index.field}`, {
          details: { field: index.field },
        });
      }
      if (typeof query.imageId !== 'string' || query.imageId.length === 0) {
        throw new FeatureCacheError(ErrorCodes.INVALID_IMAGE_ID, 'imageId must be a non-empty string');
      }
      const [record] = await this.ctx.peekMany([query.imageId]);
      if (!record) {
        throw new FeatureCacheError(UNKNOWN_IMAGE_CODE, `no cached record for image ${JSON.stringify(query.imageId)}`, {
          details: { reason: 'unknown_image', imageId: query.imageId },
        });
      }
      const excludeId = includeSelf ? undefined : query.imageId;
      if (dihedral) {
        const hashes = dihedralHashesOf(record.features[DIHEDRAL_FEATURE], DIHEDRAL_FEATURE);
        if (hashes === null) {
          throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `image ${JSON.stringify(query.imageId)} has no ${DIHEDRAL_FEATURE} (extract it with the ${DIHEDRAL_FEATURE} extractor)`, {
            details: { reason: 'no_dihedral', field: DIHEDRAL_FEATURE },
          });
        }
        return { index, hashes, excludeId };
      }
      const hash = index.hashOf(record.features);
      if (hash === null) {
        throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `image ${JSON.stringify(query.imageId)} has no ${index.field} hash`, {
          details: { reason: 'no_hash', field: index.field },
        });
      }
      return { index, hashes: [hash], excludeId };
    }
    if ('hash' in query) {
      const index = this.fieldIndex(query.field);
      return { index, hashes: [parseHash64(query.hash, 'hash')] };
    }
    const named = Object.keys(query).filter((k) => this.fields.has(k));
    if (named.length !== 1) {
      throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `query needs exactly one of imageId, hash, ${DIHEDRAL_FEATURE}, ${this.options.fields.join(', ')}`);
    }
    const field = named[0]!;
    return { index: this.fieldIndex(field), hashes: [parseHash64((query as Record<string, unknown>)[field], field)] };
  }

  /** Batches of (imageId, indexed hash) of a field's dictionary, via SCAN on every master. */
  private async *scanDictionary(index: FieldIndex): AsyncGenerator<Array<{ imageId: string; indexed: bigint }>> {
    const pattern = `${escapeGlob(index.layout.base)}:d:*`;
    for (const node of this.masters()) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT).catch((err) => {
          throw mapRedisError(err, 'similarity cleanup');
        });
        cursor = next;
        if (keys.length === 0) continue;
        const pipe = node.pipeline();
        for (const k of keys) pipe.getBuffer(k);
        const replies = (await pipe.exec()) ?? [];
        const batch: Array<{ imageId: string; indexed: bigint }> = [];
        for (const [err, value] of replies) {
          if (err) throw mapRedisError(err, 'similarity cleanup');
          for (const e of shardEntries(value as Buffer | null)) batch.push({ imageId: e.imageId, indexed: e.hash });
        }
        yield batch;
      } while (cursor !== '0');
    }
  }

  private masters(): Redis[] {
    return this.ctx.router.isCluster ? (this.ctx.client as Cluster).nodes('master') : [this.ctx.client as Redis];
  }
}

/** The 8 hashes of a phash_dihedral value, or null when it is not 8 hashes of 16 hex digits. */
function dihedralHashesOf(value: unknown, name: string): bigint[] | null {
  if (!Array.isArray(value) || value.length !== 8 || !value.every(isHash64)) return null;
  return value.map((h: string) => parseHash64(h, name));
}
