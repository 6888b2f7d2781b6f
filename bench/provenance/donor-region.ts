/**
 * Can the donor tier find a texture-poor pasted patch from the region the host
 * does not explain? Per donor query of the scale bench (a quarter-size patch of
 * a photo pasted into a drawn 1024 x 768 host, scale-queries.ts), against the
 * pasted photo's record ORB (pairwise, no index):
 *
 * - `in query`: the query's own keypoints inside the pasted rectangle (what the
 *   donor tier votes with today);
 * - `re-extracted`: ORB extracted again (the production extractor, untouched)
 *   from the query cropped to that rectangle: a faint patch alone falls short of
 *   the keypoint budget, so the extractor's CLAHE pass runs on it, as it did on
 *   the whole photo when the photo was indexed.
 *
 * Counts: keypoints, "matchable" (nearest photo descriptor within 40 bits), of
 * those sharing an exact 32-bit chunk at any position, and at the chunk(s) the
 * index stores (terms.ts: what would vote).
 *
 * `npx tsx bench/provenance/donor-region.ts` (no Redis; the pasted rectangle is
 * found as the pixels where the query differs from its host).
 */
import sharp from 'sharp';
import type { Features } from '../../src/index.js';
import { extractFeatures, extractOrb } from '../../src/features/index.js';
import type { OrbFeatures } from '../../src/features/orb.js';
import { popcount32 } from '../../src/search/hash64.js';
import { indexTerms, queryTerms } from '../../src/provenance/index/terms.js';
import { ensurePhotos, loadPhotos } from './photos.js';
import { buildQueries, donorHostImage } from './scale-queries.js';
import { cachedQueryFeatures, SCALE_THUMB_EXTRACTORS } from './distractor-cache.js';
import { verifyDetailed } from '../../src/provenance/verify.js';
import { invert } from '../../src/provenance/homography.js';
import { ExplainedPoints } from '../../src/provenance/index/explained.js';
import { occludedRegion, regionOrb, type Box } from '../../src/provenance/index/donor-region.js';

const MATCH_BITS = 40;

function word(d: Uint8Array, k: number, p: number): number {
  const o = 32 * k + 4 * p;
  return (d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0;
}

/** The bounding box of the pixels where `a` and `b` (same size) differ by more than 24 grey levels, in px. */
async function differingBox(a: Buffer, b: Buffer): Promise<{ left: number; top: number; width: number; height: number }> {
  const ga = await sharp(a).greyscale().raw().toBuffer({ resolveWithObject: true });
  const gb = await sharp(b).greyscale().raw().toBuffer();
  const { width, height } = ga.info;
  // rows / columns where at least 30% of the pixels differ (JPEG noise stays under it)
  const rows = new Array<number>(height).fill(0);
  const cols = new Array<number>(width).fill(0);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (Math.abs(ga.data[y * width + x]! - gb[y * width + x]!) > 24) {
        rows[y]!++;
        cols[x]!++;
      }
    }
  }
  const span = (v: number[], n: number, other: number) => {
    const on = v.map((c) => c > 0.3 * other);
    let lo = on.indexOf(true);
    let hi = on.lastIndexOf(true);
    if (lo < 0) [lo, hi] = [0, n - 1];
    return [lo, hi] as const;
  };
  const [top, bottom] = span(rows, height, width);
  const [left, right] = span(cols, width, height);
  // the box found from rows and columns of the whole frame is loose: use the columns' and rows' extents
  return { left, top, width: right - left + 1, height: bottom - top + 1 };
}

function compare(q: OrbFeatures, src: OrbFeatures, inside?: (x: number, y: number) => boolean) {
  const indexed = new Set(indexTerms(src.descriptors));
  let keypoints = 0;
  let matchable = 0;
  let anyChunk = 0;
  let votes = 0;
  const n = q.descriptors.length / 32;
  for (let i = 0; i < n; i++) {
    if (inside && !inside(q.keypoints[2 * i]!, q.keypoints[2 * i + 1]!)) continue;
    keypoints++;
    let best = 257;
    let bj = -1;
    for (let j = 0; j < src.descriptors.length / 32; j++) {
      let h = 0;
      for (let p = 0; p < 8; p++) h += popcount32((word(q.descriptors, i, p) ^ word(src.descriptors, j, p)) >>> 0);
      if (h < best) [best, bj] = [h, j];
    }
    if (best <= MATCH_BITS) {
      matchable++;
      let any = false;
      for (let p = 0; p < 8; p++) if (word(q.descriptors, i, p) === word(src.descriptors, bj, p)) any = true;
      if (any) anyChunk++;
    }
  }
  // votes: the query's lookup terms (queryTerms) found among the source's indexed terms
  for (const t of queryTerms(q.descriptors, (k) => !inside || inside(q.keypoints[2 * k]!, q.keypoints[2 * k + 1]!)).terms) if (indexed.has(t)) votes++;
  return { keypoints, matchable, anyChunk, votes };
}

