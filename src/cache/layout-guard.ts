/**
 * The layout check of a derived index (the similarity index, the provenance
 * index): the index's parameters are recorded in Redis at first use, and a
 * cache configured with other parameters is refused with INVALID_OPTIONS
 * instead of reading or writing postings it would misread.
 *
 * It reads first and writes the layout only when none is stored (SET NX, so two
 * writers agree), so it needs no write when the index exists (start-up, queries
 * and cleanup on a full Redis). When Redis is full and no layout is stored yet,
 * it returns and checks again on the next call: nothing is indexed under this
 * version, so nothing can clash. A passed check is remembered; a failed one is not.
 */
import type { Cluster, Redis } from 'ioredis';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import { mapRedisError } from '../redis/map-error.js';

export interface LayoutGuardOptions {
  /** The key holding the recorded layout. */
  metaKey: string;
  /** The configured layout, as recorded. */
  want: string;
  /** Names the operation in a mapped Redis error, e.g. "similarity index layout check". */
  operation: string;
  /** The INVALID_OPTIONS message when Redis holds another layout. */
  mismatch(have: string): string;
  /** Called when Redis is full and nothing is recorded yet (the check runs again next time). */
  onFull?(): void;
}

export class LayoutGuard {
  private checked: Promise<void> | null = null;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly o: LayoutGuardOptions,
  ) {}

  /** Throws INVALID_OPTIONS when the index in Redis was built with another layout. */
  ensure(): Promise<void> {
    this.checked ??= this.check().catch((err) => {
      this.checked = null;
      throw err;
    });
    return this.checked;
  }

  private async check(): Promise<void> {
    const { metaKey, want } = this.o;
    let have: string | null;
    try {
      have = await this.client.get(metaKey);
      if (have === null && (await this.client.set(metaKey, want, 'NX')) === null) {
        have = await this.client.get(metaKey); // another writer recorded it first
      }
    } catch (err) {
      const mapped = mapRedisError(err, this.o.operation);
      if (mapped.code !== ErrorCodes.REDIS_FULL) throw mapped;
      this.o.onFull?.();
      this.checked = null;
      return;
    }
    if (have !== null && have !== want) {
      throw new FeatureCacheError(ErrorCodes.INVALID_OPTIONS, this.o.mismatch(have), { details: { stored: have, configured: want } });
    }
  }
}
