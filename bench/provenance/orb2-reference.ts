/**
 * The frozen `orb.2` extraction: src/features/orb.ts's orbFromGrey as it was when the
 * 100,000-image benchmark corpus (bench/provenance/scale.ts) was extracted, with its
 * default detector (1024 px frame by INTER_AREA, 3 x 430 candidates over 6 levels,
 * CLAHE re-detection when short, 6 x 6 grid). ab-orb.ts checks the current code
 * against it byte for byte and times both: a speed-up of orbFromGrey that changes
 * its output fails there. Measurement only; never used by the library.
 */
import { selectGridSpread } from '../../src/features/grid-select.js';
import type { GreyImage } from '../../src/features/grey.js';
import { loadOpenCv, type OpenCv } from '../../src/features/opencv.js';
import type { OrbFeatures } from '../../src/features/orb.js';

type Mat = ReturnType<OpenCv['matFromArray']>;

function detect(cv: OpenCv, mat: Mat, width: number, height: number, budget: number, own: <T extends { delete(): void }>(x: T) => T) {
  const orb = own(new cv.ORB(budget * 3));
  orb.setNLevels(6);
  const keypoints = own(new cv.KeyPointVector());
  const descriptors = own(new cv.Mat());
  orb.detectAndCompute(mat, own(new cv.Mat()), keypoints, descriptors);
  const n = keypoints.size();
  const candidates = Array.from({ length: n }, (_, i) => {
    const kp = keypoints.get(i);
    return { x: kp.pt.x, y: kp.pt.y, response: kp.response };
  });
  const kept = selectGridSpread(candidates, width, height, budget);
  const xy = new Uint16Array(kept.length * 2);
  const desc = new Uint8Array(kept.length * 32);
  const all = n > 0 ? descriptors.data : new Uint8Array(0);
  kept.forEach((i, j) => {
    const c = candidates[i]!;
    xy[2 * j] = Math.min(width - 1, Math.max(0, Math.round(c.x)));
    xy[2 * j + 1] = Math.min(height - 1, Math.max(0, Math.round(c.y)));
    desc.set(all.subarray(i * 32, (i + 1) * 32), j * 32);
  });
  return { features: { width, height, keypoints: xy, descriptors: desc }, candidates: n };
}

/** orb.2 features of a grey image, as the corpus was extracted. */
export async function orb2Reference(grey: GreyImage, budget: number, mirror: boolean): Promise<OrbFeatures> {
  const scale = Math.min(1, 1024 / Math.max(grey.width, grey.height));
  const width = scale === 1 ? grey.width : Math.max(1, Math.round(grey.width * scale));
  const height = scale === 1 ? grey.height : Math.max(1, Math.round(grey.height * scale));
  if (Math.min(width, height) < 63) return { width, height, keypoints: new Uint16Array(0), descriptors: new Uint8Array(0) };
  const { cv } = await loadOpenCv();
  const owned: Array<{ delete(): void }> = [];
  const own = <T extends { delete(): void }>(x: T): T => {
    owned.push(x);
    return x;
  };
  try {
    let mat = own(cv.matFromArray(grey.height, grey.width, cv.CV_8UC1, grey.data));
    if (width !== grey.width || height !== grey.height) {
      const small = own(new cv.Mat());
      cv.resize(mat, small, new cv.Size(width, height), 0, 0, cv.INTER_AREA);
      mat = small;
    }
    if (mirror) {
      const flipped = own(new cv.Mat());
      cv.flip(mat, flipped, 1);
      mat = flipped;
    }
    const plain = detect(cv, mat, width, height, budget, own);
    if (plain.candidates >= budget) return plain.features;
    const enhanced = own(new cv.Mat());
    own(new cv.CLAHE(2, new cv.Size(8, 8))).apply(mat, enhanced);
    return detect(cv, enhanced, width, height, budget, own).features;
  } finally {
    for (const x of owned) x.delete();
  }
}
