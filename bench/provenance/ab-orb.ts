/**
 * npx tsx bench/provenance/ab-orb.ts [rounds] ['<json list of extra variants>'] — the
 * current ORB extraction and matcher against the frozen orb.2 code, in one process,
 * interleaved image by image, so both see the same machine load:
 *
 * 1. identity: orbFromGrey with the default detector must give the frozen orb.2 output
 *    (orb2-reference.ts) byte for byte — width, height, keypoints, descriptors — for the
 *    190 bench images (19 photos + 171 edits), the photos' mirror pass and generated
 *    images (sizes that take OpenCV's two INTER_AREA paths, no resize, a faint one that
 *    takes the CLAHE path); matchDescriptors must give match-reference.ts's matches for
 *    every (source, edit) pair. Any difference is listed and the exit code is 1;
 * 2. speed, per round: ORB CPU ms per MP (process.cpuUsage, decode and grey conversion
 *    excluded) of the reference, the current code and any extra variants ({ name,
 *    keypoints?, detector? }, e.g. output-changing ones from tune-orb.ts); matching CPU
 *    ms per pair (old/new) and verifyFeatures p50 per (source, edit) pair. Medians over
 *    the rounds, with each one's ratio to the reference.
 * On a shared machine only the ratios mean much; quote the load average printed.
 */
import { loadavg } from 'node:os';
import { verifyFeatures, type Features } from '../../src/index.js';
import { decodeImage } from '../../src/features/decode.js';
import { rgbToGrey, type GreyImage } from '../../src/features/grey.js';
import { resolveExtractOptions } from '../../src/features/options.js';
import { DEFAULT_ORB_KEYPOINTS, ORB_DETECTOR, orbFromGrey, type OrbDetector, type OrbFeatures } from '../../src/features/orb.js';
import { matchDescriptors, type Matches } from '../../src/provenance/match.js';
import { RATIO } from '../../src/provenance/thresholds.js';
import sharp from 'sharp';
import { texturedPng } from '../../test/features/fixtures.js';
import { applyEdit, EDITS } from './edits.js';
import { matchReference } from './match-reference.js';
import { orb2Reference } from './orb2-reference.js';
import { ensurePhotos, loadPhotos } from './photos.js';
import { median, round } from './stats.js';

interface Variant {
  name: string;
  run: (g: GreyImage) => Promise<OrbFeatures>;
}

const log = (s: string) => process.stderr.write(`${s}\n`);
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

const sameOrb = (x: OrbFeatures, y: OrbFeatures) =>
  x.width === y.width && x.height === y.height && Buffer.from(x.keypoints.buffer, x.keypoints.byteOffset, x.keypoints.byteLength).equals(Buffer.from(y.keypoints.buffer, y.keypoints.byteOffset, y.keypoints.byteLength)) && Buffer.from(x.descriptors).equals(Buffer.from(y.descriptors));
const sameMatches = (x: Matches, y: Matches) =>
  Buffer.from(x.a.buffer).equals(Buffer.from(y.a.buffer)) && Buffer.from(x.b.buffer).equals(Buffer.from(y.b.buffer)) && Buffer.from(x.distance.buffer).equals(Buffer.from(y.distance.buffer));

async function grey(data: Buffer): Promise<GreyImage> {
  const d = await decodeImage(data, resolveExtractOptions({ extractors: ['orb'] }));
  return rgbToGrey(d.rgb, d.width, d.height);
}

