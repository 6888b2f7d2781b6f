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
 *    with the native addon built, the same for orbFromGrey on the native backend, and
 *    OpenCV's raw output of both backends compared image by image (rawIdentity: frame
 *    and CLAHE frame pixels, every keypoint's x, y, size, angle, response and octave,
 *    descriptors; as multisets, and the keypoint order, which the two builds' sorts may
 *    set differently and which orb.2 uses only to break exact response ties);
 * 2. speed, per round: ORB CPU ms per MP (process.cpuUsage, decode and grey conversion
 *    excluded) of the reference, the current code on each backend and any extra variants (on
 *    the default backend: native when built; { name,
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
import { DEFAULT_ORB_KEYPOINTS, ORB_DETECTOR, orbFrameSize, orbFromGrey, type OrbDetector, type OrbFeatures } from '../../src/features/orb.js';
import { RAW_KEYPOINT_FIELDS, type OrbBackend, type RawOrb } from '../../src/features/orb-backend.js';
import { nativeOrb } from '../../src/features/orb-native.js';
import { wasmOrbBackend } from '../../src/features/orb-wasm.js';
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

const bytes = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** Keypoint i's 6 fields and descriptor as one string: what the multiset comparison counts. */
function rawRows(r: RawOrb): string[] {
  const n = r.keypoints.length / RAW_KEYPOINT_FIELDS;
  return Array.from({ length: n }, (_, i) => `${Array.from(r.keypoints.subarray(i * RAW_KEYPOINT_FIELDS, (i + 1) * RAW_KEYPOINT_FIELDS)).join(',')}:${bytes(r.descriptors.subarray(i * 32, (i + 1) * 32)).toString('hex')}`);
}

/** How OpenCV's raw output differs between two backends on one grey image (plain and CLAHE frame); [] when identical. */
function rawDiff(a: OrbBackend, b: OrbBackend, g: GreyImage, mirror: boolean, budget: number): { differ: string[]; orderOnly: boolean; ties: number } {
  const frame = orbFrameSize(g.width, g.height);
  if (Math.min(frame.width, frame.height) < 63) return { differ: [], orderOnly: false, ties: 0 };
  const sa = a.open();
  const sb = b.open();
  try {
    const differ: string[] = [];
    let orderOnly = false;
    let ties = 0;
    const fa = sa.frame(g, frame.width, frame.height, mirror);
    const fb = sb.frame(g, frame.width, frame.height, mirror);
    if (!bytes(sa.pixels(fa)).equals(bytes(sb.pixels(fb)))) differ.push('frame');
    const ea = sa.enhance(fa, { kind: 'clahe', clip: ORB_DETECTOR.claheClip, tiles: ORB_DETECTOR.claheTiles });
    const eb = sb.enhance(fb, { kind: 'clahe', clip: ORB_DETECTOR.claheClip, tiles: ORB_DETECTOR.claheTiles });
    if (!bytes(sa.pixels(ea)).equals(bytes(sb.pixels(eb)))) differ.push('clahe frame');
    for (const [what, x, y] of [['plain', fa, fb], ['clahe', ea, eb]] as const) {
      const ra = sa.detect(x, budget * ORB_DETECTOR.oversample, ORB_DETECTOR.levels);
      const rb = sb.detect(y, budget * ORB_DETECTOR.oversample, ORB_DETECTOR.levels);
      const rowsA = rawRows(ra);
      const rowsB = rawRows(rb);
      if ([...rowsA].sort().join('|') !== [...rowsB].sort().join('|')) differ.push(`${what} keypoints/descriptors`);
      else if (rowsA.join('|') !== rowsB.join('|')) orderOnly = true;
      const responses = new Map<number, number>();
      for (let i = 4; i < ra.keypoints.length; i += RAW_KEYPOINT_FIELDS) responses.set(ra.keypoints[i]!, (responses.get(ra.keypoints[i]!) ?? 0) + 1);
      for (const c of responses.values()) if (c > 1) ties += c;
    }
    return { differ, orderOnly, ties };
  } finally {
    sa.close();
    sb.close();
  }
}

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
  const wasm = await wasmOrbBackend();
  const loaded = nativeOrb();
  const native = 'backend' in loaded ? loaded.backend : undefined;
  log(native ? `native backend: OpenCV ${'opencv' in loaded ? loaded.opencv : '?'}` : `native backend absent: ${'reason' in loaded ? loaded.reason : ''}`);
  const backends: OrbBackend[] = native ? [wasm, native] : [wasm];
  const variants: Variant[] = [
    { name: 'orb.2 frozen', run: (g) => orb2Reference(g, budget, false) },
    ...backends.map((backend) => ({ name: `current ${backend.name}`, run: (g: GreyImage) => orbFromGrey(g, { maxKeypoints: budget, mirror: false, backend }) })),
    ...extra.map((v) => ({ name: v.name, run: (g: GreyImage) => orbFromGrey(g, { maxKeypoints: v.keypoints ?? budget, mirror: false, detector: { ...ORB_DETECTOR, ...v.detector } }) })),
  ];

  // 1. identity
  const differ: string[] = [];
  const current: OrbFeatures[] = [];
  const rawDiffer: string[] = [];
  let orderOnly = 0;
  let tiedCandidates = 0;
  let rawCompared = 0;
  const raw = (name: string, g: GreyImage, mirror: boolean) => {
    if (!native) return;
    const r = rawDiff(wasm, native, g, mirror, budget);
    rawCompared += 1;
    if (r.differ.length > 0) rawDiffer.push(`${name}${mirror ? ' mirror' : ''}: ${r.differ.join(', ')}`);
    if (r.orderOnly) orderOnly += 1;
    tiedCandidates += r.ties;
  };
  for (const [k, g] of greys.entries()) {
    const ref = await orb2Reference(g, budget, false);
    for (const backend of backends) {
      const now = await orbFromGrey(g, { maxKeypoints: budget, mirror: false, backend });
      if (backend === wasm) current.push(now);
      if (!sameOrb(ref, now)) differ.push(`orb ${backend.name} ${names[k]}`);
    }
    raw(names[k]!, g, false);
  }
  for (const [k, g] of greys.slice(0, photos.length).entries()) {
    const ref = await orb2Reference(g, budget, true);
    for (const backend of backends) {
      if (!sameOrb(ref, await orbFromGrey(g, { maxKeypoints: budget, mirror: true, backend }))) differ.push(`orb ${backend.name} mirror ${names[k]}`);
    }
    raw(names[k]!, g, true);
  }
  for (const { name, grey: g } of await generated()) {
    for (const [kp, mirror] of [[budget, false], [budget, true], [100, false], [1000, false]] as const) {
      const ref = await orb2Reference(g, kp, mirror);
      for (const backend of backends) {
        if (!sameOrb(ref, await orbFromGrey(g, { maxKeypoints: kp, mirror, backend }))) differ.push(`orb ${backend.name} ${name} k${kp}${mirror ? ' mirror' : ''}`);
      }
    }
    raw(name, g, false);
    raw(name, g, true);
  }
  for (const [k, src] of sourceOf.entries()) {
    const a = current[src]!.descriptors;
    const b = current[photos.length + k]!.descriptors;
    if (!sameMatches(matchReference(a, b, RATIO), matchDescriptors(a, b, RATIO))) differ.push(`matches ${names[photos.length + k]}`);
  }
  log(`identity: ${differ.length === 0 ? 'all equal' : `${differ.length} differ`}`);
  if (native) log(`raw identity (native vs wasm, ${rawCompared} frames): ${rawDiffer.length === 0 ? 'all equal' : `${rawDiffer.length} differ`}; keypoint order differs on ${orderOnly}; ${tiedCandidates} candidates share their response with another`);

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
    identity: differ.length === 0 ? `orb (${backends.map((b) => b.name).join(' and ')}) and matches byte-identical to orb.2` : differ,
    raw_identity: native ? { frames: rawCompared, differ: rawDiffer, order_differs: orderOnly, tied_candidates: tiedCandidates } : 'native backend absent',
    orb_cpu_ms_per_mp: variants.map((v, i) => {
      const m = median(orbPerRound[i]!);
      const ratios = orbPerRound[i]!.map((x, r) => x / orbPerRound[0]![r]!);
      return { variant: v.name, median: round(m, 1), ratio_to_frozen: round(m / ref, 3), ratio_per_round_median: round(median(ratios), 3) };
    }),
    match_cpu_ms_per_pair: { old: round(median(matchPerRound[0]!)), new: round(median(matchPerRound[1]!)), ratio: round(median(matchPerRound[1]!.map((x, r) => x / matchPerRound[0]![r]!)), 3) },
    verify_related_p50_ms: round(median(verifyMs)),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  if (differ.length > 0 || rawDiffer.length > 0) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
