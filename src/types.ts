/** Public types of the featcache library. */
import type { ConnectionOptions } from 'node:tls';
import type { RedisOptions, ClusterNode, ClusterOptions } from 'ioredis';
import type { z } from 'zod';
import type { cacheOptionsSchema } from './cache/options.js';
import type { CodecOptions } from './codec/options.js';
import type { CompareOptions, SearchOptions, SimilarityOptions, SimilarQuery } from './search/options.js';
import type { CompareResult } from './search/compare-set.js';
import type { SimilarResult } from './search/query.js';
import type { CacheEventMap, CacheEventName, CacheListener } from './cache/events.js';
import type { AnalyzeSetOptions, AnalyzeSetResult, SetEdge } from './provenance/analyze-set.js';
import type { OrbFeatures, Verdict, VerifyInput, VerifyOptions, VerifyResult, VerifyTransform } from './provenance/types.js';
import type { VerifyPairOptions } from './provenance/pair-cache.js';
import type { ProvenanceGraph, ProvenanceGraphOptions } from './provenance/graph.js';
import type {
  ProvenanceCandidate,
  ProvenanceIndexOptions,
  ProvenanceQuery,
  ProvenanceSearchOptions,
  ProvenanceSearchResult,
} from './provenance/index/types.js';

export type { AnalyzeSetOptions, AnalyzeSetResult, SetEdge, CodecOptions, CompareOptions, CompareResult, SearchOptions, SimilarityOptions, SimilarQuery, SimilarResult };
export type { OrbFeatures, Verdict, VerifyInput, VerifyOptions, VerifyPairOptions, VerifyResult, VerifyTransform };
export type { ProvenanceCandidate, ProvenanceIndexOptions, ProvenanceQuery, ProvenanceSearchOptions, ProvenanceSearchResult };
export type { RenderOptions } from './provenance/render.js';
export type { ProvenanceGraph, ProvenanceGraphEdge, ProvenanceGraphNode, ProvenanceGraphOptions } from './provenance/graph.js';
export type { CacheEventMap, CacheEventName, CacheListener };

/** Typed arrays that round-trip as the same type, bit-exact. */
export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** A feature value: JSON-like data plus typed arrays (and Buffers, which come back as Uint8Array). */
export type FeatureValue =
  | null
  | boolean
  | number
  | string
  | bigint
  | TypedArray
  | FeatureValue[]
  | { [key: string]: FeatureValue };

/** Feature type name (`fast`, `orb`, `phash`, `embedding`, ...) -> value. */
export type Features = Record<string, FeatureValue>;

/** What get/getMany return. */
export interface FeatureRecord {
  imageId: string;
  /** The feature version the record was written under (the reader's version). */
  version: string;
  features: Features;
  /** When the record was written, ms since the epoch (second precision). */
  createdAt: number;
  /** Set when Redis was unreachable and the near tier answered with its grace copy (`nearCache.serveStaleMs`). */
  stale?: true;
}

export type Compression = NonNullable<CodecOptions['compression']>;
export type Quantize = NonNullable<CodecOptions['quantize']>;

export type TtlStrategy = NonNullable<CacheSettings['ttlStrategy']>;

/** Where Redis is. A string is a redis:// or rediss:// URL. */
export type RedisTarget =
  | string
  | RedisOptions
  | { sentinel: SentinelTarget }
  | { cluster: ClusterTarget };

/**
 * TLS for Sentinel and Cluster connections (Node's tls options; PEM strings or
 * Buffers). For one Redis, use a `rediss://` URL or RedisOptions' own `tls`.
 */
export type RedisTlsOptions = Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'servername' | 'rejectUnauthorized'>;

export interface SentinelTarget {
  /** Master group name, e.g. "featcache". */
  name: string;
  /** TLS to the sentinels and to the master and replicas they name (both must listen with TLS). Absent: plain TCP. */
  tls?: RedisTlsOptions;
  sentinels: Array<{ host: string; port: number }>;
  /** Read from replicas (stale reads possible). @default false */
  readFromReplicas?: boolean;
  password?: string;
  username?: string;
  sentinelPassword?: string;
  db?: number;
}

