/**
 * FeatureCache on Redis: one key per (prefix, version, image), values encoded by
 * the codec, batches chunked and pipelined, stats counted in process and
 * flushed to a shared hash.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { createCodec, type RecordCodec } from '../codec/index.js';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import type { RedisConnection } from '../redis/connection.js';
import { KeySchema } from '../redis/keys.js';
import { isRedisFullError } from '../redis/map-error.js';
import { KeyRouter } from '../redis/router.js';
import type {
  CacheStats,
  CleanupResult,
  FeatureCache,
  FeatureRecord,
  Features,
  GetOptions,
  GetOrComputeOptions,
  HealthReport,
  InspectOptions,
  RecordInspection,
  SetManyItem,
  SetOptions,
} from '../types.js';
import { compareSet } from '../search/compare-set.js';
import { verifyPair, type VerifyPairOptions } from '../provenance/pair-cache.js';
import type { VerifyResult } from '../provenance/types.js';
import { analyzeSet, type AnalyzeSetDeps, type AnalyzeSetOptions, type AnalyzeSetResult } from '../provenance/analyze-set.js';
import { provenanceGraph, type ProvenanceGraph, type ProvenanceGraphOptions } from '../provenance/graph.js';
import { SimilarityIndex } from '../search/similarity-index.js';
import type {
  CompareOptions,
  CompareResult,
  ProvenanceQuery,
  ProvenanceSearchOptions,
  ProvenanceSearchResult,
  SearchOptions,
  SimilarQuery,
  SimilarResult,
  VersionViewOptions,
} from '../types.js';
import { ProvenanceIndex } from '../provenance/index/provenance-index.js';
import { searchProvenance } from '../provenance/index/search.js';
import { extractQueryFeatures } from '../provenance/index/query-features.js';
import { viewExtensions } from './extension-factories.js';
import { chunk, mapChunks } from './batch.js';
import { runCleanup } from './cleanup.js';
import { scanRecordIds } from './scan-ids.js';
import { inspectRecord } from './inspect.js';
import { Coalescer } from './coalescer.js';
import { collectGroups, GroupIndex } from './groups.js';
import { ExpiryTracker } from './expiry-tracker.js';
import { CacheEvents, type CacheEventName, type CacheListener } from './events.js';
import { NearCache } from './near-cache.js';
import { checkHealth } from './health.js';
import type { CacheExtension, ExtensionContext } from './extension.js';
import { resolveOptions, type ResolvedOptions } from './options.js';
import { ReadThrough } from './read-through.js';
import { RecordStore, type WriteEntry } from './record-store.js';
import { readStats } from './stats-reader.js';
import { StatsCounters } from './stats-counters.js';
import { jitteredTtlMs } from './ttl.js';
import { assertFeatures, assertGroup, assertImageId, assertTtl } from './validate.js';

/** A record validated and encoded, ready for Redis. */
interface PreparedWrite {
  entry: WriteEntry;
  imageId: string;
  features: Features;
  groups?: string[];
}

export class RedisFeatureCache implements FeatureCache {
  readonly featureVersion: string;
  readonly prefix: string;
  readonly keys: KeySchema;
  private readonly codec: RecordCodec;
  private readonly router: KeyRouter;
  private readonly store: RecordStore;
  private readonly groups: GroupIndex;
  private readonly counters: StatsCounters;
  private readonly tracker: ExpiryTracker | null;
  private readonly sliding: (() => number) | undefined;
  private readonly readThrough: ReadThrough;
  readonly extensions: CacheExtension[];
  /** Shared with views: one near tier (keyed by Redis key, so per version) and one set of listeners. */
  private readonly events: CacheEvents;
  readonly near: NearCache | null;
  private closed: Promise<void> | null = null;
  /** Open views made by withVersion() (expiry events are routed to those of the removed key's version). */
  private readonly views = new Set<RedisFeatureCache>();
  /** Concurrent get() and set() calls, batched per event-loop turn (null when coalescing is off). */
  private readonly singleReads: Coalescer<string, FeatureRecord | null> | null;
  private readonly singleWrites: Coalescer<PreparedWrite, void> | null;

