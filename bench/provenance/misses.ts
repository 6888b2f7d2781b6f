/**
 * npx tsx bench/provenance/misses.ts [--out <dir>, default <tmp>/featcache-misses] [--keypoints 430,860] — the bench's
 * hardest (source, edit) pairs, one by one: each edit made exactly as
 * `npm run bench:provenance` makes it (same photos, donor, seed), written out as PNG
 * beside its source (look at them), with what the edit keeps (share of pixels above
 * grey 20; a splice's own left half only),
 * the verdict, and for the crops the matches that are correct against the true
 * crop window. `--keypoints` re-extracts with other ORB budgets (the extractor
 * option; verification unchanged). docs/PROVENANCE.md, "The copies still missed".
 */
import { mkdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { verifyFeatures } from '../../src/index.js';
import { extractFeatures } from '../../src/features/index.js';
import type { OrbFeatures } from '../../src/features/orb.js';
import { matchDescriptors } from '../../src/provenance/match.js';
import { RATIO } from '../../src/provenance/thresholds.js';
import { mulberry32 } from '../lib/prng.js';
import { applyEdit, type EditName } from './edits.js';
import { ensurePhotos, loadPhotos } from './photos.js';

const PAIRS: ReadonlyArray<[string, EditName]> = [
  ['LadyBird', 'crop50'],
  ['Flow', 'crop70'],
  ['Flow', 'crop50'],
  ['Flow', 'splice'],
  ['Gulp', 'splice'],
];
const arg = (name: string) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : undefined);
const log = (s: string) => process.stderr.write(`${s}\n`);

/** The crop window edits.ts draws for `seed` (its first two random numbers). */
function cropWindow(width: number, height: number, area: number, seed: number) {
  const rand = mulberry32(seed);
  const f = Math.sqrt(area);
  const w = Math.max(1, Math.round(width * f));
  const h = Math.max(1, Math.round(height * f));
  return { left: Math.floor(rand() * (width - w + 1)), top: Math.floor(rand() * (height - h + 1)), width: w };
}

/** Share of the pixels above grey 20 (of the left half only: a splice's own part). */
async function brightShare(image: Buffer, leftHalf: boolean): Promise<number> {
  const { data, info } = await sharp(image).greyscale().raw().toBuffer({ resolveWithObject: true });
  const w = leftHalf ? Math.floor(info.width / 2) : info.width;
  let n = 0;
  for (let y = 0; y < info.height; y++) for (let x = 0; x < w; x++) if (data[y * info.width + x]! > 20) n++;
  return n / (w * info.height);
}

/** Matches (ratio test) whose B keypoint lies within 5 px of where the crop puts A's. */
function correctMatches(a: OrbFeatures, b: OrbFeatures, sourceWidth: number, win: { left: number; top: number; width: number }): number {
  const m = matchDescriptors(a.descriptors, b.descriptors, RATIO);
  const sa = sourceWidth / a.width;
  const sb = b.width / win.width;
  let ok = 0;
  for (let k = 0; k < m.a.length; k++) {
    const x = (a.keypoints[2 * m.a[k]!]! * sa - win.left) * sb;
    const y = (a.keypoints[2 * m.a[k]! + 1]! * sa - win.top) * sb;
    if (Math.hypot(b.keypoints[2 * m.b[k]!]! - x, b.keypoints[2 * m.b[k]! + 1]! - y) <= 5) ok++;
  }
  return ok;
}

async function main(): Promise<void> {
  const out = arg('out') ?? join(tmpdir(), 'featcache-misses');
  const budgets = (arg('keypoints') ?? '430').split(',').map(Number);
  mkdirSync(out, { recursive: true });
  ensurePhotos(log);
  const photos = await loadPhotos();
  const names = photos.map((p) => p.name);
  const rows: unknown[] = [];
  for (const [name, edit] of PAIRS) {
    const i = names.indexOf(name);
    if (i < 0) continue;
    const source = photos[i]!.data;
    const data = await applyEdit(edit, source, photos[(i + 1) % photos.length]!.data, { seed: i + 1 });
    await sharp(source).png().toFile(join(out, `${name}.png`));
    await sharp(data).png().toFile(join(out, `${name}-${edit}.png`));
    const meta = await sharp(source).metadata();
    for (const orbKeypoints of budgets) {
      const [fa, fb] = await Promise.all([source, data].map((img) => extractFeatures(img, { orbKeypoints })));
      const r = verifyFeatures(fa!, fb!);
      const orbA = fa!.orb;
      const orbB = fb!.orb;
      const crop = edit === 'crop70' || edit === 'crop50';
      rows.push({
        pair: `${name} ~ ${name} ${edit}`,
        orb_keypoints: orbKeypoints,
        kept_bright: Number((await brightShare(data, edit === 'splice')).toFixed(4)),
        keypoints: [orbA.keypoints.length / 2, orbB.keypoints.length / 2],
        correct_matches: crop ? correctMatches(orbA, orbB, meta.width, cropWindow(meta.width, meta.height, edit === 'crop70' ? 0.7 : 0.5, i + 1)) : null,
        verdict: r.verdict,
        inliers: r.inliers,
        matches: r.matches,
        reasons: r.reasons,
      });
    }
  }
  process.stdout.write(`${JSON.stringify({ load_average: loadavg().map((v) => Number(v.toFixed(1))), pictures: out, rows }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  log(String(err instanceof Error ? (err.stack ?? err.message) : err));
  process.exit(1);
});
