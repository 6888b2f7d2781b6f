/**
 * npx tsx bench/provenance/ab-orb.ts — orb.1 (500 keypoints, 8 levels, 4x candidates,
 * no contrast step) against orb.2 (ORB_DETECTOR, 430 keypoints) in one process,
 * interleaved image by image and pair by pair, so both see the same machine load:
 * ORB CPU ms per MP (process.cpuUsage, decode excluded) and verifyFeatures ms per
 * (source, edit) pair (p50). On a shared machine only the ratio means much.
 */
import { loadavg } from 'node:os';
import { verifyFeatures, type Features } from '../../src/index.js';
import { decodeImage } from '../../src/features/decode.js';
import { rgbToGrey, type GreyImage } from '../../src/features/grey.js';
import { resolveExtractOptions } from '../../src/features/options.js';
import { DEFAULT_ORB_KEYPOINTS, ORB_DETECTOR, orbFromGrey, type OrbDetector } from '../../src/features/orb.js';
import { applyEdit, EDITS } from './edits.js';
import { ensurePhotos, loadPhotos } from './photos.js';
import { median, round } from './stats.js';

const VARIANTS: Array<{ name: string; keypoints: number; detector: OrbDetector }> = [
  { name: 'orb.1', keypoints: 500, detector: { ...ORB_DETECTOR, oversample: 4, levels: 8, contrast: 'none' } },
  { name: 'orb.2', keypoints: DEFAULT_ORB_KEYPOINTS, detector: { ...ORB_DETECTOR } },
];

async function main(): Promise<void> {
  const log = (s: string) => process.stderr.write(`${s}\n`);
  ensurePhotos(log);
  const load = [loadavg()[0]!];
  const photos = await loadPhotos();
  const greys: GreyImage[] = [];
  const sourceOf: number[] = [];
  const decode = async (data: Buffer) => {
    const d = await decodeImage(data, resolveExtractOptions({ extractors: ['orb'] }));
    return rgbToGrey(d.rgb, d.width, d.height);
  };
  for (const p of photos) greys.push(await decode(p.data));
  for (let i = 0; i < photos.length; i++) {
    for (const e of EDITS) {
      greys.push(await decode(await applyEdit(e, photos[i]!.data, photos[(i + 1) % photos.length]!.data, { seed: i + 1 })));
      sourceOf.push(i);
    }
  }
  const mp = greys.reduce((s, g) => s + (g.width * g.height) / 1e6, 0);
  const cpuMs = VARIANTS.map(() => 0);
  const features: Features[][] = VARIANTS.map(() => []);
  for (const g of greys) {
    for (const [v, variant] of VARIANTS.entries()) {
      const c0 = process.cpuUsage();
      const orb = await orbFromGrey(g, { maxKeypoints: variant.keypoints, mirror: false, detector: variant.detector });
      const c = process.cpuUsage(c0);
      cpuMs[v]! += (c.user + c.system) / 1000;
      features[v]!.push({ orb, width: g.width, height: g.height });
    }
  }
  const verifyMs: number[][] = VARIANTS.map(() => []);
  for (let pass = 0; pass < 3; pass++) {
    for (const [k, src] of sourceOf.entries()) {
      for (const v of VARIANTS.keys()) {
        const t = performance.now();
        verifyFeatures(features[v]![src]!, features[v]![photos.length + k]!);
        verifyMs[v]!.push(performance.now() - t);
      }
    }
  }
  load.push(loadavg()[0]!);
  const out = VARIANTS.map((variant, v) => ({
    variant: variant.name,
    orb_cpu_ms_per_mp: round(cpuMs[v]! / mp, 1),
    verify_related_p50_ms: round(median(verifyMs[v]!)),
  }));
  process.stdout.write(`${JSON.stringify({ load_average: load.map((l) => round(l)), images: greys.length, results: out })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
