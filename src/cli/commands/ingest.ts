/** `featcache ingest <dir|glob|file>`: extract and cache the features of many images. */
import { BACKEND_HELP, BACKEND_OPTIONS, commandConfig, withBackend } from '../backend.js';
import { DEFAULT_EXTENSIONS, discoverImages } from '../ingest/discover.js';
import { createProgress, silentProgress } from '../ingest/progress.js';
import { runIngest, type IdMode } from '../ingest/run.js';
import { summaryJson, summaryText } from '../ingest/summary.js';
import { ExitCode, UsageError, intOption, parse, type Command } from '../usage.js';

const HELP = `Usage: featcache ingest <dir|glob|file> [options]

Extracts the features of every image file (by extension) under a folder, or
matched by a glob (quote it: 'photos/**/*.jpg'), and caches them. Images
already cached for the current feature version are skipped (one batch lookup
per --batch-size files), so a re-run only extracts what is new.

Options:
  --id <path|content-hash>  image id: the path relative to the folder (or to the
                            glob's static prefix), posix separators; or the
                            sha256 of the file's bytes, hex             [path]
  --workers <n>             extraction worker threads
                                 [FEATCACHE_EXTRACT_WORKERS, CPU cores]
  --concurrency <n>         extractions in flight                  [--workers]
  --batch-size <n>          ids per cache lookup / write                 [100]
${BACKEND_HELP}
                            Records go under the base version with the
                            extractor versions appended (<v>+avg_color.1+...).
  --ttl <seconds>           TTL of the written records; 0 = none
                                 [FEATCACHE_TTL_SECONDS, 30 days]
  --group <name>            add every written image to this group (repeatable)
  --ext <list>              comma-separated extensions
                            [${DEFAULT_EXTENSIONS.join(',')}]
  --max-pixels <n>          refuse larger images (IMAGE_TOO_LARGE)
                                 [FEATCACHE_MAX_IMAGE_PIXELS]
  --max-bytes <n>           refuse larger files (IMAGE_TOO_LARGE)
                                 [FEATCACHE_MAX_IMAGE_BYTES]
  --json                    print a JSON summary on stdout instead of text
  --quiet                   no progress output
  -h, --help                this help

Progress goes to stderr: a bar on a terminal, a line per second otherwise.
A file that cannot be read or decoded is listed with its reason and the run
goes on. Ctrl-C stops after the current batch and prints the summary.

Exit codes: 0 every file is cached now; 1 some file failed, no image was
found, the run was interrupted, or the cache failed; 2 usage error.
`;

const OPTIONS = {
  id: { type: 'string' },
  workers: { type: 'string' },
  concurrency: { type: 'string' },
  'batch-size': { type: 'string' },
  ...BACKEND_OPTIONS,
  ttl: { type: 'string' },
  group: { type: 'string', multiple: true },
  ext: { type: 'string' },
  'max-pixels': { type: 'string' },
  'max-bytes': { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(argv, OPTIONS);
  if (v.help) {
    process.stdout.write(HELP);
    return ExitCode.OK;
  }
  if (positionals.length !== 1) throw new UsageError('ingest takes exactly one <dir|glob|file>');
  const source = positionals[0]!;
  const idMode = (v.id ?? 'path') as IdMode;
  if (idMode !== 'path' && idMode !== 'content-hash') throw new UsageError(`--id must be path or content-hash, got ${JSON.stringify(v.id)}`);
  const batchSize = intOption('batch-size', v['batch-size'], 1, 10_000) ?? 100;
  const extensions = v.ext !== undefined ? v.ext.split(',').map((e) => e.trim()).filter(Boolean) : DEFAULT_EXTENSIONS;
  if (extensions.length === 0) throw new UsageError('--ext needs at least one extension');
  if (v.redis !== undefined && !/^rediss?:\/\//.test(v.redis)) throw new UsageError('--redis must be a redis:// or rediss:// URL');
  const config = commandConfig(v);
  const concurrency = intOption('concurrency', v.concurrency, 1, 4096) ?? config.images.extractWorkers;

  const found = await discoverImages(source, extensions);
  if (found.files.length === 0) {
    process.stderr.write(`featcache ingest: no image files (${extensions.join(', ')}) found in ${source}\n`);
    return ExitCode.FAILURE;
  }

  // every extraction in flight may wait in the pool's queue
  return withBackend(
    config,
    async ({ extracted: cache, pool, extractOptions }) => {
      const progress = v.quiet ? silentProgress : createProgress(found.files.length);
      const abort = new AbortController();
      const onSigint = () => {
        if (abort.signal.aborted) process.exit(ExitCode.FAILURE);
        process.stderr.write('\nfeatcache ingest: interrupted, finishing the current batch (Ctrl-C again to quit now)\n');
        abort.abort();
      };
      process.on('SIGINT', onSigint);
      try {
        const result = await runIngest(cache, pool, found.files, {
          idMode,
          concurrency,
          batchSize,
          extract: extractOptions,
          maxImageIdBytes: config.cache.maxImageIdBytes,
          signal: abort.signal,
          onProgress: (c) => progress.update(c),
          ...(v.group !== undefined ? { groups: v.group } : {}),
        });
        progress.stop();
        const ctx = { source, base: found.base, idMode, prefix: cache.prefix, version: cache.featureVersion };
        process.stdout.write(v.json ? `${JSON.stringify(summaryJson(result, ctx), null, 2)}\n` : summaryText(result, ctx));
        return result.failed > 0 || result.interrupted ? ExitCode.FAILURE : ExitCode.OK;
      } finally {
        progress.stop();
        process.off('SIGINT', onSigint);
      }
    },
    { maxQueue: Math.max(32, concurrency) },
  );
}

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'extract and cache the features of every image under a folder or glob',
  help: HELP,
  run,
};
