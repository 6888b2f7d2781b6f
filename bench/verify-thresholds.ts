/**
 * How verification's thresholds were chosen (docs/PROVENANCE.md): on the
 * mate-backgrounds photos (~1 MP) and their edits (bench/provenance/edits.ts),
 * the inliers RANSAC finds for every (source, edit) pair and every unrelated
 * pair (forward and mirror pass, as verifyFeatures runs them), at several ratio
 * and reprojection thresholds; then recall and false positives per minimum
 * inlier count; the verdicts of verifyFeatures per edit; and its time per pair.
 * Run: npx tsx bench/verify-thresholds.ts [--photos 8]   (prints the load average)
 */
import { loadavg } from 'node:os';
import { extractFeatures, extractOrb } from '../src/features/index.js';
import type { OrbFeatures } from '../src/features/orb.js';
import { matchForward, matchMirrored } from '../src/provenance/geometric.js';
import { RANSAC_MAX_ITERATIONS, RANSAC_SEED } from '../src/provenance/thresholds.js';
import { verifyFeatures } from '../src/index.js';
import { applyEdit, EDITS, NEEDS_DONOR } from './provenance/edits.js';
import { ensurePhotos, loadPhotos } from './provenance/photos.js';
import { quantile } from './provenance/stats.js';

const EXTRACTORS = ['orb', 'phash', 'phash_dihedral', 'content_hash', 'meta'] as const;
type Feat = Awaited<ReturnType<typeof extractFeatures<(typeof EXTRACTORS)[number]>>>;
interface Img {
  f: Feat;
  mirror: OrbFeatures;
}

const log = (s: string) => process.stderr.write(`${s}\n`);
const at = process.argv.indexOf('--photos');
const count = at > 0 ? Number(process.argv[at + 1]) : 8;

async function features(data: Buffer): Promise<Img> {
  return { f: await extractFeatures(data, { extractors: EXTRACTORS }), mirror: await extractOrb(data, { mirror: true }) };
}

function inliers(a: Img, b: Img, ratio: number, thresholdPx: number): number {
  // minInliers 4: the full search, to see how many inliers chance can reach
  const p = { ratio, thresholdPx, minInliers: 4, maxIterations: RANSAC_MAX_ITERATIONS, seed: RANSAC_SEED };
  return Math.max(matchForward(a.f.orb, b.f.orb, p).inliersA.length, matchMirrored(a.f.orb, b.mirror, p).inliersA.length);
}

ensurePhotos(log);
const photos = (await loadPhotos(1)).slice(0, count);
log(`${photos.length} photos; extracting sources and ${EDITS.length} edits each...`);
const sources = await Promise.all(photos.map((p) => features(p.data)));
const edited: Array<{ edit: string; source: number; img: Img }> = [];
for (let s = 0; s < photos.length; s++) {
  for (const e of EDITS) {
    const donor = NEEDS_DONOR.has(e) ? photos[(s + 1) % photos.length]!.data : undefined;
    edited.push({ edit: e, source: s, img: await features(await applyEdit(e, photos[s]!.data, donor, { seed: s + 1 })) });
  }
}
log('matching...');
const settings = [
  { ratio: 0.75, px: 5 },
  { ratio: 0.7, px: 5 },
  { ratio: 0.8, px: 5 },
  { ratio: 0.75, px: 3 },
  { ratio: 0.75, px: 8 },
];
const minInliers = [8, 10, 12, 15, 20, 25];
for (const { ratio, px } of settings) {
  const rel = edited.map((e) => ({ edit: e.edit, n: inliers(sources[e.source]!, e.img, ratio, px) }));
  const unrel: number[] = [];
  for (let i = 0; i < sources.length; i++) for (let j = 0; j < sources.length; j++) if (i !== j) unrel.push(inliers(sources[i]!, sources[j]!, ratio, px));
  // edits against other photos' sources (not their own, not their donor)
  for (const e of edited) {
    for (let s = 0; s < sources.length; s++) if (s !== e.source && s !== (e.source + 1) % sources.length) unrel.push(inliers(sources[s]!, e.img, ratio, px));
  }
  console.log(`\nratio ${ratio}, ${px} px: unrelated pairs ${unrel.length}, inliers max ${Math.max(...unrel)}, p99 ${quantile(unrel, 0.99)}`);
  for (const m of minInliers) {
    const found = rel.filter((r) => r.n >= m).length;
    console.log(`  minInliers ${m}: recall ${found}/${rel.length}, false positives ${unrel.filter((n) => n >= m).length}`);
  }
  if (ratio === 0.75 && px === 5) {
    for (const e of EDITS) {
      const ns = rel.filter((r) => r.edit === e).map((r) => r.n);
      console.log(`  ${e}: inliers min ${Math.min(...ns)}, median ${quantile(ns, 0.5)}`);
    }
  }
}
log('verdicts and time...');
const verdicts = new Map<string, Map<string, number>>();
const ms: number[] = [];
const scales: string[] = [];
for (const e of edited) {
  const t = performance.now();
  const r = verifyFeatures(sources[e.source]!.f, e.img.f, { mirroredB: e.img.mirror });
  ms.push(performance.now() - t);
  const m = verdicts.get(e.edit) ?? new Map<string, number>();
  const key = `${r.verdict}: ${r.reasons.join('; ').replace(/\d+%/g, 'N%')}`;
  if (e.edit === 'scale50' || e.edit === 'crop50') scales.push(`${e.edit} scale ${r.transform?.scale} overlap ${JSON.stringify(r.overlap)}`);
  m.set(key, (m.get(key) ?? 0) + 1);
  verdicts.set(e.edit, m);
}
const unrelMs: number[] = [];
for (let i = 0; i < sources.length; i++) {
  for (let j = i + 1; j < sources.length; j++) {
    const t = performance.now();
    verifyFeatures(sources[i]!.f, sources[j]!.f);
    unrelMs.push(performance.now() - t);
  }
}
console.log('\nverdicts per edit (with the mirror pass):');
for (const [e, m] of verdicts) console.log(`  ${e}: ${[...m].map(([k, n]) => `${n}x ${k}`).join(' | ')}`);
console.log(`\ntransform and overlap (true scale 0.5; crop keeps 50%):\n  ${scales.join('\n  ')}`);
console.log(`\nverifyFeatures ms per pair: related p50 ${quantile(ms, 0.5).toFixed(2)} p95 ${quantile(ms, 0.95).toFixed(2)}; unrelated (records, no mirror pass) p50 ${quantile(unrelMs, 0.5).toFixed(2)} p95 ${quantile(unrelMs, 0.95).toFixed(2)}`);
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