export interface ClusterTarget {
  nodes: ClusterNode[];
  /** TLS to every node (`tls-cluster yes`: the nodes announce their TLS ports). Absent: plain TCP. */
  tls?: RedisTlsOptions;
  options?: ClusterOptions;
}

/**
 * The scalar options of createFeatureCache (prefix, featureVersion, ttlSeconds,
 * batchSize, compression ...). Defaults, bounds and descriptions live in one
 * zod schema, `cacheOptionsSchema` (src/cache/options.ts), from which the
 * environment table of README.md and docs/HTTP.md is generated.
 */
export type CacheSettings = z.input<typeof cacheOptionsSchema>;

/** Derived data of a withVersion() view: absent = the parent's, false = none, options = its own. */
export interface VersionViewOptions {
  similarity?: SimilarityOptions | false;
  provenanceIndex?: ProvenanceIndexOptions | true | false;
}

export interface FeatureCacheOptions extends CacheSettings {
  /**
   * Redis to use. Absent: featcache starts an embedded private redis-server.
   */
  redis?: RedisTarget;
  /**
   * Keep decoded records in process, kept exact by Redis's invalidation
   * messages (CLIENT TRACKING); see docs/ARCHITECTURE.md "Near tier". Absent: off.
   * One Redis, Sentinel (master reads) or Cluster.
   */
  nearCache?: NearCacheOptions;
  /**
   * Keep a near-duplicate index of 64-bit hash fields (phash, dhash) for
   * searchSimilar(); absent: no index (compareSet still works). See docs/SEARCH.md.
   */
  similarity?: SimilarityOptions;
  /**
   * Keep an inverted index of ORB descriptor chunks for searchProvenance()
   * (`true`: the defaults); absent: no index. See docs/PROVENANCE.md, "Provenance II".
   */
  provenanceIndex?: ProvenanceIndexOptions | true;
  /** Options of the embedded redis-server (used only when `redis` is absent). */
  embedded?: EmbeddedRedisOptions;
  /** A pino-compatible logger; silent when absent. */
  logger?: Logger;
  /**
   * Told the client-side latency of every Redis command (name in lower case,
   * seconds, whether it failed); the service feeds its latency histogram with it.
   * Keep it cheap: it runs once per command.
   */
  onRedisCommand?: (name: string, seconds: number, failed: boolean) => void;
}

export interface NearCacheOptions {
  /** Bytes of encoded records kept (least recently used dropped first). */
  maxBytes: number;
  /** An entry is dropped this long after it was filled, whatever happens. @default 60000 */
  maxAgeMs?: number;
  /**
   * When the invalidation connection drops, keep the tier's records this long as
   * a grace copy, served (flagged `stale`) only to reads that Redis fails with
   * REDIS_UNAVAILABLE. 0: off. @default 0
   */
  serveStaleMs?: number;
}

export interface EmbeddedRedisOptions {
  /** Data directory. @default DEFAULT_EMBEDDED_DIR ('./.featcache') */
  dir?: string;
  /** Port; 0 picks a free one. @default 0 */
  port?: number;
  /** redis-server binary. @default 'redis-server' (from PATH) */
  binary?: string;
  /** maxmemory for the embedded server. @default '512mb' */
  maxmemory?: string;
  /** AOF persistence. @default true */
  appendonly?: boolean;
}

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SetOptions {
  /** Overrides the default TTL for this write; 0 means no expiry. */
  ttlSeconds?: number;
  /** Groups (analysis project, upload batch...) the image joins. */
  groups?: string[];
}

export interface GetOptions {
  /** Return only these feature types. */
  types?: string[];
}

