/**
 * Verification engines side by side on the same pairs: the hand-written JS
 * (popcount Hamming matcher + RANSAC with a 4-point DLT, src/provenance/) and
 * opencv-js (BFMatcher NORM_HAMMING knnMatch k=2 + findHomography RANSAC),
 * both with ratio 0.75 and a 5 px threshold. Per pair: matching + RANSAC ms
 * (p50 / p95) and inliers found, so the two agree before they are timed.
 *
 * Pairs: ORB features of generated textured images and their edits
 * (test/provenance/edits.ts) when `--images`, else synthetic keypoints.
 * Run: npx tsx bench/verify-matchers.ts [--images] [--rounds 5]
 */
import os from 'node:os';
import { loadOpenCv, type CvMat, type OpenCv } from '../src/features/opencv.js';
import { matchForward } from '../src/provenance/geometric.js';
import type { OrbFeatures } from '../src/provenance/orb-input.js';
import { RANSAC_MAX_ITERATIONS, RANSAC_SEED, RANSAC_THRESHOLD_PX, RATIO } from '../src/provenance/thresholds.js';
import { randomScene, toOrb, viewOf } from '../test/provenance/synthetic.js';

/** The OpenCV classes the comparison needs beyond src/features/opencv.ts (typings of the package lack them). */
type Cv = OpenCv & {
  BFMatcher: new (norm: number, crossCheck: boolean) => unknown;
  DMatchVectorVector: new () => unknown;
  NORM_HAMMING: number;
  CV_8U: number;
  CV_32FC2: number;
  RANSAC: number;
  findHomography(src: CvMat, dst: CvMat, method: number, threshold: number, mask: CvMat): CvMat & { empty(): boolean };
  countNonZero(m: CvMat): number;
};

interface DMatch {
  queryIdx: number;
  trainIdx: number;
  distance: number;
}
interface Vec<T> {
  size(): number;
  get(i: number): T;
  delete(): void;
}
interface KnnMatcher {
  knnMatch(query: unknown, train: unknown, out: Vec<Vec<DMatch>>, k: number): void;
  delete(): void;
}

interface Pair {
  name: string;
  a: OrbFeatures;
  b: OrbFeatures;
}


function opencvVerify(cv: Cv, a: OrbFeatures, b: OrbFeatures): { matches: number; inliers: number } {
  const na = a.descriptors.length / 32;
  const nb = b.descriptors.length / 32;
  const da = new cv.Mat(na, 32, cv.CV_8U);
  const db = new cv.Mat(nb, 32, cv.CV_8U);
  da.data.set(a.descriptors);
  db.data.set(b.descriptors);
  // the package's typings lack knnMatch, size() and delete() on these classes
  const matcher = new cv.BFMatcher(cv.NORM_HAMMING, false) as KnnMatcher;
  const knn = new cv.DMatchVectorVector() as Vec<Vec<DMatch>>;
  const src: number[] = [];
  const dst: number[] = [];
  try {
    matcher.knnMatch(da, db, knn, 2);
    for (let i = 0; i < knn.size(); i++) {
      const pair = knn.get(i);
      if (pair.size() < 2) continue;
      const m0 = pair.get(0);
      const m1 = pair.get(1);
      if (m0.distance < RATIO * m1.distance) {
        src.push(a.keypoints[2 * m0.queryIdx]!, a.keypoints[2 * m0.queryIdx + 1]!);
        dst.push(b.keypoints[2 * m0.trainIdx]!, b.keypoints[2 * m0.trainIdx + 1]!);
      }
    }
  } finally {
    da.delete();
    db.delete();
    matcher.delete();
    knn.delete();
  }
  const n = src.length / 2;
  if (n < 4) return { matches: n, inliers: 0 };
  const ms = cv.matFromArray(n, 1, cv.CV_32FC2, src);
  const md = cv.matFromArray(n, 1, cv.CV_32FC2, dst);
  const mask = new cv.Mat();
  try {
    const h = cv.findHomography(ms, md, cv.RANSAC, RANSAC_THRESHOLD_PX, mask);
    const inliers = h.empty() ? 0 : cv.countNonZero(mask);
    h.delete();
    return { matches: n, inliers };
  } finally {
    ms.delete();
    md.delete();
    mask.delete();
  }
}

function syntheticPairs(): Pair[] {
  const pairs: Pair[] = [];
  for (let s = 0; s < 10; s++) {
    const scene = randomScene(100 + s, 1000, 750, 500);
    const a = toOrb(scene);
    const half = viewOf(scene, (x, y) => [x * 0.5, y * 0.5], 500, 375, { seed: s, flipBits: 30, distractors: 300 });
    pairs.push({ name: `related-${s}`, a, b: toOrb(half) });
    pairs.push({ name: `unrelated-${s}`, a, b: toOrb(randomScene(900 + s, 1000, 750, 500)) });
  }
  return pairs;
}

async function imagePairs(): Promise<Pair[]> {
  const { editPairs } = await import('../test/provenance/edits.js');
  return (await editPairs()).map((p) => ({ name: p.name, a: p.a.orb, b: p.b.orb }));
}

function pct(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rounds = Number(args[args.indexOf('--rounds') + 1]) || 5;
  const pairs = args.includes('--images') ? await imagePairs() : syntheticPairs();
  const t0 = performance.now();
  const cv = (await loadOpenCv()).cv as Cv;
  const loadMs = performance.now() - t0;
  // minInliers 4: a full search, as findHomography does (verifyFeatures stops earlier on hopeless pairs)
  const params = { ratio: RATIO, thresholdPx: RANSAC_THRESHOLD_PX, minInliers: 4, maxIterations: RANSAC_MAX_ITERATIONS, seed: RANSAC_SEED };
  const times = { js: [] as number[], opencv: [] as number[] };
  const agree: string[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const p of pairs) {
      let t = performance.now();
      const js = matchForward(p.a, p.b, params);
      times.js.push(performance.now() - t);
      t = performance.now();
      const ocv = opencvVerify(cv, p.a, p.b);
      times.opencv.push(performance.now() - t);
      if (r === 0) agree.push(`${p.name}: matches js ${js.matches} / opencv ${ocv.matches}, inliers js ${js.inliersA.length} / opencv ${ocv.inliers}`);
    }
  }
  for (const line of agree) console.log(line);
  for (const [k, v] of Object.entries(times)) {
    const s = v.slice(pairs.length).sort((x, y) => x - y); // first round is warm-up
    console.log(`${k}: p50 ${pct(s, 0.5).toFixed(2)} ms, p95 ${pct(s, 0.95).toFixed(2)} ms over ${s.length} pair runs`);
  }
  console.log(`opencv-js load ${loadMs.toFixed(0)} ms; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

await main();
