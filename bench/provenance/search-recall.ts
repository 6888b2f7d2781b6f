/**
 * searchProvenance end to end on a small real set: the mate-backgrounds photos
 * (with enough texture) and generated distractors indexed in a private
 * redis-server, each photo's 9 edits as queries (by image: identity and
 * mirrored vote, verification, donors). Recall of the source at 1 and 10
 * (verified related), donors of overlays and splices found, query time.
 * `npx tsx bench/provenance/search-recall.ts [--distractors 100]`
 * (the 100,000-image scale run is `npm run bench:provenance`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFeatureCache } from '../../src/index.js';
import { extractOrb } from '../../src/features/index.js';
import { extractQueryFeatures } from '../../src/provenance/index/query-features.js';
import { startRedisProcess } from '../../src/redis/redis-process.js';
import { featuresOf } from '../../test/provenance/index/fixture.js';
import { applyEdit, EDITS, NEEDS_DONOR } from './edits.js';
import { ensurePhotos, loadPhotos } from './photos.js';
import { quantile } from './stats.js';
import { texturedImage } from './textures.js';

const argv = process.argv.slice(2);
const distractors = Number(argv[argv.indexOf('--distractors') + 1] ?? 100) || 100;
ensurePhotos(console.log);
const dir = mkdtempSync(join(tmpdir(), 'featcache-recall-'));
const proc = await startRedisProcess({ dir, config: {} });
const cache = await createFeatureCache({ redis: proc.url, prefix: 'rc', commandTimeoutMs: 20_000, provenanceIndex: { expectedImages: 1000 } });
try {
  const photos = [];
  for (const p of await loadPhotos(1)) if ((await extractOrb(p.data)).descriptors.length / 32 >= 200) photos.push(p);
  for (const p of photos) await cache.set(p.name, await featuresOf(p.data));
  for (let d = 0; d < distractors; d++) await cache.set(`distractor-${d}`, await featuresOf(await texturedImage(7000 + d, { format: 'jpeg' })));
  const ms: number[] = [];
  const perEdit = new Map<string, { at1: number; at10: number; n: number }>();
  let donorsFound = 0;
  let donorQueries = 0;
  let falseRelated = 0;
  const misses: string[] = [];
  for (let i = 0; i < photos.length; i++) {
    const src = photos[i]!;
    const donor = photos[(i + 1) % photos.length]!;
    for (const e of EDITS) {
      const img = await applyEdit(e, src.data, donor.data, { seed: i + 1 });
      const q = await extractQueryFeatures(img);
      const t = performance.now();
      const r = await cache.searchProvenance({ features: q.features, mirrored: q.mirrored }, { limit: 10 });
      ms.push(performance.now() - t);
      const related = r.candidates.filter((c) => c.verdict !== undefined && c.verdict !== 'unrelated').map((c) => c.imageId);
      const rank = related.indexOf(src.name);
      const s = perEdit.get(e) ?? { at1: 0, at10: 0, n: 0 };
      s.n++;
      if (rank === 0 || (rank > 0 && NEEDS_DONOR.has(e) && related[0] === donor.name && rank === 1)) s.at1++;
      if (rank >= 0) s.at10++;
      else {
        const c = r.candidates.find((x) => x.imageId === src.name);
        misses.push(`${e} of ${src.name}: ${c ? `voted ${c.votes}, ${c.verdict ?? 'not verified'}, ${c.inliers ?? '-'} inliers` : 'not among the candidates'}`);
      }
      perEdit.set(e, s);
      if (NEEDS_DONOR.has(e)) {
        donorQueries++;
        if (related.includes(donor.name)) donorsFound++;
      }
      falseRelated += related.filter((id) => id !== src.name && id !== donor.name).length;
    }
  }
  const total = [...perEdit.values()].reduce((a, s) => ({ at1: a.at1 + s.at1, at10: a.at10 + s.at10, n: a.n + s.n }), { at1: 0, at10: 0, n: 0 });
  console.log(
    JSON.stringify(
      {
        indexed: photos.length + distractors,
        queries: total.n,
        recall_at_1: +(total.at1 / total.n).toFixed(3),
        recall_at_10: +(total.at10 / total.n).toFixed(3),
        per_edit_at_10: Object.fromEntries([...perEdit].map(([e, s]) => [e, `${s.at10}/${s.n}`])),
        donors_found: `${donorsFound}/${donorQueries}`,
        unrelated_called_related: falseRelated,
        misses,
        query_ms_p50: Math.round(quantile(ms, 0.5)),
        query_ms_p99: Math.round(quantile(ms, 0.99)),
        load: loadavg().map((l) => l.toFixed(1)).join(' '),
      },
      null,
      2,
    ),
  );
} finally {
  await cache.close();
  await proc.stop();
  rmSync(dir, { recursive: true, force: true });
}