export interface GetOrComputeOptions extends SetOptions {
  /** How long the cross-process lock lives if its holder dies. @default 30000 */
  lockTtlMs?: number;
  /** How long a caller waits for another process's result before computing itself. @default lockTtlMs */
  waitTimeoutMs?: number;
  /**
   * Past this many ms of waiting for the computation (the lock wait included),
   * answer with the record's previous value, flagged `stale`, when the near tier
   * kept one (`nearCache.serveStaleMs`); the computation goes on and stores its result.
   */
  softTimeoutMs?: number;
  /** Past this many ms, fail with COMPUTE_FAILED; the computation goes on and stores its result. */
  hardTimeoutMs?: number;
}

export interface SetManyItem extends SetOptions {
  imageId: string;
  features: Features;
}

export interface CacheStats {
  cache_operations: number;
  cached_images: number;
  cache_hits: number;
  cache_misses: number;
  /** hits / (hits + misses), 0..1; 0 when nothing was read. */
  hit_rate: number;
  cache_errors: number;
  cache_invalidations: number;
  cache_writes: number;
  feature_version: string;
  /** false when expiry/eviction tracking is off (cached_images may then overcount). */
  cached_images_exact: boolean;
}

export interface TopologyNode {
  address: string;
  role: 'master' | 'replica' | 'sentinel' | 'unknown';
  connected: boolean;
}

export interface HealthReport {
  status: 'healthy' | 'unhealthy';
  redis_connected: boolean;
  latency_ms: number | null;
  used_memory: number | null;
  used_memory_human: string | null;
  connected_clients: number | null;
  uptime_seconds: number | null;
  redis_version: string | null;
  maxmemory_policy: string | null;
  topology: {
    mode: 'standalone' | 'sentinel' | 'cluster' | 'embedded';
    master: string | null;
    cluster_state?: string;
    nodes: TopologyNode[];
  };
  /** Why the status is unhealthy. */
  reason?: string;
}

export interface CleanupResult {
  /** Keys removed in total. */
  cleaned_keys: number;
  /** Records of other feature versions removed. */
  stale_version_records: number;
  /** Group-index entries whose record was gone. */
  orphan_group_entries: number;
  /** Keys examined by SCAN. */
  scanned_keys: number;
  /** Derived entries (similarity index) whose record was gone. */
  extension_entries?: number;
  /**
   * Extensions whose repair was skipped because Redis is full (their repairs
   * write); the records, counters and groups were cleaned all the same. Run
   * cleanup again once Redis has room.
   */
  deferred?: string[];
  duration_ms: number;
}

export interface InspectOptions {
  /** SCAN calls (all masters together, ~1,000 keys each) the group search may make; default 100. */
  maxScanSteps?: number;
}

/** What Redis holds for one image (FeatureCache.inspect). */
export interface RecordInspection {
  imageId: string;
  version: string;
  /** Whole seconds until the record expires (rounded up); null: no expiry. */
  ttlSeconds: number | null;
  /** Bytes of the encoded record (STRLEN of its key). */
  storedBytes: number;
  /** Redis's own accounting of the key (MEMORY USAGE, key and overhead included); null where Redis refuses the command. */
  memoryBytes: number | null;
  /** The groups of this version the image belongs to, sorted. */
  groups: string[];
  /** false: the bounded SCAN of group keys stopped before the end, `groups` may miss some. */
  groupsComplete: boolean;
  /** SCAN calls made to find the groups. */
  scanSteps: number;
}