/** The keypoints of `orb` at which `keep` holds. */
function subset(orb: OrbFeatures, keep: (x: number, y: number) => boolean): OrbFeatures {
  const kept: number[] = [];
  for (let k = 0; 32 * k < orb.descriptors.length; k++) if (keep(orb.keypoints[2 * k]!, orb.keypoints[2 * k + 1]!)) kept.push(k);
  const keypoints = new Uint16Array(2 * kept.length);
  const descriptors = new Uint8Array(32 * kept.length);
  kept.forEach((k, i) => {
    keypoints.set(orb.keypoints.subarray(2 * k, 2 * k + 2), 2 * i);
    descriptors.set(orb.descriptors.subarray(32 * k, 32 * k + 32), 32 * i);
  });
  return { ...orb, keypoints, descriptors };
}

async function main(): Promise<void> {
  ensurePhotos(() => {});
  const photos = await loadPhotos();
  const queries = (await buildQueries(photos)).filter((q) => q.kind === 'donor');
  console.log('donor query: pasted box (px) | in query: keypoints / matchable / exact chunk / votes | re-extracted crop: the same');
  for (const q of queries) {
    const photo = photos[q.photo]!;
    const srcFeatures = (await extractFeatures(photo.data, { extractors: [...SCALE_THUMB_EXTRACTORS] })) as Features;
    const src = srcFeatures.orb as OrbFeatures;
    const host = await donorHostImage(q.photo);
    const box = await differingBox(q.image, host);
    const qf = await cachedQueryFeatures(q.image);
    const qorb = qf.features.orb as OrbFeatures;
    const sx = qorb.width / 1024;
    const inside = (x: number, y: number) => x >= box.left * sx && x < (box.left + box.width) * sx && y >= box.top * sx && y < (box.top + box.height) * sx;
    const a = compare(qorb, src, inside);
    const crop = await sharp(q.image).extract(box).png().toBuffer();
    const b = compare(await extractOrb(crop), src);
    const verdict = (orb: OrbFeatures) => {
      const v = verifyDetailed(srcFeatures, { ...qf.features, orb }).result;
      return `${v.verdict}/${v.inliers}`;
    };
    const patchOnly = subset(qorb, inside);
    // the region the donor tier would cut out: from the host's verification, as search.ts does
    const hostFeatures = (await extractFeatures(host, { extractors: [...SCALE_THUMB_EXTRACTORS] })) as Features;
    const hv = verifyDetailed(hostFeatures, qf.features, { mirroredB: qf.mirrored });
    let region: Box | null = null;
    let c = { keypoints: 0, matchable: 0, anyChunk: 0, votes: 0 };
    let regionVerdict = '-';
    if (hv.geometry) {
      const inverse = invert(hv.geometry.h);
      const explained = new ExplainedPoints();
      explained.add(hv.geometry.inliersB);
      if (inverse) explained.addHost(hostFeatures.orb as OrbFeatures, inverse);
      const points: number[] = [];
      for (let k = 0; 32 * k < qorb.descriptors.length; k++) {
        if (explained.explains(qorb.keypoints[2 * k]!, qorb.keypoints[2 * k + 1]!, qorb.descriptors, k)) points.push(qorb.keypoints[2 * k]!, qorb.keypoints[2 * k + 1]!);
      }
      region = inverse ? occludedRegion(qorb, points, [{ orb: hostFeatures.orb as OrbFeatures, inverse }]) : null;
      if (region) {
        const rorb = await regionOrb(q.image, qorb.width, region);
        c = compare(rorb, src);
        const v = verifyDetailed(srcFeatures, { orb: rorb }).result;
        regionVerdict = `${v.verdict}/${v.inliers}`;
      }
    }
    console.log(
      `${photo.name.padEnd(28)} ${box.width}x${box.height}+${box.left}+${box.top} (photo ${src.keypoints.length / 2} kp) | ` +
        `${a.keypoints} / ${a.matchable} / ${a.anyChunk} / ${a.votes} | ${b.keypoints} / ${b.matchable} / ${b.anyChunk} / ${b.votes} | verify: query ${verdict(qorb)}, patch keypoints ${verdict(patchOnly)} | ` +
        `host ${hv.result.verdict}/${hv.result.inliers}, region ${region ? `${region.width}x${region.height}+${region.left}+${region.top}` : 'none'}: ${c.keypoints} / ${c.matchable} / ${c.anyChunk} / ${c.votes}, verify ${regionVerdict}`,
    );
  }
}

await main();
