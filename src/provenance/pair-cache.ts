/**
 * cache.verifyPair: the verdict of two cached records, itself cached in Redis.
 *
 * Key: `<prefix>:@p:<version>:<digest>`, one string per ordered pair (A, B),
 * where digest = SHA-1 of the verification algorithm's version, its parameters
 * and both image IDs. The value (JSON) holds both IDs, a fingerprint of each
 * record (its createdAt and the features verification reads) and the result.
 * A cached verdict is served only when both fingerprints equal those of the
 * records just read, so it is never served after either record was
 * overwritten, merged, invalidated and rewritten, expired or evicted; it
 * lives `ttlSeconds` and is replaced on the next verification. One key per
 * verdict and no multi-key command: safe on a Cluster.
 * analyzeSet reads and writes many verdicts at once (readPairVerdicts,
 * writePairVerdicts: one batch each, awaited, never while RANSAC runs).
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import type { KeySchema } from '../redis/keys.js';
import { mapRedisError } from '../redis/map-error.js';
import type { FeatureRecord } from '../types.js';
import type { VerifyOptions, VerifyResult } from './types.js';
import { resolveVerifyOptions, verifyFeatures } from './verify.js';
import { VERIFY_INPUTS } from './verify-chunk.js';

/** Bumped whenever verifyFeatures can answer differently for the same features and options. */
export const VERIFY_ALGORITHM_VERSION = '5';
/** How long a cached verdict lives. */
export const PAIR_VERDICT_TTL_SECONDS = 7 * 24 * 3600;

export interface VerifyPairOptions extends Omit<VerifyOptions, 'mirroredB'> {
  /** Lifetime of the cached verdict. @default 604800 (7 days) */
  cacheTtlSeconds?: number;
}

export interface PairCacheContext {
  client: Redis | Cluster;
  keys: KeySchema;
  /** Records without counting hits or misses, aligned (null for a miss). */
  peekMany(imageIds: string[]): Promise<Array<FeatureRecord | null>>;
}

interface Stored {
  a: string;
  b: string;
  fa: string;
  fb: string;
  r: VerifyResult;
}

/** Fingerprint of what a verdict depends on in one record. */
export function recordFingerprint(record: FeatureRecord): string {
  const h = createHash('sha1').update(String(record.createdAt));
  for (const type of VERIFY_INPUTS) {
    const v = record.features[type];
    h.update(`\0${type}=`);
    if (v === undefined) continue;
    if ((type === 'orb' || type === 'thumb') && v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)) {
      // an object of sizes and typed arrays: each field by name, arrays as their bytes
      const fields = v as Record<string, unknown>;
      for (const name of Object.keys(fields).sort()) {
        const f = fields[name];
        h.update(`${name}:`);
        if (ArrayBuffer.isView(f)) h.update(new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
        else h.update(JSON.stringify(f) ?? '');
        h.update('|');
      }
    } else h.update(JSON.stringify(v));
  }
  return h.digest('hex');
}

function pairDigest(idA: string, idB: string, params: unknown): string {
  return createHash('sha1').update(JSON.stringify([VERIFY_ALGORITHM_VERSION, params, idA, idB])).digest('hex');
}

/** What a cached verdict depends on besides the two records, checked once per call. */
export interface PairVerdictSettings {
  /** The options verifyFeatures runs with (no mirror pass: records hold forward features only). */
  verify: Omit<VerifyOptions, 'mirroredB'>;
  /** The resolved options, part of each key's digest. */
  params: unknown;
  ttlSeconds: number;
}

/** Throws INVALID_ARGUMENT on an out-of-range option. A stray `mirroredB` is dropped. */
export function pairVerdictSettings(opts: VerifyPairOptions = {}): PairVerdictSettings {
  const { cacheTtlSeconds = PAIR_VERDICT_TTL_SECONDS, mirroredB: _stray, ...verify } = opts as VerifyPairOptions & { mirroredB?: unknown };
  if (!Number.isInteger(cacheTtlSeconds) || cacheTtlSeconds < 1) {
    throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, 'cacheTtlSeconds must be a positive integer', { details: { option: 'cacheTtlSeconds' } });
  }
  const { mirroredB: _none, ...params } = resolveVerifyOptions(verify);
  return { verify, params, ttlSeconds: cacheTtlSeconds };
}