  constructor(
    private readonly o: ResolvedOptions,
    private readonly conn: RedisConnection,
    /** Set for a view made by withVersion(): it shares the parent's connection and expiry tracker. */
    private readonly parent?: RedisFeatureCache,
  ) {
    this.featureVersion = o.featureVersion;
    this.prefix = o.prefix;
    this.router = new KeyRouter(conn.client);
    this.keys = new KeySchema(o.prefix, o.featureVersion, this.router.isCluster);
    this.codec = createCodec(o);
    this.store = new RecordStore(conn.client, conn.reader, this.router, this.keys, o);
    this.groups = new GroupIndex(conn.client, this.store, this.keys, o.batchSize * 10);
    this.counters = new StatsCounters(conn.client, this.keys.stats);
    this.events = parent ? parent.events : new CacheEvents();
    this.near = parent
      ? parent.near
      : o.nearCache
        ? new NearCache(conn, `${o.prefix}:`, o.nearCache, this.events, o.logger, Math.max(250, o.commandTimeoutMs))
        : null;
    this.tracker = parent
      ? parent.tracker
      : o.trackExpiry
      ? new ExpiryTracker(conn.client, this.keys, o.logger, {
          onRemoved: async (version, ids) => {
            this.events.emit('expire', { imageIds: ids, version });
            for (const target of [this, ...this.views]) {
              if (target.featureVersion === version) await target.notify('afterRemove', ids);
            }
          },
        })
      : null;
    this.readThrough = new ReadThrough({
      client: conn.client,
      lockKey: (id) => this.keys.lock(id),
      get: (id) => this.getUncounted(id, {}),
      peek: async (id) => {
        const [value] = await this.store.read([this.keys.record(id)]);
        return value ? this.decode(id, value, undefined) : null;
      },
      put: async (id, features, opts) => {
        await this.setUncounted(id, features, opts);
        return { imageId: id, version: this.featureVersion, features, createdAt: Math.floor(Date.now() / 1000) * 1000 };
      },
      previous: (id) => this.near?.tier.previous(this.keys.recordPrefix, id),
    });
    const ctx: ExtensionContext = {
      client: conn.client,
      router: this.router,
      keys: this.keys,
      logger: o.logger,
      exists: (ids) => this.store.exists(ids.map((id) => this.keys.record(id))),
      peekMany: (ids) => this.peekMany(ids),
      scanIds: () => scanRecordIds(conn.client, this.router, this.keys),
    };
    this.extensions = (o.extensions ?? []).map((make) => make(ctx));
    this.sliding = o.ttlStrategy === 'sliding' && o.ttlSeconds > 0 ? () => jitteredTtlMs(o.ttlSeconds, o.ttlJitter) : undefined;
    // On a Cluster a batch spans every master, so one master's failure would fail
    // callers whose keys live elsewhere: a failed batch is then answered call by call.
    // (Each caller's failure is counted by its own public call: see counted().)
    const cluster = this.router.isCluster;
    this.singleReads = o.coalesce
      ? new Coalescer<string, FeatureRecord | null>({
          run: (ids) => this.readValidated(ids, undefined),
          maxBatch: o.batchSize,
          retryAlone: cluster ? async (id) => (await this.readValidated([id], undefined))[0] ?? null : undefined,
        })
      : null;
    this.singleWrites = o.coalesce
      ? new Coalescer<PreparedWrite, void>({
          run: async (writes) => {
            await this.writePrepared(writes);
            return writes.map(() => undefined);
          },
          maxBatch: o.batchSize,
          retryAlone: cluster ? async (write) => void (await this.writePrepared([write])) : undefined,
        })
      : null;
  }

  /** Starts background work (stats flush, expiry tracking). Called by createFeatureCache. */
  async start(): Promise<void> {
    this.counters.start(this.o.statsFlushIntervalMs, (err) =>
      this.o.logger.debug({ err: (err as Error).message }, 'stats flush failed; will retry'),
    );
    if (!this.parent) await Promise.all([this.tracker?.start(), this.near?.start(this.o.connectTimeoutMs)]);
  }

