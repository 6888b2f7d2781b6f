/**
 * npx tsx bench/provenance/tune-orb.ts '<json list of configs>' — measures ORB
 * detector settings on the provenance bench photos (bench/provenance/photos.ts) and
 * their edits, in this process (one core): recall of verifyFeatures per edit, false
 * positives and the most inliers over every unrelated pair, CPU and wall ms per
 * megapixel of ORB extraction (decode excluded), keypoints and bytes per record.
 * A config: { "name": "...", "keypoints": 500, "detector": { ...OrbDetector } ,
 * "verify": { ...VerifyOptions } }; fields left out keep the defaults. How the
 * defaults were chosen with it: docs/PROVENANCE.md ("ORB parameters").
 */
import { verifyFeatures, type Features, type VerifyOptions } from '../../src/index.js';
import { extractFeatures } from '../../src/features/index.js';
import { decodeImage } from '../../src/features/decode.js';
import { resolveExtractOptions } from '../../src/features/options.js';
import { rgbToGrey, type GreyImage } from '../../src/features/grey.js';
import { DEFAULT_ORB_KEYPOINTS, ORB_DETECTOR, orbFromGrey, type OrbDetector } from '../../src/features/orb.js';
import { hashEvidence } from '../../src/provenance/hash-evidence.js';
import { MIN_TEXTURE_KEYPOINTS } from '../../src/provenance/thresholds.js';
import { applyEdit, EDITS, NEEDS_DONOR, type EditName } from './edits.js';
import { ensurePhotos, loadPhotos } from './photos.js';
import { median, pct, quantile, round } from './stats.js';
import { loadavg } from 'node:os';
import { unrelatedPairs } from './family.js';

interface Config {
  name: string;
  keypoints?: number;
  detector?: Partial<OrbDetector>;
  verify?: VerifyOptions;
}

interface Item {
  id: string;
  family: number[];
  source: number;
  edit?: EditName;
  grey: GreyImage;
  megapixels: number;
  hashes: Features;
}

const log = (s: string) => process.stderr.write(`${s}\n`);
const HASHES = ['phash', 'phash_dihedral', 'content_hash', 'meta'] as const;

async function item(id: string, data: Buffer, family: number[], source: number, edit?: EditName): Promise<Item> {
  const decoded = await decodeImage(data, resolveExtractOptions({ extractors: ['orb'] }));
  const hashes = (await extractFeatures(data, { extractors: [...HASHES] })) as Features;
  return { id, family, source, edit, grey: rgbToGrey(decoded.rgb, decoded.width, decoded.height), megapixels: (decoded.width * decoded.height) / 1e6, hashes };
}