/** Generated images: no resize, OpenCV's integer-ratio and general INTER_AREA paths, the CLAHE path, too small. */
async function generated(): Promise<Array<{ name: string; grey: GreyImage }>> {
  const out: Array<{ name: string; grey: GreyImage }> = [];
  for (const [seed, w, h] of [[7, 900, 700], [8, 2048, 1536], [9, 1300, 1000], [10, 700, 1500], [11, 640, 480], [12, 60, 400]] as const) {
    out.push({ name: `textured ${w}x${h}`, grey: await grey(await texturedPng(seed, w, h)) });
  }
  const faint = await sharp(await texturedPng(7, 900, 700)).linear(1 / 12, 118).png().toBuffer();
  out.push({ name: 'faint 900x700', grey: await grey(faint) });
  return out;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const extra = JSON.parse(process.argv[3] ?? '[]') as Array<{ name: string; keypoints?: number; detector?: Partial<OrbDetector> }>;
  ensurePhotos(log);
  const load = [loadavg()[0]!];
  const photos = await loadPhotos();
  const greys: GreyImage[] = [];
  const names: string[] = [];
  const sourceOf: number[] = [];
  for (const p of photos) {
    greys.push(await grey(p.data));
    names.push(p.name);
  }
  for (let i = 0; i < photos.length; i++) {
    for (const e of EDITS) {
      greys.push(await grey(await applyEdit(e, photos[i]!.data, photos[(i + 1) % photos.length]!.data, { seed: i + 1 })));
      names.push(`${photos[i]!.name}:${e}`);
      sourceOf.push(i);
    }
  }
  const budget = DEFAULT_ORB_KEYPOINTS;
  const variants: Variant[] = [
    { name: 'orb.2 frozen', run: (g) => orb2Reference(g, budget, false) },
    { name: 'current', run: (g) => orbFromGrey(g, { maxKeypoints: budget, mirror: false }) },
    ...extra.map((v) => ({ name: v.name, run: (g: GreyImage) => orbFromGrey(g, { maxKeypoints: v.keypoints ?? budget, mirror: false, detector: { ...ORB_DETECTOR, ...v.detector } }) })),
  ];

  // 1. identity
  const differ: string[] = [];
  const current: OrbFeatures[] = [];
  for (const [k, g] of greys.entries()) {
    const ref = await orb2Reference(g, budget, false);
    const now = await orbFromGrey(g, { maxKeypoints: budget, mirror: false });
    current.push(now);
    if (!sameOrb(ref, now)) differ.push(`orb ${names[k]}`);
  }
  for (const [k, g] of greys.slice(0, photos.length).entries()) {
    if (!sameOrb(await orb2Reference(g, budget, true), await orbFromGrey(g, { maxKeypoints: budget, mirror: true }))) differ.push(`orb mirror ${names[k]}`);
  }
  for (const { name, grey: g } of await generated()) {
    for (const [kp, mirror] of [[budget, false], [budget, true], [100, false], [1000, false]] as const) {
      if (!sameOrb(await orb2Reference(g, kp, mirror), await orbFromGrey(g, { maxKeypoints: kp, mirror }))) differ.push(`orb ${name} k${kp}${mirror ? ' mirror' : ''}`);
    }
  }
  for (const [k, src] of sourceOf.entries()) {
    const a = current[src]!.descriptors;
    const b = current[photos.length + k]!.descriptors;
    if (!sameMatches(matchReference(a, b, RATIO), matchDescriptors(a, b, RATIO))) differ.push(`matches ${names[photos.length + k]}`);
  }
  log(`identity: ${differ.length === 0 ? 'all equal' : `${differ.length} differ`}`);

  // 2. speed
  const mp = greys.reduce((s, g) => s + (g.width * g.height) / 1e6, 0);
  const orbPerRound: number[][] = variants.map(() => []);
  const matchPerRound: number[][] = [[], []];
  const verifyMs: number[] = [];
  const features: Features[] = current.map((orb, k) => ({ orb, width: greys[k]!.width, height: greys[k]!.height }));
  for (let r = 0; r < rounds; r++) {
    const cpu = variants.map(() => 0);
    for (const g of greys) {
      for (const [v, variant] of variants.entries()) {
        const c0 = cpuMs();
        await variant.run(g);
        cpu[v]! += cpuMs() - c0;
      }
    }
    cpu.forEach((c, v) => orbPerRound[v]!.push(c / mp));
    const match = [0, 0];
    for (const [k, src] of sourceOf.entries()) {
      const a = current[src]!.descriptors;
      const b = current[photos.length + k]!.descriptors;
      let c0 = cpuMs();
      matchReference(a, b, RATIO);
      match[0]! += cpuMs() - c0;
      c0 = cpuMs();
      matchDescriptors(a, b, RATIO);
      match[1]! += cpuMs() - c0;
      const t = performance.now();
      verifyFeatures(features[src]!, features[photos.length + k]!);
      verifyMs.push(performance.now() - t);
    }
    match.forEach((m, i) => matchPerRound[i]!.push(m / sourceOf.length));
    log(`round ${r + 1}/${rounds}: ${variants.map((v, i) => `${v.name} ${round(cpu[i]! / mp, 1)}`).join(', ')} ms/MP (load ${round(loadavg()[0]!)})`);
  }
  load.push(loadavg()[0]!);
  const ref = median(orbPerRound[0]!);
  const out = {
    load_average: load.map((l) => round(l)),
    images: greys.length,
    rounds,
    identity: differ.length === 0 ? 'orb and matches byte-identical to orb.2' : differ,
    orb_cpu_ms_per_mp: variants.map((v, i) => {
      const m = median(orbPerRound[i]!);
      const ratios = orbPerRound[i]!.map((x, r) => x / orbPerRound[0]![r]!);
      return { variant: v.name, median: round(m, 1), ratio_to_frozen: round(m / ref, 3), ratio_per_round_median: round(median(ratios), 3) };
    }),
    match_cpu_ms_per_pair: { old: round(median(matchPerRound[0]!)), new: round(median(matchPerRound[1]!)), ratio: round(median(matchPerRound[1]!.map((x, r) => x / matchPerRound[0]![r]!)), 3) },
    verify_related_p50_ms: round(median(verifyMs)),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  if (differ.length > 0) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
