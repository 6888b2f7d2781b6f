/**
 * `featcache dedup <dir|glob|file>`: ingest the images (every extractor, ORB
 * included), find the groups of related images with analyzeSet, and write a
 * table to the terminal, a JSON file and a self-contained HTML report.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { renderMatches } from '../../provenance/render.js';
import type { FeatureCache } from '../../types.js';
import { BACKEND_HELP, BACKEND_OPTIONS, commandConfig, withBackend } from '../backend.js';
import { buildReport } from '../dedup/report.js';
import { reportHtml } from '../dedup/report-html.js';
import { reportText } from '../dedup/report-text.js';
import { createPhaseProgress, silentPhase } from '../dedup/progress.js';
import { DEFAULT_EXTENSIONS, discoverImages } from '../ingest/discover.js';
import { createProgress, silentProgress } from '../ingest/progress.js';
import { runIngest } from '../ingest/run.js';
import { ExitCode, UsageError, intOption, parse, type Command } from '../usage.js';

/** Most images one run groups (analyzeSet's default limit). */
const MAX_IMAGES = 10_000;
const THUMBNAIL_PX = 160;
/** Height of both images in a match picture of the HTML report. */
const PICTURE_HEIGHT = 220;
const DEFAULT_PICTURES = 100;

const HELP = `Usage: featcache dedup <dir|glob|file> [options]

Finds groups of related images: copies, resized or recompressed versions,
crops, rotations, mirror images, overlays and splices. Ingests every image file
(extracting ORB keypoints and the hashes; images already cached are not
extracted again), proposes candidate pairs cheaply, verifies them
geometrically, and writes:
  - a table of the groups and the reasons to the terminal,
  - <out>/dedup.json (groups, related pairs, verdicts, reasons, figures),
  - <out>/dedup.html (self-contained: thumbnails, reasons, match pictures).

Options:
  --out <dir>               where dedup.json and dedup.html go  [./featcache-dedup]
  --pictures <n>            match pictures in the HTML report, for the first
                            <n> related pairs; 0 = none               [${DEFAULT_PICTURES}]
  --workers <n>             extraction worker threads
                                 [FEATCACHE_EXTRACT_WORKERS, CPU cores]
${BACKEND_HELP}
                            Records go under the base version with the
                            extractor versions appended (<v>+avg_color.1+...).
  --ext <list>              comma-separated extensions
                            [${DEFAULT_EXTENSIONS.join(',')}]
  --json                    print the JSON report on stdout instead of the table
  --quiet                   no progress output
  -h, --help                this help

Image IDs are the paths relative to the folder. At most ${MAX_IMAGES} images per run.
Progress goes to stderr: a bar on a terminal, a line per second otherwise.

Exit codes: 0 done (related images or not); 1 some file could not be read, no
image was found, or the cache failed; 2 usage error.
`;

