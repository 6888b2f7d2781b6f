/**
 * What the provenance index should hold (issue 14's 4 KB budget): votes of the
 * true source, of the donor and of the best unrelated image when only some
 * descriptor chunk positions (or keypoints) are indexed. In memory, on the
 * mate-backgrounds photos with their edits and generated distractors.
 * `npx tsx bench/provenance/index-choice.ts [--distractors 150]`
 */
import { extractOrb } from '../../src/features/index.js';
import type { OrbFeatures } from '../../src/features/orb.js';
import { applyEdit, EDITS, NEEDS_DONOR } from './edits.js';
import { ensurePhotos, loadPhotos } from './photos.js';
import { texturedImage } from './textures.js';
import { median, quantile } from './stats.js';

interface Scheme {
  name: string;
  /** Chunk positions indexed for keypoint k (of n). */
  indexed(k: number): number[];
  /** Keypoints indexed (the first `keypoints`). */
  keypoints: number;
}

const SCHEMES: Scheme[] = [
  { name: 'all 8 positions', keypoints: 500, indexed: () => [0, 1, 2, 3, 4, 5, 6, 7] },
  { name: 'positions 0,4', keypoints: 500, indexed: () => [0, 4] },
  { name: 'position 0', keypoints: 500, indexed: () => [0] },
  { name: 'position k%8', keypoints: 500, indexed: (k) => [k % 8] },
  { name: 'positions k%4, k%4+4', keypoints: 500, indexed: (k) => [k % 4, (k % 4) + 4] },
  { name: 'positions 0,4 of 250 kp', keypoints: 250, indexed: () => [0, 4] },
];

function chunk(d: Uint8Array, k: number, p: number): number {
  const o = k * 32 + p * 4;
  return (d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0;
}

function buildIndex(images: OrbFeatures[], s: Scheme): Map<number, number[]>[] {
  const index = Array.from({ length: 8 }, () => new Map<number, number[]>());
  images.forEach((orb, img) => {
    const n = Math.min(s.keypoints, orb.descriptors.length / 32);
    for (let k = 0; k < n; k++) {
      for (const p of s.indexed(k)) {
        const c = chunk(orb.descriptors, k, p);
        const list = index[p]!.get(c);
        if (!list) index[p]!.set(c, [img]);
        else if (list[list.length - 1] !== img) list.push(img);
      }
    }
  });
  return index;
}

function vote(index: Map<number, number[]>[], q: OrbFeatures, maxList: number): Map<number, number> {
  const votes = new Map<number, number>();
  const n = q.descriptors.length / 32;
  for (let k = 0; k < n; k++) {
    for (let p = 0; p < 8; p++) {
      const list = index[p]!.get(chunk(q.descriptors, k, p));
      if (!list || list.length > maxList) continue;
      for (const img of list) votes.set(img, (votes.get(img) ?? 0) + 1);
    }
  }
  return votes;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const distractors = Number(argv[argv.indexOf('--distractors') + 1] ?? 150) || 150;
  ensurePhotos(console.log);
  const photos = (await loadPhotos(1)).filter((p) => !/Blinds/.test(p.name));
  const orbs: OrbFeatures[] = [];
  for (const p of photos) orbs.push(await extractOrb(p.data));
  const textured = photos.filter((_, i) => orbs[i]!.descriptors.length / 32 >= 200);
  const sources = photos.map((_, i) => i).filter((i) => orbs[i]!.descriptors.length / 32 >= 200);
  console.log(`${sources.length} textured photos of ${photos.length}; ${distractors} distractors`);
  for (let d = 0; d < distractors; d++) orbs.push(await extractOrb(await texturedImage(5000 + d, { format: 'jpeg' })));
  const queries: Array<{ edit: string; source: number; donor: number | null; orb: OrbFeatures }> = [];
  for (let si = 0; si < sources.length; si++) {
    const s = sources[si]!;
    const donor = sources[(si + 1) % sources.length]!;
    for (const e of EDITS) {
      const img = await applyEdit(e, photos[s]!.data, photos[donor]!.data, { seed: si + 1 });
      const orb = await extractOrb(img, { mirror: e === 'mirror' });
      queries.push({ edit: e, source: s, donor: NEEDS_DONOR.has(e) ? donor : null, orb });
    }
  }
  void textured;
  const total = orbs.length;
  for (const s of SCHEMES) {
    const index = buildIndex(orbs, s);
    let postings = 0;
    for (const m of index) for (const l of m.values()) postings += l.length;
    const trueVotes: number[] = [];
    const donorVotes: number[] = [];
    const unrelatedMax: number[] = [];
    let first = 0;
    let donorTop10 = 0;
    for (const q of queries) {
      const votes = vote(index, q.orb, Math.max(16, total * 0.01));
      const tv = votes.get(q.source) ?? 0;
      trueVotes.push(tv);
      let best = 0;
      for (const [img, v] of votes) if (img !== q.source && img !== q.donor) best = Math.max(best, v);
      unrelatedMax.push(best);
      if (tv > best) first++;
      if (q.donor !== null) {
        const dv = votes.get(q.donor) ?? 0;
        donorVotes.push(dv);
        if (dv > best) donorTop10++;
      }
    }
    console.log(
      `${s.name.padEnd(26)} postings/image ${(postings / total).toFixed(0).padStart(5)}  true median ${median(trueVotes)} p10 ${quantile(trueVotes, 0.1)} min ${Math.min(...trueVotes)}` +
        `  unrelated max median ${median(unrelatedMax)} max ${Math.max(...unrelatedMax)}  true first ${first}/${queries.length}` +
        `  donor median ${median(donorVotes)} min ${Math.min(...donorVotes)} above unrelated ${donorTop10}/${donorVotes.length}`,
    );
  }
}

await main();
