/**
 * Why the provenance search misses (issue 14): per scale-bench query, the votes
 * its true source gets against the best distractor, in memory, under the
 * index's term schemes and vote scorings. The photos, the donor hosts and the
 * first --distractors cached distractors (scale.ts's corpus on disk; none is
 * extracted here) are indexed; the queries are scale-queries.ts's.
 *
 * Also per (query, source) pair: how many of the query's keypoints have a
 * near-duplicate descriptor in the source (Hamming <= 40 bits, "matchable"), and
 * how many of those share an exact 32-bit chunk with it at any position (what
 * indexing every chunk could give) or at the chunk(s) the scheme indexes.
 *
 * `npx tsx bench/provenance/vote-diagnosis.ts --distractors 20000 [--verbose] [--pairs-only]`
 */
import type { Features } from '../../src/index.js';
import { createExtractionPool } from '../../src/features/pool.js';
import type { OrbFeatures } from '../../src/features/orb.js';
import { cachedDistractors, cachedQueryFeatures, DEFAULT_DISTRACTORS, readDistractors, SCALE_EXTRACTORS } from './distractor-cache.js';
import { ensurePhotos, loadPhotos } from './photos.js';
import { buildQueries, donorHostImage } from './scale-queries.js';
import { median } from './stats.js';
import { termOf } from '../../src/provenance/index/layout.js';
import { popcount32 } from '../../src/search/hash64.js';

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const verbose = process.argv.includes('--verbose');
const MAX_TERM_IMAGES = 256;
const MATCH_BITS = 40;

