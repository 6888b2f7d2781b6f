/**
 * Extensions keep derived data (the similarity index) in step with the records:
 * the cache calls them after every successful write and removal, when Redis
 * expires or evicts a record (on the instance that tracks expiry), and during
 * cleanup(). An extension's failure is logged and counted, never fails the write
 * that triggered it: the record is the truth, derived data is repaired by cleanup.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Features, Logger } from '../types.js';
import type { KeySchema } from '../redis/keys.js';
import type { KeyRouter } from '../redis/router.js';

export interface ExtensionContext {
  client: Redis | Cluster;
  router: KeyRouter;
  keys: KeySchema;
  logger: Logger;
  /** Whether each image currently has a record (no values transferred). */
  exists(imageIds: string[]): Promise<boolean[]>;
  /** The records of these images, aligned (null for a miss), without counting hits or misses. */
  peekMany(imageIds: string[]): Promise<Array<{ imageId: string; features: Features } | null>>;
  /** The IDs of every record of this version, in batches (SCAN; for cleanup's repairs). */
  scanIds(): AsyncIterable<string[]>;
}

export interface CacheExtension {
  readonly name: string;
  afterWrite(items: ReadonlyArray<{ imageId: string; features: Features }>): Promise<void>;
  afterRemove(imageIds: readonly string[]): Promise<void>;
  /** Removes derived entries whose record is gone; returns how many. */
  cleanup(): Promise<number>;
  close?(): Promise<void>;
}