const OPTIONS = {
  out: { type: 'string' },
  pictures: { type: 'string' },
  workers: { type: 'string' },
  ...BACKEND_OPTIONS,
  ext: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A small JPEG of the image, or undefined when it cannot be read. */
async function thumbnail(path: string): Promise<Buffer | undefined> {
  try {
    return await sharp(path).rotate().resize(THUMBNAIL_PX, THUMBNAIL_PX, { fit: 'inside' }).jpeg({ quality: 75 }).toBuffer();
  } catch {
    return undefined;
  }
}

/** renderMatches for each edge (its index -> PNG), from the cached features; a pair that cannot be drawn is left out. */
async function matchPictures(cache: FeatureCache, edges: Array<{ a: string; b: string }>, pathOf: ReadonlyMap<string, string>): Promise<Map<number, Buffer>> {
  const out = new Map<number, Buffer>();
  if (edges.length === 0) return out;
  const ids = [...new Set(edges.flatMap((e) => [e.a, e.b]))];
  const records = new Map((await cache.getMany(ids)).map((r, i) => [ids[i]!, r?.features]));
  for (const [i, e] of edges.entries()) {
    try {
      const features = { a: records.get(e.a), b: records.get(e.b) };
      out.set(i, await renderMatches(pathOf.get(e.a)!, pathOf.get(e.b)!, { height: PICTURE_HEIGHT, features }));
    } catch {
      // the table still lists the pair; only its picture is missing
    }
  }
  return out;
}

async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(argv, OPTIONS);
  if (v.help) {
    process.stdout.write(HELP);
    return ExitCode.OK;
  }
  if (positionals.length !== 1) throw new UsageError('dedup takes exactly one <dir|glob|file>');
  const source = positionals[0]!;
  const maxPictures = intOption('pictures', v.pictures, 0, 100_000) ?? DEFAULT_PICTURES;
  const extensions = v.ext !== undefined ? v.ext.split(',').map((e) => e.trim()).filter(Boolean) : DEFAULT_EXTENSIONS;
  if (extensions.length === 0) throw new UsageError('--ext needs at least one extension');
  const config = commandConfig(v);
  const workers = config.images.extractWorkers;
  const out = resolve(v.out ?? 'featcache-dedup');

  const found = await discoverImages(source, extensions);
  if (found.files.length === 0) {
    process.stderr.write(`featcache dedup: no image files (${extensions.join(', ')}) found in ${source}\n`);
    return ExitCode.FAILURE;
  }
  if (found.files.length > MAX_IMAGES) {
    process.stderr.write(`featcache dedup: ${found.files.length} images found; at most ${MAX_IMAGES} per run (narrow the glob)\n`);
    return ExitCode.FAILURE;
  }

  // every extraction in flight may wait in the pool's queue
  return withBackend(
    config,
    async ({ extracted: cache, pool, extractOptions }) => {
      const ingestBar = v.quiet ? silentProgress : createProgress(found.files.length);
      const verifyBar = v.quiet ? silentPhase : createPhaseProgress('verify');
      try {
        // every extractor (ORB and the provenance hashes included) into the extraction view
        const ingest = await runIngest(cache, pool, found.files, {
          concurrency: workers,
          extract: extractOptions,
          maxImageIdBytes: config.cache.maxImageIdBytes,
          onProgress: (c) => ingestBar.update(c),
        });
        ingestBar.stop();
        const failed = new Set(ingest.failures.map((f) => f.file));
        const ids = found.files.map((f) => f.relative).filter((id) => !failed.has(id));
        // verified in the worker pool, on every core
        const analysis = await cache.analyzeSet(ids, { maxIds: MAX_IMAGES, pool, onProgress: (p) => verifyBar.update(p.verified, p.candidates) });
        verifyBar.stop();

        const files = { json: join(out, 'dedup.json'), html: join(out, 'dedup.html') };
        const report = buildReport({ source, base: found.base, prefix: cache.prefix, version: cache.featureVersion, files }, analysis, ingest);
        const pathOf = new Map(found.files.map((f) => [f.relative, f.path]));
        const thumbnails = new Map<string, Buffer>();
        for (const id of new Set(report.groups.flat())) {
          const t = await thumbnail(pathOf.get(id)!);
          if (t) thumbnails.set(id, t);
        }
        const pictures = await matchPictures(cache, report.edges.slice(0, maxPictures), pathOf);
        await mkdir(out, { recursive: true });
        await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
        await writeFile(files.html, reportHtml(report, { thumbnails, pictures }));
        process.stdout.write(v.json ? `${JSON.stringify(report, null, 2)}\n` : reportText(report));
        return report.success ? ExitCode.OK : ExitCode.FAILURE;
      } finally {
        ingestBar.stop();
        verifyBar.stop();
      }
    },
    { maxQueue: Math.max(32, workers) },
  );
}

export const dedupCommand: Command = {
  name: 'dedup',
  summary: 'find groups of related images (copies, crops, rotations, mirrors, splices) under a folder, with a report',
  help: HELP,
  run,
};