  on<K extends CacheEventName>(name: K, listener: CacheListener<K>): void {
    this.events.on(name, listener);
  }

  off<K extends CacheEventName>(name: K, listener: CacheListener<K>): void {
    this.events.off(name, listener);
  }

  /**
   * The same cache under another feature version, on the same connection (e.g.
   * user-supplied features under "1.0" and extracted ones under
   * "1.0+phash.1+..."). The parent's expiry tracker keeps the view's count exact
   * too. Closing the view leaves the parent open; closing the parent closes the
   * connection under both.
   */
  async withVersion(featureVersion: string, opts: VersionViewOptions = {}): Promise<RedisFeatureCache> {
    this.assertOpen();
    const root = this.parent ?? this;
    // the view keeps its own derived data: the parent's extensions, each kind named in opts replaced or dropped
    const extensions = viewExtensions(this.o.extensions ?? [], opts);
    const o = resolveOptions({ ...this.o, featureVersion, extensions });
    const view = new RedisFeatureCache(o, this.conn, root);
    await view.start();
    root.views.add(view);
    return view;
  }

  /** The Redis connection (for health checks and the HTTP layer's readiness). */
  get connection(): RedisConnection {
    return this.conn;
  }

  set(imageId: string, features: Features, opts: SetOptions = {}): Promise<void> {
    return this.counted(() => this.setUncounted(imageId, features, opts));
  }

  private async setUncounted(imageId: string, features: Features, opts: SetOptions): Promise<void> {
    const writes = this.singleWrites;
    if (!writes) {
      await this.setManyUncounted([{ imageId, features, ...opts }]);
      return;
    }
    this.assertOpen();
    // validated and encoded before it joins a batch: a bad input fails only its own call
    const write = this.prepareWrite({ imageId, features, ...opts }, Date.now(), 0);
    this.singleReads?.flush(); // reads issued before this write go first
    await writes.push(write);
  }

  get(imageId: string, opts: GetOptions = {}): Promise<FeatureRecord | null> {
    // a near-tier hit cannot fail: it skips the error-counting wrapper (one promise less)
    const near = opts.types === undefined ? this.nearHit(imageId) : undefined;
    return near ? Promise.resolve(near) : this.counted(() => this.getUncounted(imageId, opts));
  }

  /** The record from the near tier, counted as a hit; only valid IDs enter the tier, so a hit needs no validation. */
  private nearHit(imageId: string): FeatureRecord | undefined {
    if (this.closed || this.parent?.closed) return undefined;
    const near = this.near?.tier.get(this.keys.recordPrefix, imageId);
    if (near) {
      this.counters.reads(1, 0);
      if (this.events.wants('hit')) this.events.emit('hit', { imageId, version: this.featureVersion, source: 'near' });
    }
    return near;
  }

  private async getUncounted(imageId: string, opts: GetOptions): Promise<FeatureRecord | null> {
    const reads = this.singleReads;
    if (!reads || opts.types !== undefined) {
      const [record] = await this.getManyUncounted([imageId], opts);
      return record ?? null;
    }
    this.assertOpen();
    assertImageId(imageId, this.o.maxImageIdBytes);
    this.singleWrites?.flush(); // writes issued before this read go first
    return reads.push(imageId);
  }

  /**
   * Every public call runs in here: a failure that is not the caller's fault
   * (Redis, a merge conflict, a bug) counts one `cache_errors`. Calls that use
   * other calls (getOrCompute -> get/set, invalidateGroup -> invalidateMany) use
   * their *Uncounted forms, so a failure is counted once.
   */
  private counted<T>(call: () => Promise<T>): Promise<T> {
    // a .catch, not an async wrapper: one promise less on the hot path (the calls are async, so they never throw)
    return call().catch((err: unknown) => {
      if (countsAsCacheError(err)) {
        this.counters.add('cache_errors');
        this.events.emit('error', { operation: 'call', error: err as Error });
      }
      throw err;
    });
  }

