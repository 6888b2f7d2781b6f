/**
 * One similarity query over a field index: probe the tables (one HMGET per
 * table shard, one pipeline per node), compute exact distances from the packed
 * entries, then resolve and verify the candidates against the records, nearest
 * first, repairing stale entries on the way.
 */
import type { ExtensionContext } from '../cache/extension.js';
import type { Features } from '../types.js';
import type { FieldIndex } from './field-index.js';
import { hamming64, hashToHex, POPCOUNT8 } from './hash64.js';
import { ORDINAL_BYTES, SENTINEL_ORDINAL, type TableLayout } from './layout.js';
import type { BucketOp } from './index-store.js';
import { flipMasks, tableRadii } from './probe.js';

export interface SimilarNeighbor {
  imageId: string;
  distance: number;
  /** The neighbour's hash (16 hex digits), as its record holds it now. */
  hash: string;
  /** Present when `withFeatures` was asked. */
  features?: Features;
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
  /** Distinct entries within maxDistance before verification. */
  within_radius: number;
  /** Entries skipped because the record was gone or its hash had changed (repaired). */
  stale_skipped: number;
}

interface Candidate {
  ordinal: number;
  hash: bigint;
  distance: number;
  table: TableLayout;
  sub: number;
}

export interface QueryInput {
  hash: bigint;
  maxDistance: number;
  limit: number;
  withFeatures: boolean;
  excludeId?: string;
}

export async function runQuery(ctx: ExtensionContext, index: FieldIndex, q: QueryInput): Promise<SimilarResult> {
  const { layout, store } = index;
  const r = q.maxDistance;
  const radii = tableRadii(r, layout.tables.length);
  const probes: Array<{ table: TableLayout; sub: number; subDist: number }> = [];
  const qRest: Buffer[] = [];
  for (const t of layout.tables) {
    qRest.push(layout.rest(t, q.hash));
    const ri = radii[t.index]!;
    if (ri < 0) continue;
    const qs = layout.substring(t, q.hash);
    const { masks, dists } = flipMasks(t.len, ri);
    for (let k = 0; k < masks.length; k++) probes.push({ table: t, sub: (qs ^ masks[k]!) >>> 0, subDist: dists[k]! });
  }
  const values = await store.readBuckets(probes);

  let candidates = 0;
  let capped = 0;
  const found = new Map<string, Candidate>();
  probes.forEach((p, n) => {
    const v = values[n];
    if (!v) return;
    const t = p.table;
    const w = t.width;
    const qr = qRest[t.index]!;
    let sawSentinel = false;
    for (let o = 0; o + w <= v.length; o += w) {
      const ordinal = v.readUInt32BE(o);
      if (ordinal === SENTINEL_ORDINAL) {
        sawSentinel = true;
        continue;
      }
      candidates++;
      let d = p.subDist;
      for (let k = 0; k < t.restBytes && d <= r; k++) d += POPCOUNT8[v[o + ORDINAL_BYTES + k]! ^ qr[k]!]!;
      if (d > r) continue;
      const hash = layout.reconstruct(t, p.sub, v, o + ORDINAL_BYTES);
      const key = `${ordinal}:${hash}`;
      if (!found.has(key)) found.set(key, { ordinal, hash, distance: d, table: t, sub: p.sub });
    }
    if (sawSentinel) capped++;
  });

  const sorted = [...found.values()].sort((a, b) => a.distance - b.distance || a.ordinal - b.ordinal);
  const neighbors = new Map<string, SimilarNeighbor>();
  const staleBuckets: BucketOp[] = [];
  const toRepair: Array<{ imageId: string; indexed: bigint; record: Features | null }> = [];
  let stale = 0;
  let i = 0;
  while (i < sorted.length && neighbors.size <= q.limit) {
    // one distance level at a time, so ties at the limit are all seen
    const level = sorted[i]!.distance;
    let j = i;
    while (j < sorted.length && sorted[j]!.distance === level) j++;
    const batch = sorted.slice(i, j);
    i = j;
    const resolved = await store.resolve(batch.map((c) => c.ordinal));
    const live: Array<{ c: Candidate; imageId: string }> = [];
    batch.forEach((c, k) => {
      const hit = resolved[k];
      if (!hit || hit.hash !== c.hash) {
        // the slot was freed or the image moved to another hash: drop this entry
        staleBuckets.push({ table: c.table, sub: c.sub, ordinal: c.ordinal });
        stale++;
        if (hit) toRepair.push({ imageId: hit.imageId, indexed: hit.hash, record: null });
        return;
      }
      if (hit.imageId !== q.excludeId) live.push({ c, imageId: hit.imageId });
    });
    if (live.length === 0) continue;
    const records = await ctx.peekMany(live.map((l) => l.imageId));
    live.forEach(({ c, imageId }, k) => {
      const features = records[k]?.features ?? null;
      const current = index.hashOf(features);
      if (current !== c.hash) {
        stale++;
        toRepair.push({ imageId, indexed: c.hash, record: features });
        if (current === null) return;
        const d = hamming64(current, q.hash);
        if (d > r) return;
        addNeighbor(neighbors, { imageId, distance: d, hash: hashToHex(current), ...(q.withFeatures ? { features: features! } : {}) });
        return;
      }
      addNeighbor(neighbors, { imageId, distance: c.distance, hash: hashToHex(c.hash), ...(q.withFeatures ? { features: features! } : {}) });
    });
  }
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
    within_radius: found.size,
    stale_skipped: stale,
  };
}

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
    if (items.length > 0) {
      // re-read records for entries found through a stale bucket (record: null means "not read")
      const unread = items.filter((it) => it.record === null);
      const recs = unread.length > 0 ? await ctx.peekMany(unread.map((it) => it.imageId)) : [];
      unread.forEach((it, k) => (it.record = recs[k]?.features ?? null));
      await index.repair(items);
    }
  } catch (err) {
    ctx.logger.warn({ field: index.field, err: (err as Error).message }, 'similarity index lazy repair failed; cleanup() repairs it');
  }
}