async function main(): Promise<void> {
  const configs = JSON.parse(process.argv[2] ?? '[{"name":"default"}]') as Config[];
  ensurePhotos(log);
  const photos = await loadPhotos();
  const items: Item[] = [];
  for (let i = 0; i < photos.length; i++) items.push(await item(`photo:${photos[i]!.name}`, photos[i]!.data, [i], i));
  for (let i = 0; i < photos.length; i++) {
    const donor = (i + 1) % photos.length;
    for (const e of EDITS) {
      const data = await applyEdit(e, photos[i]!.data, photos[donor]!.data, { seed: i + 1 });
      items.push(await item(`edit:${photos[i]!.name}:${e}`, data, NEEDS_DONOR.has(e) ? [i, donor] : [i], i, e));
    }
  }
  const sources = items.slice(0, photos.length);
  const edits = items.slice(photos.length);
  for (const c of configs) {
    const detector = { ...ORB_DETECTOR, ...c.detector };
    const budget = c.keypoints ?? DEFAULT_ORB_KEYPOINTS;
    const load = loadavg()[0]!;
    const features: Features[] = [];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let mp = 0;
    for (const it of items) {
      const orb = await orbFromGrey(it.grey, { maxKeypoints: budget, mirror: false, detector });
      features.push({ ...it.hashes, orb });
      mp += it.megapixels;
    }
    const cpu = process.cpuUsage(cpu0);
    const wallMsPerMp = (performance.now() - t0) / mp;
    const cpuMsPerMp = (cpu.user + cpu.system) / 1000 / mp;
    const kp = features.map((f) => (f.orb as { keypoints: Uint16Array }).keypoints.length / 2);

    // nearest pHash distance (any orientation) by texture: how far the hash fallback can be trusted
    const textured = (f: Features) => (f.orb as { keypoints: Uint16Array }).keypoints.length / 2 >= MIN_TEXTURE_KEYPOINTS;
    const hashDistance = (a: Features, b: Features) => {
      const h = hashEvidence(a, b);
      return Math.min(h.phashDistance ?? 64, h.orientation?.distance ?? 64);
    };
    const hashRelated: string[] = [];
    const hashUnrelated: Record<string, number[]> = { both_textured: [], not_both: [] };
    const perEdit: Record<string, number> = {};
    const relatedInliers: number[] = [];
    const misses: string[] = [];
    const relatedMs: number[] = [];
    for (const [k, e] of edits.entries()) {
      const t = performance.now();
      const r = verifyFeatures(features[e.source]!, features[photos.length + k]!, c.verify);
      relatedMs.push(performance.now() - t);
      relatedInliers.push(r.inliers);
      if (r.reasons.some((x) => x.includes('perceptual hash'))) {
        const fa = features[e.source]!;
        const fb = features[photos.length + k]!;
        hashRelated.push(`${e.id} d=${hashDistance(fa, fb)} ${textured(fa) && textured(fb) ? 'textured' : 'low-texture'}`);
      }
      if (r.verdict !== 'unrelated') perEdit[e.edit!] = (perEdit[e.edit!] ?? 0) + 1;
      else misses.push(`${e.id} (${r.inliers}; ${r.reasons.join(', ')})`);
    }
    let fp = 0;
    let pairs = 0;
    const unrelatedInliers: number[] = [];
    const fps: string[] = [];
    for (const [i, j] of unrelatedPairs(items)) {
      const a = items[i]!;
      const b = items[j]!;
      pairs++;
      const r = verifyFeatures(features[i]!, features[j]!, c.verify);
      unrelatedInliers.push(r.inliers);
      const d = hashDistance(features[i]!, features[j]!);
      if (d <= 14) hashUnrelated[textured(features[i]!) && textured(features[j]!) ? 'both_textured' : 'not_both']!.push(d);
      if (r.verdict !== 'unrelated') {
        fp++;
        fps.push(`${a.id} ~ ${b.id}: ${r.verdict} ${r.inliers} ${r.reasons.join(', ')}`);
      }
    }
    const hits = Object.values(perEdit).reduce((s, v) => s + v, 0);
    const out = {
      name: c.name,
      detector,
      budget,
      verify: c.verify ?? {},
      load_average: round(load),
      orb_cpu_ms_per_mp: round(cpuMsPerMp, 1),
      orb_wall_ms_per_mp: round(wallMsPerMp, 1),
      keypoints_median: median(kp),
      keypoints_sources: sources.map((s, i) => `${s.id.slice(6)} ${kp[i]}`).join(', '),
      recall: pct(hits, edits.length),
      per_edit: Object.fromEntries(EDITS.map((e) => [e, pct(perEdit[e] ?? 0, sources.length)])),
      related_p50_ms: round(quantile(relatedMs, 0.5)),
      unrelated_pairs: pairs,
      false_positives: fp,
      unrelated_inliers_max: Math.max(...unrelatedInliers),
      unrelated_inliers_p999: quantile(unrelatedInliers, 0.999),
      unrelated_inliers_over: Object.fromEntries([6, 8, 10, 12, 15].map((t) => [t, unrelatedInliers.filter((v) => v >= t).length])),
      related_inliers_between: Object.fromEntries([6, 8, 10, 12].map((t) => [t, relatedInliers.filter((v) => v >= t && v < 15).length])),
      misses,
      hash_judged_related: hashRelated,
      hash_unrelated_le14: Object.fromEntries(Object.entries(hashUnrelated).map(([k, v]) => [k, v.sort((x, y) => x - y).join(' ')])),
      fps: fps.slice(0, 10),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    log(`${c.name}: recall ${out.recall}% fp ${fp}/${pairs} max unrelated inliers ${out.unrelated_inliers_max}; ORB ${out.orb_cpu_ms_per_mp} ms/MP CPU (${out.orb_wall_ms_per_mp} wall, load ${out.load_average}); keypoints ${out.keypoints_median}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
