/**
 * One similarity query over a field index, in three round trips:
 * 1. probe the tables (one HMGET per table shard, one pipeline per node) and
 *    drop every entry whose bucket + rest distance (a lower bound) exceeds r;
 * 2. read the dictionary shards the survivors point to (one pipeline) and keep
 *    the images whose full hash is within r (exact distance);
 * 3. verify those against their records (peekMany), nearest first, until
 *    `limit` are confirmed; stale entries met on the way are repaired.
 */
import type { ExtensionContext } from '../cache/extension.js';
import type { DihedralOrientation } from '../features/dihedral.js';
import type { Features } from '../types.js';
import { shardHi, shardIds, shardLo, shardSize } from './dict-shard.js';
import type { FieldIndex } from './field-index.js';
import { hamming64, hashHi, hashLo, hashToHex, partsToHash, popcount32 } from './hash64.js';
import type { TableLayout } from './layout.js';
import type { BucketOp } from './index-store.js';
import { flipMasks, tableRadii } from './probe.js';

export interface SimilarNeighbor {
  imageId: string;
  distance: number;
  /** The neighbour's hash (16 hex digits), as its record holds it now. */
  hash: string;
  /** Present when `withFeatures` was asked. */
  features?: Features;
  /**
   * With `orientations: 'all'`: the orientation of the query this neighbour matched
   * (`rot90`: the neighbour looks like the query rotated 90° clockwise); the nearest
   * one, the earlier in DIHEDRAL_ORIENTATIONS order on a tie.
   */
  orientation?: DihedralOrientation;
}

export interface SimilarResult {
  field: string;
  /** The query hash (16 hex digits). */
  hash: string;
  maxDistance: number;
  /** Nearest first; ties by imageId. */
  neighbors: SimilarNeighbor[];
  /** More neighbours exist within maxDistance than `limit`. */
  has_more: boolean;
  /** A probed bucket was capped (a degenerate hash shared by > bucketCap images): results may be incomplete. */
  truncated: boolean;
  capped_buckets: number;
  /** Buckets probed. */
  probes: number;
  /** Table entries examined. */
  candidates: number;
  /** Entries whose lower-bound distance was within maxDistance (their dictionary shards were read). */
  survivors: number;
  /** Distinct indexed images within maxDistance before verification against the records. */
  within_radius: number;
  /** Entries skipped because the record was gone, its hash had changed, or the entry was orphaned (repaired). */
  stale_skipped: number;
  /** Time per phase: tables (probe + scan), dictionary (resolve), records (verify). */
  timings_ms: { tables: number; dictionary: number; records: number };
  /** Present with `orientations: 'all'`: the counters above are then summed over the orientations searched. */
  orientations?: 'all';
}

interface Survivor {
  table: TableLayout;
  bucket: number;
  rest: number;
}

interface Found {
  imageId: string;
  hash: bigint;
  distance: number;
}

export interface QueryInput {
  hash: bigint;
  maxDistance: number;
  limit: number;
  withFeatures: boolean;
  excludeId?: string;
}

