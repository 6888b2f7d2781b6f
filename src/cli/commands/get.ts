/** `featcache get <id...>`: print cached records as JSON Lines (or msgpack). */
import { getManyFrom, SOURCE_CHOICES } from '../../sources.js';
import { BACKEND_HELP, BACKEND_OPTIONS, commandConfig, sourceOption, sourcesOfBackend, withBackend } from '../backend.js';
import { recordWriter, streamFormat } from '../record-stream.js';
import { ExitCode, UsageError, HELP_OPTION, parseOrHelp, type Command } from '../usage.js';

const HELP = `Usage: featcache get <image-id...> [options]

Prints the cached record of each image ID, one per line:
{"image_id","version","features","created_at","source"}. IDs that are not
cached are listed on stderr.

Options:
  --source <any|stored|extracted>  stored: written by clients (PUT, batch-set,
                            import); extracted: by POST /analysis/features or
                            featcache ingest; any: stored, then extracted  [any]
  --types <list>            only these feature types (comma-separated)
  --format <jsonl|msgpack>  output format                            [jsonl]
${BACKEND_HELP}
  -h, --help                this help

Exit codes: 0 every ID is cached; 1 some ID is not, or the cache failed;
2 usage error.
`;

const OPTIONS = {
  ...BACKEND_OPTIONS,
  source: { type: 'string' },
  types: { type: 'string' },
  format: { type: 'string' },
  ...HELP_OPTION,
} as const;

async function run(argv: string[]): Promise<number> {
  const parsed = parseOrHelp(argv, OPTIONS, HELP);
  if (parsed === undefined) return ExitCode.OK;
  const { values: v, positionals: ids } = parsed;
  if (ids.length === 0) throw new UsageError('get takes at least one image ID');
  const source = sourceOption(v.source, 'any', SOURCE_CHOICES);
  const format = streamFormat(v.format);
  const types = v.types?.split(',').map((t) => t.trim()).filter(Boolean);
  const config = commandConfig(v);
  return withBackend(config, async (backend) => {
    const records = await getManyFrom(sourcesOfBackend(backend), ids, source, types?.length ? { types } : undefined);
    const out = recordWriter(format);
    const missing: string[] = [];
    for (const [i, r] of records.entries()) {
      if (r) await out.write(r);
      else missing.push(ids[i]!);
    }
    await out.close();
    for (const id of missing) process.stderr.write(`featcache get: not cached (${source}): ${id}\n`);
    return missing.length > 0 ? ExitCode.FAILURE : ExitCode.OK;
  });
}

export const getCommand: Command = { name: 'get', summary: 'print the cached records of image IDs', help: HELP, run };