function chunk(d: Uint8Array, k: number, p: number): number {
  const o = k * 32 + p * 4;
  return (d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0;
}
const degenerate = (c: number) => {
  const b = popcount32(c);
  return b < 4 || b > 28;
};
function hamming(a: Uint8Array, i: number, b: Uint8Array, j: number): number {
  let d = 0;
  for (let p = 0; p < 8; p++) d += popcount32((chunk(a, i, p) ^ chunk(b, j, p)) >>> 0);
  return d;
}

interface Scheme {
  name: string;
  /** Chunk positions keypoint k (strongest first) of n indexes. */
  positions(k: number, d: Uint8Array): number[];
}

/** The first usable position from k % 8 on (the current index). */
function firstUsable(d: Uint8Array, k: number, from: number): number | null {
  for (let i = 0; i < 8; i++) {
    const p = (from + i) % 8;
    if (!degenerate(chunk(d, k, p))) return p;
  }
  return null;
}

const SCHEMES: Scheme[] = [
  { name: 'k%8 (current)', positions: (k, d) => [firstUsable(d, k, k % 8)].flatMap((p) => (p === null ? [] : [p])) },
  ...[64, 80, 100, 200].map((m) => ({
    name: `k%8 + (k+4)%8 for top ${m}`,
    positions: (k: number, d: Uint8Array) => {
      const a = firstUsable(d, k, k % 8);
      if (a === null) return [];
      if (k >= m) return [a];
      const b = firstUsable(d, k, (a + 4) % 8);
      return b === null || b === a ? [a] : [a, b];
    },
  })),
];

/** A sorted posting array: key = term * 2^20 + image (< 2^52: exact in a double). */
class MemIndex {
  private keys: Float64Array = new Float64Array(0);
  private readonly parts: number[] = [];
  add(img: number, d: Uint8Array, s: Scheme): void {
    const n = d.length / 32;
    const seen = new Set<number>();
    for (let k = 0; k < n; k++) {
      for (const p of s.positions(k, d)) {
        const t = termKey(chunk(d, k, p), p);
        if (seen.has(t)) continue;
        seen.add(t);
        this.parts.push(t * 2 ** 20 + img);
      }
    }
  }
  seal(): void {
    this.keys = Float64Array.from(this.parts).sort();
    this.parts.length = 0;
  }
  get size(): number {
    return this.keys.length;
  }
  /** Images under a term. */
  lookup(t: number): number[] {
    const lo = t * 2 ** 20;
    let a = 0;
    let b = this.keys.length;
    while (a < b) {
      const m = (a + b) >> 1;
      if (this.keys[m]! < lo) a = m + 1;
      else b = m;
    }
    const out: number[] = [];
    for (let i = a; i < this.keys.length && this.keys[i]! < lo + 2 ** 20; i++) out.push(this.keys[i]! - lo);
    return out;
  }
}
/** A term (32 bits: chunk and position), as the index names it. */
const termKey = (c: number, p: number) => termOf(c, p);

type Scoring = 'terms' | 'keypoint-once' | 'idf' | 'idf-cap';
const SCORINGS: Scoring[] = ['terms', 'idf', 'idf-cap'];

function vote(index: MemIndex, d: Uint8Array, scoring: Scoring, total: number, keep?: (k: number) => boolean): Map<number, number> {
  const votes = new Map<number, number>();
  const n = d.length / 32;
  for (let k = 0; k < n; k++) {
    if (keep && !keep(k)) continue;
    const hit = new Map<number, number>();
    for (let p = 0; p < 8; p++) {
      const c = chunk(d, k, p);
      if (degenerate(c)) continue;
      const list = index.lookup(termKey(c, p));
      if (list.length === 0 || list.length > MAX_TERM_IMAGES) continue;
      const w = scoring === 'idf' ? Math.log(total / list.length) / Math.log(total) : scoring === 'idf-cap' ? 1 - Math.log(list.length) / Math.log(MAX_TERM_IMAGES + 1) : 1;
      for (const img of list) {
        if (scoring === 'terms') votes.set(img, (votes.get(img) ?? 0) + w);
        else hit.set(img, Math.max(hit.get(img) ?? 0, w));
      }
    }
    for (const [img, w] of hit) votes.set(img, (votes.get(img) ?? 0) + w);
  }
  return votes;
}

function bestOf(a: Map<number, number>, b: Map<number, number>): Map<number, number> {
  const out = new Map(a);
  for (const [k, v] of b) if (v > (out.get(k) ?? 0)) out.set(k, v);
  return out;
}

function rankOf(votes: Map<number, number>, img: number, minVotes: number): number {
  const v = votes.get(img) ?? 0;
  if (v < minVotes) return -1;
  let above = 0;
  for (const x of votes.values()) if (x > v) above++;
  return above;
}

async function main(): Promise<void> {
  const spec = DEFAULT_DISTRACTORS;
  const distractors = Math.min(Number(arg('distractors') ?? 20000), cachedDistractors(spec));
  ensurePhotos(() => {});
  const photos = await loadPhotos();
  const pool = createExtractionPool({ size: 2, maxQueue: 64 });
  const orbs: OrbFeatures[] = [];
  try {
    for (const p of photos) orbs.push(((await pool.extract(p.data, { extractors: SCALE_EXTRACTORS })) as Features).orb as OrbFeatures);
    for (let i = 0; i < photos.length; i++) orbs.push(((await pool.extract(await donorHostImage(i), { extractors: SCALE_EXTRACTORS })) as Features).orb as OrbFeatures);
  } finally {
    await pool.close();
  }
  const fixed = orbs.length;
  const queries = [];
  for (const q of await buildQueries(photos)) {
    const { features, mirrored } = await cachedQueryFeatures(q.image);
    queries.push({ ...q, orb: features.orb as OrbFeatures, mirrored });
  }
  const distractorDescriptors: Uint8Array[] = [];
  for (const shard of readDistractors(spec, 0, distractors)) for (const d of shard) distractorDescriptors.push((d.features.orb as OrbFeatures).descriptors);
  const total = fixed + distractorDescriptors.length;
  console.log(`${photos.length} photos + ${photos.length} hosts + ${distractorDescriptors.length} distractors; ${queries.length} queries`);

  // matchable keypoints per (query, source): the index-independent ceiling
  console.log('\n(query, source): matchable query keypoints (NN Hamming <= 40), of them sharing an exact chunk anywhere / at the current indexed chunk');
  const pairInfo: string[] = [];
  for (const q of queries) {
    q.sourcePhotos.forEach((s) => {
      const src = orbs[s]!.descriptors;
      const qd = q.kind === 'mirror' ? q.mirrored.descriptors : q.orb.descriptors;
      let matchable = 0;
      let anyChunk = 0;
      let indexed = 0;
      for (let i = 0; i < qd.length / 32; i++) {
        let best = 257;
        let bj = -1;
        for (let j = 0; j < src.length / 32; j++) {
          const h = hamming(qd, i, src, j);
          if (h < best) [best, bj] = [h, j];
        }
        if (best > MATCH_BITS) continue;
        matchable++;
        let any = false;
        for (let p = 0; p < 8; p++) if (!degenerate(chunk(src, bj, p)) && chunk(src, bj, p) === chunk(qd, i, p)) any = true;
        if (any) anyChunk++;
        const ip = firstUsable(src, bj, bj % 8);
        if (ip !== null && chunk(src, bj, ip) === chunk(qd, i, ip)) indexed++;
      }
      pairInfo.push(`${q.id} <- ${photos[s]!.name}: keypoints ${qd.length / 32}, matchable ${matchable}, any chunk ${anyChunk}, indexed chunk ${indexed}`);
    });
  }
  if (verbose) for (const l of pairInfo) console.log(`  ${l}`);
  if (process.argv.includes('--pairs-only')) return;

  for (const scheme of SCHEMES) {
    const index = new MemIndex();
    orbs.forEach((o, i) => index.add(i, o.descriptors, scheme));
    distractorDescriptors.forEach((d, i) => index.add(fixed + i, d, scheme));
    index.seal();
    for (const scoring of SCORINGS) {
      const minVotes = Number(arg('min-votes') ?? (scoring === 'terms' ? 3 : 1.5));
      let pairs = 0;
      let at10 = 0;
      let donorPairs = 0;
      let donorAt50 = 0;
      const trueV: number[] = [];
      const bestD: number[] = [];
      const lines: string[] = [];
      for (const q of queries) {
        if (q.orb.descriptors.length === 0) continue;
        const votes = bestOf(vote(index, q.orb.descriptors, scoring, total), vote(index, q.mirrored.descriptors, scoring, total));
        let best = 0;
        for (const [img, v] of votes) if (img >= fixed && v > best) best = v;
        bestD.push(best);
        q.sourcePhotos.forEach((s) => {
          const r = rankOf(votes, s, minVotes);
          trueV.push(votes.get(s) ?? 0);
          if (q.kind === 'donor') {
            donorPairs++;
            if (r >= 0 && r < 50) donorAt50++;
          } else {
            pairs++;
            if (r >= 0 && r < 10) at10++;
          }
          if (r < 0 || r >= 10) lines.push(`${q.id} <- ${photos[s]!.name}: votes ${(votes.get(s) ?? 0).toFixed(1)}, rank ${r}, best distractor ${best.toFixed(1)}`);
        });
      }
      console.log(
        `\n${scheme.name} / ${scoring}: postings/image ${(index.size / total).toFixed(0)}; vote-rank@10 (any photo, no verification) ${at10}/${pairs}; donors in first-tier top 50 ${donorAt50}/${donorPairs}; ` +
          `true votes median ${median(trueV).toFixed(1)}, best distractor median ${median(bestD).toFixed(1)} max ${Math.max(...bestD).toFixed(1)}`,
      );
      if (verbose || scheme === SCHEMES[0]) for (const l of lines) console.log(`  ${l}`);
    }
  }
}

await main();