export async function runQuery(ctx: ExtensionContext, index: FieldIndex, q: QueryInput): Promise<SimilarResult> {
  const t0 = performance.now();
  const { layout, store } = index;
  const r = q.maxDistance;
  const qh = hashHi(q.hash);
  const ql = hashLo(q.hash);
  const radii = tableRadii(r, layout.tables.length);
  const probes: Array<{ table: TableLayout; bucket: number; dist: number }> = [];
  const qRest: number[] = [];
  for (const t of layout.tables) {
    qRest.push(layout.rest(t, qh, ql));
    const ri = radii[t.index]!;
    if (ri < 0) continue;
    const qb = layout.bucket(t, qh, ql);
    const { masks, dists } = flipMasks(t.len, ri);
    for (let k = 0; k < masks.length; k++) probes.push({ table: t, bucket: (qb ^ masks[k]!) >>> 0, dist: dists[k]! });
  }
  const values = await store.readBuckets(probes);

  // 1. scan the packed entries: pointer (dictionary shard) + rest, lower-bound distance
  const w = layout.width;
  const pb = layout.ptrBytes;
  const sentinel = layout.sentinelPtr;
  let candidates = 0;
  let capped = 0;
  let survivors = 0;
  const byShard = new Map<number, Survivor[]>();
  for (let n = 0; n < probes.length; n++) {
    const len = values.lengths[n]!;
    if (len === 0) continue;
    const v = values.blobs[n]!;
    const p = probes[n]!;
    const qr = qRest[p.table.index]!;
    const budget = r - p.dist;
    let sawSentinel = false;
    const end = values.starts[n]! + len;
    for (let o = values.starts[n]!; o + w <= end; o += w) {
      let ptr = 0;
      for (let b = 0; b < pb; b++) ptr = ptr * 256 + v[o + b]!;
      const x = o + pb;
      const rest = ((v[x]! << 24) | (v[x + 1]! << 16) | (v[x + 2]! << 8) | v[x + 3]!) >>> 0;
      if (ptr === sentinel && rest === 0xffffffff) {
        sawSentinel = true;
        continue;
      }
      candidates++;
      if (popcount32(rest ^ qr) > budget) continue;
      survivors++;
      const list = byShard.get(ptr);
      const s = { table: p.table, bucket: p.bucket, rest };
      if (list) list.push(s);
      else byShard.set(ptr, [s]);
    }
    if (sawSentinel) capped++;
  }
  const t1 = performance.now();

  // 2. resolve: every image of a touched dictionary shard within r (exact), and orphaned entries
  const shards = [...byShard.keys()];
  const dicts = shards.length > 0 ? await store.readShards(shards) : [];
  const found = new Map<string, Found>();
  const staleBuckets: BucketOp[] = [];
  let stale = 0;
  shards.forEach((shard, s) => {
    const blob = dicts[s] ?? null;
    const n = shardSize(blob);
    let ids: string[] | null = null;
    for (let k = 0; k < n; k++) {
      const hi = shardHi(blob!, k);
      const lo = shardLo(blob!, k);
      const d = popcount32(hi ^ qh) + popcount32(lo ^ ql);
      if (d > r) continue;
      ids ??= shardIds(blob!);
      const imageId = ids[k];
      if (imageId === undefined || imageId === q.excludeId || found.has(imageId)) continue;
      found.set(imageId, { imageId, hash: partsToHash(hi, lo), distance: d });
    }
    for (const sv of byShard.get(shard)!) {
      let matched = false;
      for (let k = 0; k < n && !matched; k++) {
        const hi = shardHi(blob!, k);
        const lo = shardLo(blob!, k);
        matched = layout.bucket(sv.table, hi, lo) === sv.bucket && layout.rest(sv.table, hi, lo) === sv.rest;
      }
      if (!matched) {
        // no indexed image of this shard has these bits: a leftover of a lost removal
        staleBuckets.push({ table: sv.table, bucket: sv.bucket, ptr: shard, rest: sv.rest });
        stale++;
      }
    }
  });
  const t2 = performance.now();

  // 3. verify against the records, nearest first, one round trip per `limit` (+ ties)
  const sorted = [...found.values()].sort((a, b) => a.distance - b.distance || (a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0));
  const neighbors = new Map<string, SimilarNeighbor>();
  const toRepair: Array<{ imageId: string; indexed: bigint; record: Features | null }> = [];
  let i = 0;
  while (i < sorted.length && neighbors.size <= q.limit) {
    let j = Math.min(sorted.length, i + (q.limit + 1 - neighbors.size));
    // a whole distance level at a time, so ties at the limit are all seen
    while (j < sorted.length && sorted[j]!.distance === sorted[j - 1]!.distance) j++;
    const batch = sorted.slice(i, j);
    i = j;
    const records = await ctx.peekMany(batch.map((c) => c.imageId));
    batch.forEach((c, k) => {
      const features = records[k]?.features ?? null;
      const current = index.hashOf(features);
      if (current !== c.hash) {
        stale++;
        toRepair.push({ imageId: c.imageId, indexed: c.hash, record: features });
        if (current === null) return;
        const d = hamming64(current, q.hash);
        if (d > r) return;
        addNeighbor(neighbors, { imageId: c.imageId, distance: d, hash: hashToHex(current), ...(q.withFeatures ? { features: features! } : {}) });
        return;
      }
      addNeighbor(neighbors, { imageId: c.imageId, distance: c.distance, hash: hashToHex(c.hash), ...(q.withFeatures ? { features: features! } : {}) });
    });
  }
  const t3 = performance.now();
  await repairStale(ctx, index, staleBuckets, toRepair);

  const list = [...neighbors.values()].sort((a, b) => a.distance - b.distance || (a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0));
  return {
    field: index.field,
    hash: hashToHex(q.hash),
    maxDistance: r,
    neighbors: list.slice(0, q.limit),
    has_more: list.length > q.limit || i < sorted.length,
    truncated: capped > 0,
    capped_buckets: capped,
    probes: probes.length,
    candidates,
    survivors,
    within_radius: found.size,
    stale_skipped: stale,
    timings_ms: { tables: round3(t1 - t0), dictionary: round3(t2 - t1), records: round3(t3 - t2) },
  };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function addNeighbor(map: Map<string, SimilarNeighbor>, n: SimilarNeighbor): void {
  const prev = map.get(n.imageId);
  if (!prev || n.distance < prev.distance) map.set(n.imageId, n);
}

/** Lazy repair of what a query found stale; failures are logged (cleanup repairs them). */
async function repairStale(
  ctx: ExtensionContext,
  index: FieldIndex,
  buckets: BucketOp[],
  items: Array<{ imageId: string; indexed: bigint; record: Features | null }>,
): Promise<void> {
  if (buckets.length === 0 && items.length === 0) return;
  try {
    if (buckets.length > 0) await index.store.applyBuckets(buckets, []);
    // records were read by the verification step (null: the record is gone)
    if (items.length > 0) await index.repair(items);
  } catch (err) {
    ctx.logger.warn({ field: index.field, err: (err as Error).message }, 'similarity index lazy repair failed; cleanup() repairs it');
  }
}