  /**
   * Sends queued single-image calls now, so that a call which bypasses the
   * queues (batches, invalidation, merge, groups) runs after them, in the order
   * the caller made the calls. At most one queue holds calls at a time.
   */
  private flushSingles(): void {
    this.singleReads?.flush();
    this.singleWrites?.flush();
  }

  setMany(items: SetManyItem[]): Promise<{ written: number }> {
    return this.counted(() => this.setManyUncounted(items));
  }

  private async setManyUncounted(items: SetManyItem[]): Promise<{ written: number }> {
    this.assertOpen();
    if (!Array.isArray(items)) throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, 'items must be an array');
    const now = Date.now();
    // validate and encode everything before the first byte goes to Redis
    const prepared = items.map((item, i) => this.prepareWrite(item, now, i));
    this.flushSingles();
    return { written: await this.writePrepared(prepared) };
  }

  /** Writes validated, encoded records: chunked, pipelined, counted. Returns how many. */
  private async writePrepared(prepared: PreparedWrite[]): Promise<number> {
    await mapChunks(chunk(prepared, this.o.batchSize), this.o.batchConcurrency, async (part) => {
      try {
        await this.store.write(part.map((p) => p.entry), collectGroups(part, this.keys));
      } finally {
        // again once answered: drops what a read racing the write put back
        this.near?.tier.invalidate(part.map((p) => p.entry.key));
      }
      if (this.events.wants('set')) this.events.emit('set', { imageIds: part.map((p) => p.imageId), version: this.featureVersion });
      this.counters.add('cache_writes', part.length);
      this.counters.add('cache_operations', part.length);
      if (this.extensions.length > 0) await this.notify('afterWrite', part.map((p) => ({ imageId: p.imageId, features: p.features })));
    });
    return prepared.length;
  }

  getMany(imageIds: string[], opts: GetOptions = {}): Promise<Array<FeatureRecord | null>> {
    return this.counted(() => this.getManyUncounted(imageIds, opts));
  }

  private async getManyUncounted(imageIds: string[], opts: GetOptions): Promise<Array<FeatureRecord | null>> {
    this.assertOpen();
    if (!Array.isArray(imageIds)) throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, 'imageIds must be an array');
    const max = this.o.maxImageIdBytes;
    for (const id of imageIds) assertImageId(id, max);
    this.flushSingles();
    return this.readValidated(imageIds, opts.types);
  }

  /** Reads validated IDs: chunked, pipelined, hits and misses counted per image. */
  private async readValidated(imageIds: string[], types: string[] | undefined): Promise<Array<FeatureRecord | null>> {
    const fetch = (keys: string[]) => this.store.read(keys, this.sliding);
    const near = this.near;
    const parts = await mapChunks(chunk(imageIds, this.o.batchSize), this.o.batchConcurrency, async (ids) => {
      if (!near) return (await fetch(ids.map((id) => this.keys.record(id)))).map((value, i) => (value === null ? null : this.decode(ids[i]!, value, types)));
      // the tier keeps whole records: `types` is applied to what it returns
      const { records, fromNear } = await near.read(this.keys.recordPrefix, ids, (keys) => this.store.readWithTtl(keys), (i, value) => this.decode(ids[i]!, value, undefined));
      if (this.events.wants('hit')) {
        records.forEach((r, i) => r && this.events.emit('hit', { imageId: ids[i]!, version: this.featureVersion, source: fromNear[i] ? 'near' : 'redis' }));
      }
      return types ? records.map((r) => r && { ...r, features: pick(r.features, types) }) : records;
    });
    const out = parts.length === 1 ? parts[0]! : parts.flat();
    let hits = 0;
    for (const r of out) if (r !== null) hits++;
    this.counters.reads(hits, out.length - hits);
    if (this.events.wants('hit') || this.events.wants('miss')) this.emitReads(imageIds, out, near !== null);
    return out;
  }

  merge(imageId: string, partial: Features, opts: SetOptions = {}): Promise<FeatureRecord> {
    return this.counted(async () => {
      this.assertOpen();
      // every input is checked before the first byte goes to Redis (the group names used to be checked after the write)
      assertImageId(imageId, this.o.maxImageIdBytes);
      assertFeatures(partial);
      if (opts.ttlSeconds !== undefined) assertTtl(opts.ttlSeconds);
      const groups = this.validGroups(opts.groups, 'groups');
      const key = this.keys.record(imageId);
      this.flushSingles();
      for (let attempt = 0; attempt < this.o.mergeRetries; attempt++) {
        const [current] = await this.store.read([key]);
        const base = current ? this.decode(imageId, current, undefined) : null;
        const features: Features = { ...(base?.features ?? {}), ...partial };
        const createdAt = Date.now();
        const value = this.codec.encode(features, createdAt);
        const ttlMs = jitteredTtlMs(opts.ttlSeconds ?? this.o.ttlSeconds, this.o.ttlJitter);
        this.near?.tier.invalidate([key]);
        const written = await this.store.compareAndSet(key, current ?? null, value, ttlMs, opts.ttlSeconds === undefined);
        this.near?.tier.invalidate([key]);
        if (written) {
          if (groups?.length) await this.groups.add(imageId, groups, ttlMs);
          this.counters.add('cache_writes');
          this.counters.add('cache_operations');
          if (this.extensions.length > 0) await this.notify('afterWrite', [{ imageId, features }]);
          return { imageId, version: this.featureVersion, features, createdAt: Math.floor(createdAt / 1000) * 1000 };
        }
        // lost the race: back off a little, with jitter, and read again
        await delay(Math.min(50, 1 + attempt * 2) * Math.random());
      }
      throw new FeatureCacheError(ErrorCodes.MERGE_CONFLICT, `merge of ${JSON.stringify(imageId)} lost ${this.o.mergeRetries} races in a row`);
    });
  }

  getOrCompute(imageId: string, compute: (imageId: string) => Promise<Features>, opts: GetOrComputeOptions = {}): Promise<FeatureRecord> {
    return this.counted(async () => {
      this.assertOpen();
      assertImageId(imageId, this.o.maxImageIdBytes);
      return this.readThrough.getOrCompute(imageId, compute, opts);
    });
  }

  getOrComputeMany(
    imageIds: string[],
    compute: (imageId: string) => Promise<Features>,
    opts: GetOrComputeOptions & { concurrency?: number } = {},
  ): Promise<FeatureRecord[]> {
    return this.counted(async () => {
      const found = await this.getManyUncounted(imageIds, {});
      const missing = [...new Set(imageIds.filter((_, i) => found[i] === null))];
      const computed = new Map<string, FeatureRecord>();
      await mapChunks(
        missing.map((id) => [id]),
        opts.concurrency ?? 8,
        // already counted as misses by the getMany above
        async ([id]) => void computed.set(id!, await this.readThrough.computeMissing(id!, compute, opts)),
      );
      return found.map((r, i) => r ?? computed.get(imageIds[i]!)!);
    });
  }

  searchSimilar(query: SimilarQuery, opts: SearchOptions): Promise<SimilarResult> {
    return this.counted(async () => {
      this.assertOpen();
      const index = this.extensions.find((e): e is SimilarityIndex => e instanceof SimilarityIndex);
      if (!index) {
        throw new FeatureCacheError(ErrorCodes.INVALID_OPTIONS, 'similarity search needs an index: create the cache with the `similarity` option');
      }
      return index.searchSimilar(query, opts);
    });
  }

  compareSet(imageIds: string[], opts: CompareOptions): Promise<CompareResult> {
    return this.counted(async () => {
      this.assertOpen();
      if (Array.isArray(imageIds)) for (const id of imageIds) assertImageId(id, this.o.maxImageIdBytes);
      return compareSet((ids) => this.peekMany(ids), imageIds, opts);
    });
  }

  /** Where does this image come from? (docs/PROVENANCE.md, "Provenance II") */
  searchProvenance(query: ProvenanceQuery, opts?: ProvenanceSearchOptions): Promise<ProvenanceSearchResult> {
    return this.counted(async () => {
      this.assertOpen();
      const index = this.extensions.find((e): e is ProvenanceIndex => e instanceof ProvenanceIndex);
      if (!index) {
        throw new FeatureCacheError(ErrorCodes.INVALID_OPTIONS, 'provenance search needs an index: create the cache with the `provenanceIndex` option');
      }
      if (query !== null && typeof query === 'object' && 'imageId' in query) assertImageId(query.imageId, this.o.maxImageIdBytes);
      this.flushSingles();
      return searchProvenance({ index, peekMany: (ids) => this.peekMany(ids), extract: extractQueryFeatures }, query, opts);
    });
  }

  async verifyPair(idA: string, idB: string, opts?: VerifyPairOptions): Promise<VerifyResult & { cached: boolean }> {
    this.assertOpen();
    assertImageId(idA, this.o.maxImageIdBytes);
    assertImageId(idB, this.o.maxImageIdBytes);
    this.flushSingles();
    return verifyPair({ ...this.pairCache(), peekMany: (ids) => this.peekMany(ids) }, idA, idB, opts);
  }

  async analyzeSet(imageIds: string[], opts?: AnalyzeSetOptions): Promise<AnalyzeSetResult> {
    this.assertOpen();
    if (Array.isArray(imageIds)) for (const id of imageIds) assertImageId(id, this.o.maxImageIdBytes);
    this.flushSingles();
    return analyzeSet({ read: (ids) => this.peekMany(ids), pairs: this.pairCache() }, imageIds, opts);
  }

  /** The provenance graph of a set of cached images (src/provenance/graph.ts, docs/PROVENANCE.md). */
  async provenanceGraph(imageIds: string[], opts?: ProvenanceGraphOptions): Promise<ProvenanceGraph> {
    this.assertOpen();
    if (Array.isArray(imageIds)) for (const id of imageIds) assertImageId(id, this.o.maxImageIdBytes);
    this.flushSingles();
    return provenanceGraph({ read: (ids) => this.peekMany(ids), pairs: this.pairCache() }, imageIds, opts);
  }

  /** Where pairwise verdicts are cached (verifyPair, analyzeSet, provenanceGraph). */
  private pairCache(): AnalyzeSetDeps['pairs'] {
    return { client: this.conn.client, keys: this.keys };
  }

  /** Records without counting hits or misses (for derived computations). */
  private async peekMany(ids: string[]): Promise<Array<FeatureRecord | null>> {
    const values = await mapChunks(chunk(ids, this.o.batchSize), this.o.batchConcurrency, (part) =>
      this.store.read(part.map((id) => this.keys.record(id))),
    );
    return values.flat().map((v, i) => (v ? this.decode(ids[i]!, v, undefined) : null));
  }

  async invalidate(imageId: string): Promise<boolean> {
    return (await this.invalidateMany([imageId])) === 1;
  }

  invalidateMany(imageIds: string[]): Promise<number> {
    return this.counted(() => this.invalidateManyUncounted(imageIds));
  }

  private async invalidateManyUncounted(imageIds: string[]): Promise<number> {
    this.assertOpen();
    if (!Array.isArray(imageIds)) throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, 'imageIds must be an array');
    for (const id of imageIds) assertImageId(id, this.o.maxImageIdBytes);
    const unique = [...new Set(imageIds)];
    this.flushSingles();
    this.near?.tier.invalidate(unique.map((id) => this.keys.record(id)));
    const counts = await mapChunks(chunk(unique, this.o.batchSize), this.o.batchConcurrency, async (ids) => {
      const keys = ids.map((id) => this.keys.record(id));
      try {
        return await this.store.remove(keys);
      } finally {
        this.near?.tier.invalidate(keys);
      }
    });
    if (this.events.wants('invalidate')) this.events.emit('invalidate', { source: 'call', imageIds: unique, version: this.featureVersion });
    const removed = counts.reduce((a, b) => a + b, 0);
    if (this.extensions.length > 0) await this.notify('afterRemove', unique);
    this.counters.add('cache_invalidations', removed);
    this.counters.add('cache_operations', unique.length);
    return removed;
  }

  listGroup(group: string): Promise<string[]> {
    return this.counted(async () => {
      this.assertOpen();
      assertGroup(group, this.o.maxImageIdBytes);
      this.flushSingles();
      return this.groups.live(group);
    });
  }

  async inspect(imageId: string, opts?: InspectOptions): Promise<RecordInspection | null> {
    this.assertOpen();
    assertImageId(imageId, this.o.maxImageIdBytes);
    const steps = opts?.maxScanSteps;
    if (steps !== undefined && !(Number.isInteger(steps) && steps >= 0)) {
      throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, 'maxScanSteps must be a non-negative integer');
    }
    this.flushSingles(); // a set() still waiting to be coalesced is seen
    return inspectRecord(this.conn.client, this.router, this.keys, imageId, opts);
  }

  scanIds(): AsyncIterable<string[]> {
    this.assertOpen();
    this.flushSingles();
    return scanRecordIds(this.conn.client, this.router, this.keys);
  }

  invalidateGroup(group: string): Promise<number> {
    return this.counted(async () => {
      this.assertOpen();
      assertGroup(group, this.o.maxImageIdBytes);
      this.flushSingles();
      const members = await this.groups.members(group, 'group invalidate');
      const removed = members.length > 0 ? await this.invalidateManyUncounted(members) : 0;
      await this.groups.drop(group);
      return removed;
    });
  }

  /** Never fails because a counter flush failed (a full Redis refuses HINCRBY): the deltas are kept for later. */
  async stats(): Promise<CacheStats> {
    this.assertOpen();
    const exact = this.tracker?.enabled ?? false;
    await this.tracker?.flush(); // keeps what it could not send
    if (this.router.isCluster) {
      await this.counters.flush().catch((err) => this.o.logger.debug({ err: (err as Error).message }, 'stats flush failed; will retry'));
      return readStats(this.conn.client, this.router, this.keys, exact);
    }
    // one node: the local increments travel in the same round trip as the reads
    return readStats(this.conn.client, this.router, this.keys, exact, this.counters.take(), (unsent) => this.counters.restore(unsent));
  }

  async health(): Promise<HealthReport> {
    return checkHealth(this.conn, this.o.commandTimeoutMs);
  }

  async cleanup(): Promise<CleanupResult> {
    this.assertOpen();
    // versions in use: the root's and those of its open views
    const root = this.parent ?? this;
    const caches = [root, ...root.views];
    const keep = new Set(caches.map((c) => c.featureVersion));
    const result = await runCleanup(this.conn.client, this.router, this.keys, this.store, keep);
    for (const cache of caches) {
      for (const ext of cache.extensions) {
        let n: number;
        try {
          n = await ext.cleanup();
        } catch (err) {
          // a full Redis refuses the repair's writes; freeing memory (above) must not depend on them
          if (!isRedisFullError(err)) throw err;
          (result.deferred ??= []).push(`${ext.name}@${cache.featureVersion}`);
          this.o.logger.warn({ extension: ext.name, version: cache.featureVersion }, 'cleanup: Redis is full, so the extension repair is deferred; run cleanup again once it has room');
          continue;
        }
        result.cleaned_keys += n;
        result.extension_entries = (result.extension_entries ?? 0) + n;
      }
    }
    return result;
  }

  /** Runs an extension hook; failures are logged and counted, never thrown. */
  private async notify(hook: 'afterWrite', items: Array<{ imageId: string; features: Features }>): Promise<void>;
  private async notify(hook: 'afterRemove', ids: readonly string[]): Promise<void>;
  private async notify(hook: 'afterWrite' | 'afterRemove', arg: never): Promise<void> {
    for (const ext of this.extensions) {
      try {
        await (ext[hook] as (a: unknown) => Promise<void>).call(ext, arg);
      } catch (err) {
        this.counters.add('cache_errors');
        this.o.logger.warn({ extension: ext.name, hook, err: (err as Error).message }, 'extension hook failed; cleanup() repairs it');
      }
    }
  }

  async close(): Promise<void> {
    this.closed ??= (async () => {
      // calls accepted before close() still get their answers
      await Promise.all([this.singleReads?.drain(), this.singleWrites?.drain()]).catch(() => {});
      for (const view of [...this.views]) await view.close();
      this.counters.stop();
      if (!this.parent) await Promise.all([this.tracker?.stop().catch(() => {}), this.near?.stop().catch(() => {})]);
      for (const ext of this.extensions) await ext.close?.().catch(() => {});
      await this.counters.flush().catch(() => {});
      if (this.parent) this.parent.views.delete(this);
      else await this.conn.close();
    })();
    return this.closed;
  }

  private assertOpen(): void {
    if (this.closed || this.parent?.closed) throw new FeatureCacheError(ErrorCodes.CLOSED, 'the cache is closed');
  }

  private prepareWrite(item: SetManyItem, now: number, index: number): PreparedWrite {
    if (item === null || typeof item !== 'object') {
      throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `items[${index}] must be an object`);
    }
    assertImageId(item.imageId, this.o.maxImageIdBytes);
    assertFeatures(item.features);
    if (item.ttlSeconds !== undefined) assertTtl(item.ttlSeconds);
    this.validGroups(item.groups, `items[${index}].groups`);
    const value = this.codec.encode(item.features, now);
    const ttlMs = jitteredTtlMs(item.ttlSeconds ?? this.o.ttlSeconds, this.o.ttlJitter);
    const key = this.keys.record(item.imageId);
    // dropped when the write is issued: a read issued after it, even before it is sent, misses the tier
    this.near?.tier.invalidate([key]);
    return { entry: { key, value, ttlMs }, imageId: item.imageId, features: item.features, groups: item.groups };
  }

  /** hit/miss events of one read, only built when someone listens (with a near tier, hits were told per chunk). */
  private emitReads(imageIds: string[], out: Array<FeatureRecord | null>, near: boolean): void {
    const version = this.featureVersion;
    out.forEach((r, i) => {
      const imageId = imageIds[i]!;
      if (r === null) this.events.emit('miss', { imageId, version });
      else if (!near) this.events.emit('hit', { imageId, version, source: 'redis' });
    });
  }

  /** Checks an optional list of group names (`what` names it in the error). */
  private validGroups(groups: unknown, what: string): string[] | undefined {
    if (groups === undefined) return undefined;
    if (!Array.isArray(groups)) throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `${what} must be an array`);
    for (const g of groups) assertGroup(g, this.o.maxImageIdBytes);
    return groups as string[];
  }

  /** A corrupt record is a miss, counted as an error; the cache keeps serving. */
  private decode(imageId: string, value: Buffer, types: string[] | undefined): FeatureRecord | null {
    try {
      const { features, createdAt } = this.codec.decode(value);
      return { imageId, version: this.featureVersion, features: types ? pick(features, types) : features, createdAt };
    } catch (err) {
      this.counters.add('cache_errors');
      this.o.logger.warn({ imageId, code: (err as FeatureCacheError).code }, 'corrupt record treated as a miss');
      return null;
    }
  }
}

/** Caller mistakes that are not the cache's failures: they never count as cache_errors. */
const CALLER_FAULTS: ReadonlySet<string> = new Set([
  ErrorCodes.INVALID_IMAGE_ID,
  ErrorCodes.INVALID_FEATURES,
  ErrorCodes.INVALID_ARGUMENT,
  ErrorCodes.INVALID_OPTIONS,
  ErrorCodes.PAYLOAD_TOO_LARGE,
  ErrorCodes.NOT_FOUND,
  ErrorCodes.CLOSED,
  ErrorCodes.COMPUTE_FAILED,
]);

/** True when a failed call counts as a cache error. */
function countsAsCacheError(err: unknown): boolean {
  return !(err instanceof FeatureCacheError && CALLER_FAULTS.has(err.code));
}

function pick(features: Features, types: string[]): Features {
  const out: Features = {};
  for (const t of types) if (Object.prototype.hasOwnProperty.call(features, t)) out[t] = features[t]!;
  return out;
}
