/**
 * npx tsx bench/provenance/appearance.ts [--redis <url>] — the texture-poor path
 * of verification on the provenance bench photos (bench/provenance/photos.ts)
 * and their 171 edits: every (source, edit) pair and every unrelated pair
 * (16,720) verified with the default features (orb.2 + thumb), as
 * `npm run bench:provenance` does (records: forward features only, no mirror
 * pass). Reports recall per edit, false positives, the appearance scores of
 * the pairs that reach the appearance stage (related vs unrelated: the margin
 * the thresholds sit in; for two textured images geometry cannot match, the
 * same-frame scores as `textured_*`), the appearance comparison's cost per pair, encoded
 * record bytes and, with --redis, MEMORY USAGE of every record. Features are
 * cached under the OS temp directory, keyed by the extractor version.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { verifyFeatures, type Features } from '../../src/index.js';
import { createCodec } from '../../src/codec/index.js';
import { extractFeatures, extractorVersion } from '../../src/features/index.js';
import { appearanceScores, relative, sameFrameScores, sameShape, toPlanes, type Score } from '../../src/provenance/appearance.js';
import { REASON } from '../../src/provenance/reasons.js';
import { readThumb } from '../../src/provenance/thumb-input.js';
import { isFullThumb } from '../../src/features/thumb.js';
import { applyEdit, EDITS, NEEDS_DONOR, type EditName } from './edits.js';
import { ensurePhotos, loadPhotos } from './photos.js';
import { pct, quantile, round } from './stats.js';
import { unrelatedPairs } from './family.js';

interface Item {
  id: string;
  family: number[];
  source: number;
  edit?: EditName;
  features: Features;
}

const log = (s: string) => process.stderr.write(`${s}\n`);
const codec = createCodec();

async function loadItems(): Promise<Item[]> {
  const dir = join(tmpdir(), 'featcache-appearance', extractorVersion());
  const file = join(dir, 'items.json');
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Array<Omit<Item, 'features'> & { record: string }>;
    return stored.map(({ record, ...it }) => ({ ...it, features: codec.decode(Buffer.from(record, 'base64')).features }));
  }
  ensurePhotos(log);
  const photos = await loadPhotos();
  const items: Item[] = [];
  for (let i = 0; i < photos.length; i++) items.push({ id: `photo:${photos[i]!.name}`, family: [i], source: i, features: (await extractFeatures(photos[i]!.data)) });
  for (let i = 0; i < photos.length; i++) {
    const donor = (i + 1) % photos.length;
    for (const e of EDITS) {
      const data = await applyEdit(e, photos[i]!.data, photos[donor]!.data, { seed: i + 1 });
      items.push({ id: `edit:${photos[i]!.name}:${e}`, family: NEEDS_DONOR.has(e) ? [i, donor] : [i], source: i, edit: e, features: (await extractFeatures(data)) });
    }
    log(`extracted ${photos[i]!.name} and its edits`);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify(items.map(({ features, ...it }) => ({ ...it, record: codec.encode(features, 0).toString('base64') }))));
  return items;
}

const keypoints = (f: Features) => (f['orb'] as { keypoints: Uint16Array }).keypoints.length / 2;

async function main(): Promise<void> {
  const redisUrl = process.argv.includes('--redis') ? process.argv[process.argv.indexOf('--redis') + 1] : undefined;
  const items = await loadItems();
  const sources = items.filter((it) => it.edit === undefined);
  const edits = items.filter((it) => it.edit !== undefined);
  const load = loadavg()[0]!;
  const without = (f: Features): Features => {
    const { thumb: _thumb, ...rest } = f;
    return rest;
  };
  const appearanceMs: number[] = [];
  /** The pairs of two full thumbnails (the template search runs). */
  const searchMs: number[] = [];
  type Kind = 'contained' | 'overlay' | 'splice' | 'textured_overlay' | 'textured_splice';
  const KINDS: readonly Kind[] = ['contained', 'overlay', 'splice', 'textured_overlay', 'textured_splice'];
  const scores: Record<'related' | 'unrelated', Record<Kind, Array<[Score, string]>>> = {
    related: { contained: [], overlay: [], splice: [], textured_overlay: [], textured_splice: [] },
    unrelated: { contained: [], overlay: [], splice: [], textured_overlay: [], textured_splice: [] },
  };
  /** Verifies a pair and records the appearance scores when the pair reaches that stage. */
  const verify = (a: Item, b: Item, kind: 'related' | 'unrelated') => {
    const before = verifyFeatures(without(a.features), without(b.features));
    if (before.verdict === 'unrelated' && before.reasons.includes(REASON.lowTexture)) {
      const ta = readThumb(a.features['thumb'])!;
      const tb = readThumb(b.features['thumb'])!;
      const t = performance.now();
      const s = appearanceScores(ta, tb);
      appearanceMs.push(performance.now() - t);
      if (isFullThumb(ta) && isFullThumb(tb)) searchMs.push(performance.now() - t);
      const name = `${a.id} ~ ${b.id}`;
      if (s.contained) scores[kind].contained.push([s.contained, name]);
      if (s.overlay) scores[kind].overlay.push([s.overlay, name]);
      if (s.splice) scores[kind].splice.push([s.splice, name]);
    } else if (before.verdict === 'unrelated') {
      // two textured images geometry cannot match: the same-frame stage (verify13)
      const pa = toPlanes(readThumb(a.features['thumb'])!);
      const pb = toPlanes(readThumb(b.features['thumb'])!);
      if (sameShape(pa, pb)) {
        const f = sameFrameScores(pa, pb);
        const name = `${a.id} ~ ${b.id}`;
        scores[kind].textured_overlay.push([f.overlay, name]);
        scores[kind].textured_splice.push([f.splice, name]);
      }
    }
    return { before, after: verifyFeatures(a.features, b.features) };
  };

  const perEdit: Record<string, number> = {};
  const perEditBefore: Record<string, number> = {};
  const misses: string[] = [];
  const gained: string[] = [];
  for (const e of edits) {
    const { before, after } = verify(items[e.source]!, e, 'related');
    if (before.verdict !== 'unrelated') perEditBefore[e.edit!] = (perEditBefore[e.edit!] ?? 0) + 1;
    if (after.verdict !== 'unrelated') perEdit[e.edit!] = (perEdit[e.edit!] ?? 0) + 1;
    else misses.push(`${e.id} (kp ${keypoints(e.features)}; ${after.reasons.join(', ')})`);
    if (before.verdict === 'unrelated' && after.verdict !== 'unrelated') gained.push(`${e.id}: ${after.verdict}, ${after.reasons.join('; ')}`);
  }
  let pairs = 0;
  const fps: string[] = [];
  for (const [i, j] of unrelatedPairs(items)) {
    const a = items[i]!;
    const b = items[j]!;
    pairs++;
    const { after } = verify(a, b, 'unrelated');
    if (after.verdict !== 'unrelated') fps.push(`${a.id} ~ ${b.id}: ${after.verdict} ${after.reasons.join(', ')}`);
  }
  const sum = (r: Record<string, number>) => Object.values(r).reduce((s, v) => s + v, 0);
  const show = ([v, name]: [Score, string]) => `${round(v.score)} / ${round(relative(v), 3)} ${name}`;
  /** Related pairs by score; the unrelated pairs nearest to passing: lowest relative score among those under an absolute bound, and the reverse. */
  const related = (list: Array<[Score, string]>) => [...list].sort((x, y) => x[0].score - y[0].score).map(show);
  const finite = (list: Array<[Score, string]>) => list.filter(([v]) => Number.isFinite(relative(v)));
  const nearest = (list: Array<[Score, string]>) => ({
    lowest_score_with_structure: round(Math.min(...finite(list).map(([v]) => v.score))),
    lowest_relative: round(Math.min(...finite(list).map(([v]) => relative(v))), 3),
    by_relative_with_score_le_8: list.filter(([v]) => v.score <= 8).sort((x, y) => relative(x[0]) - relative(y[0])).slice(0, 6).map(show),
    by_score_with_relative_le_0_4: list.filter(([v]) => relative(v) <= 0.4).sort((x, y) => x[0].score - y[0].score).slice(0, 6).map(show),
  });
  const bytes = items.map((it) => codec.encode(it.features, Date.now()).length);
  let memory: number[] | null = null;
  if (redisUrl) {
    const redis = new Redis(redisUrl);
    memory = [];
    for (const [k, it] of items.entries()) {
      await redis.set(`appearance-bench:${k}`, codec.encode(it.features, Date.now()));
      memory.push(Number(await redis.call('MEMORY', 'USAGE', `appearance-bench:${k}`)));
      await redis.del(`appearance-bench:${k}`);
    }
    redis.disconnect();
  }
  const out = {
    load_average: round(load),
    photos: sources.length,
    related_pairs: edits.length,
    recall_before: pct(sum(perEditBefore), edits.length),
    recall: pct(sum(perEdit), edits.length),
    per_edit: Object.fromEntries(EDITS.map((e) => [e, `${perEdit[e] ?? 0}/${sources.length} (was ${perEditBefore[e] ?? 0})`])),
    unrelated_pairs: pairs,
    false_positives: fps.length,
    fps,
    appearance_pairs: appearanceMs.length,
    appearance_ms_p50: round(quantile(appearanceMs, 0.5), 3),
    appearance_ms_p95: round(quantile(appearanceMs, 0.95), 3),
    search_pairs: searchMs.length,
    search_ms_p50: round(quantile(searchMs, 0.5), 3),
    search_ms_p95: round(quantile(searchMs, 0.95), 3),
    scores: Object.fromEntries(
      KINDS.map((k) => [
        k,
        {
          related_n: scores.related[k].length,
          related: related(scores.related[k]),
          unrelated_n: scores.unrelated[k].length,
          unrelated_nearest: nearest(scores.unrelated[k]),
        },
      ]),
    ),
    record_bytes_max: Math.max(...bytes),
    memory_usage_max: memory ? Math.max(...memory) : null,
    gained,
    misses,
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main().catch((err: unknown) => {
  log(String(err instanceof Error ? (err.stack ?? err.message) : err));
  process.exit(1);
});