/** One ordered pair's place in the cache, with the fingerprints its verdict must carry to be served. */
export interface PairVerdictSlot {
  key: string;
  a: string;
  b: string;
  fa: string;
  fb: string;
}

/** The Redis key of the ordered pair (A, B)'s verdict under `settings`. */
function pairVerdictKey(keys: KeySchema, settings: PairVerdictSettings, a: string, b: string): string {
  return keys.pairVerdict(pairDigest(a, b, settings.params));
}

export function pairVerdictSlot(keys: KeySchema, settings: PairVerdictSettings, a: string, b: string, fa: string, fb: string): PairVerdictSlot {
  return { key: pairVerdictKey(keys, settings, a, b), a, b, fa, fb };
}

function servable(raw: string | null, slot: PairVerdictSlot): VerifyResult | null {
  const stored = parse(raw);
  return stored && stored.a === slot.a && stored.b === slot.b && stored.fa === slot.fa && stored.fb === slot.fb ? stored.r : null;
}

/**
 * The cached verdicts of many pairs, aligned (null where none is servable: absent,
 * stale, foreign). One batch: every GET is sent before the first reply is read.
 */
export async function readPairVerdicts(client: Redis | Cluster, slots: readonly PairVerdictSlot[]): Promise<Array<VerifyResult | null>> {
  try {
    const raws = await Promise.all(slots.map((s) => client.get(s.key)));
    return slots.map((s, i) => servable(raws[i] ?? null, s));
  } catch (err) {
    throw mapRedisError(err, 'read cached verdicts');
  }
}

/** Stores many verdicts in one batch (every SET sent before the first reply is read). */
export async function writePairVerdicts(client: Redis | Cluster, settings: PairVerdictSettings, entries: ReadonlyArray<{ slot: PairVerdictSlot; result: VerifyResult }>): Promise<void> {
  try {
    await Promise.all(entries.map(({ slot, result }) => client.set(slot.key, JSON.stringify(storedOf(slot, result)), 'EX', settings.ttlSeconds)));
  } catch (err) {
    throw mapRedisError(err, 'write cached verdicts');
  }
}

function storedOf(slot: PairVerdictSlot, r: VerifyResult): Stored {
  return { a: slot.a, b: slot.b, fa: slot.fa, fb: slot.fb, r };
}

function parse(raw: string | null): Stored | null {
  if (raw === null) return null;
  try {
    const v = JSON.parse(raw) as Stored;
    return v && typeof v === 'object' && v.r && typeof v.r.verdict === 'string' ? v : null;
  } catch {
    return null; // a foreign or truncated value is recomputed and replaced
  }
}

/**
 * The verdict of the ordered pair (A, B) of cached records: served from Redis
 * when both records are unchanged since it was computed, else verified and
 * stored. Throws NOT_FOUND naming the images without a record, INVALID_FEATURES
 * when a record holds nothing verifiable, INVALID_ARGUMENT on bad options.
 */
export async function verifyPair(ctx: PairCacheContext, idA: string, idB: string, opts: VerifyPairOptions = {}): Promise<VerifyResult & { cached: boolean }> {
  // no mirror pass here (records hold forward features only): a stray mirroredB is dropped
  const settings = pairVerdictSettings(opts);
  const key = pairVerdictKey(ctx.keys, settings, idA, idB);
  let raw: string | null;
  let records: Array<FeatureRecord | null>;
  try {
    // the verdict and both records (one batch read) travel together
    [raw, records] = await Promise.all([ctx.client.get(key), ctx.peekMany([idA, idB])]);
  } catch (err) {
    throw mapRedisError(err, 'verifyPair');
  }
  const [recA, recB] = records;
  if (!recA || !recB) {
    await ctx.client.unlink(key).catch(() => {}); // tidy: the verdict can never be served again
    const missing = [!recA ? idA : null, !recB ? idB : null].filter((id): id is string => id !== null);
    throw new FeatureCacheError(ErrorCodes.NOT_FOUND, `no cached record for ${missing.map((id) => JSON.stringify(id)).join(' and ')}`, { details: { missing } });
  }
  const slot: PairVerdictSlot = { key, a: idA, b: idB, fa: recordFingerprint(recA), fb: recordFingerprint(recB) };
  const cached = servable(raw, slot);
  if (cached) return { ...cached, cached: true };
  const result = verifyFeatures(recA.features, recB.features, settings.verify);
  await writePairVerdicts(ctx.client, settings, [{ slot, result }]);
  return { ...result, cached: false };
}