export interface FeatureCache {
  readonly featureVersion: string;
  readonly prefix: string;
  set(imageId: string, features: Features, opts?: SetOptions): Promise<void>;
  get(imageId: string, opts?: GetOptions): Promise<FeatureRecord | null>;
  setMany(items: SetManyItem[]): Promise<{ written: number }>;
  getMany(imageIds: string[], opts?: GetOptions): Promise<Array<FeatureRecord | null>>;
  merge(imageId: string, partial: Features, opts?: SetOptions): Promise<FeatureRecord>;
  /** The cached record, or compute, store and return it; concurrent misses compute once. */
  getOrCompute(imageId: string, compute: (imageId: string) => Promise<Features>, opts?: GetOrComputeOptions): Promise<FeatureRecord>;
  /** getOrCompute over many IDs (one batch lookup first); aligned with the input. */
  getOrComputeMany(
    imageIds: string[],
    compute: (imageId: string) => Promise<Features>,
    opts?: GetOrComputeOptions & { concurrency?: number },
  ): Promise<FeatureRecord[]>;
  invalidate(imageId: string): Promise<boolean>;
  invalidateMany(imageIds: string[]): Promise<number>;
  listGroup(group: string): Promise<string[]>;
  invalidateGroup(group: string): Promise<number>;
  /**
   * The record's remaining TTL, size in Redis and groups; null when there is no
   * record. Groups have no reverse index: they are found by a SCAN of the group
   * keys bounded by `maxScanSteps` (`groupsComplete` says whether it finished).
   * For dashboards and audits, not hot paths.
   */
  inspect(imageId: string, opts?: InspectOptions): Promise<RecordInspection | null>;
  /**
   * The image IDs of every record of this version, in batches (SCAN on every
   * master: IDs written or removed during the walk may or may not appear).
   * For exports and audits; `featcache export` is built on it.
   */
  scanIds(): AsyncIterable<string[]>;
  /**
   * The same cache under another feature version, sharing this one's Redis
   * connection. Closing the view leaves this cache open.
   */
  withVersion(featureVersion: string, opts?: VersionViewOptions): Promise<FeatureCache>;
  /** Cached images whose hash is within `maxDistance` bits of the query's, nearest first (needs the `similarity` option). */
  searchSimilar(query: SimilarQuery, opts: SearchOptions): Promise<SimilarResult>;
  /** All pairs among `imageIds` whose hashes are within `maxDistance` bits: one batch lookup, popcount in process. */
  compareSet(imageIds: string[], opts: CompareOptions): Promise<CompareResult>;
  /**
   * Geometric verification of two cached records (verifyFeatures on both), with
   * the verdict cached in Redis for the ordered pair and served only while both
   * records are unchanged (`cached: true`). NOT_FOUND when a record is missing.
   */
  verifyPair(idA: string, idB: string, opts?: VerifyPairOptions): Promise<VerifyResult & { cached: boolean }>;
  /**
   * Where does this image come from? Candidates from the provenance index (needs
   * the `provenanceIndex` option), the top ones verified geometrically, then the
   * donors of a composite (two-tier search). See docs/PROVENANCE.md, "Provenance II".
   */
  searchProvenance(query: ProvenanceQuery, opts?: ProvenanceSearchOptions): Promise<ProvenanceSearchResult>;
  /**
   * Groups of related images among `imageIds` (the one-call duplicate check):
   * one batch read, cheap candidate pairs, verification of those only. See docs/PROVENANCE.md.
   */
  analyzeSet(imageIds: string[], opts?: AnalyzeSetOptions): Promise<AnalyzeSetResult>;
  /**
   * Which image of a set was derived from which: a maximum spanning tree over the
   * verified pairs, each edge directed from measured evidence or "direction unknown",
   * and the composites. See docs/PROVENANCE.md.
   */
  provenanceGraph(imageIds: string[], opts?: ProvenanceGraphOptions): Promise<ProvenanceGraph>;
  stats(): Promise<CacheStats>;
  health(): Promise<HealthReport>;
  cleanup(): Promise<CleanupResult>;
  close(): Promise<void>;
  /** Listens to the cache's events (hit, miss, set, invalidate, evict, expire, error). */
  on<K extends CacheEventName>(name: K, listener: CacheListener<K>): void;
  off<K extends CacheEventName>(name: K, listener: CacheListener<K>): void;
}
