/** `featcache export`: every record of a source as JSON Lines or a msgpack stream. */
import type { FeatureCache } from '../../types.js';
import { SOURCE_CHOICES, sourcesOf } from '../../sources.js';
import { BACKEND_HELP, BACKEND_OPTIONS, commandConfig, sourceOption, sourcesOfBackend, withBackend } from '../backend.js';
import { recordWriter, streamFormat } from '../record-stream.js';
import { ExitCode, UsageError, HELP_OPTION, parseOrHelp, type Command } from '../usage.js';

const HELP = `Usage: featcache export [options]

Writes every cached record of the chosen source, one per line (JSON Lines) or
back to back (msgpack), to stdout or --output. The records are found with SCAN
on every Redis master: records written or removed during the export may or may
not be included. JSON Lines turns typed arrays into number arrays; msgpack keeps
them (featcache import restores them exactly).

Options:
  --source <any|stored|extracted>  which records                     [any]
  --group <name>            only the images of this group
  --format <jsonl|msgpack>  output format                            [jsonl]
  -o, --output <file>       write there instead of stdout
${BACKEND_HELP}
  -h, --help                this help

Exit codes: 0 done; 1 the cache failed; 2 usage error. A summary goes to stderr.
`;

const OPTIONS = {
  ...BACKEND_OPTIONS,
  source: { type: 'string' },
  group: { type: 'string' },
  format: { type: 'string' },
  output: { type: 'string', short: 'o' },
  ...HELP_OPTION,
} as const;

/** The IDs to export from one cache, in batches. */
async function* idBatches(cache: FeatureCache, group: string | undefined, batchSize: number): AsyncGenerator<string[]> {
  if (group === undefined) {
    yield* cache.scanIds();
    return;
  }
  const ids = await cache.listGroup(group);
  for (let i = 0; i < ids.length; i += batchSize) yield ids.slice(i, i + batchSize);
}

async function run(argv: string[]): Promise<number> {
  const parsed = parseOrHelp(argv, OPTIONS, HELP);
  if (parsed === undefined) return ExitCode.OK;
  const { values: v, positionals } = parsed;
  if (positionals.length > 0) throw new UsageError(`export takes no arguments (got ${positionals.join(' ')})`);
  const choice = sourceOption(v.source, 'any', SOURCE_CHOICES);
  const format = streamFormat(v.format);
  const config = commandConfig(v);
  return withBackend(config, async (backend) => {
    const out = recordWriter(format, v.output);
    const counts = { stored: 0, extracted: 0 };
    try {
      for (const [source, cache] of sourcesOf(choice, sourcesOfBackend(backend))) {
        for await (const ids of idBatches(cache, v.group, config.cache.batchSize)) {
          const records = await cache.getMany(ids);
          for (const r of records) {
            if (!r) continue; // expired or removed since the scan
            await out.write(Object.assign(r, { source }));
            counts[source]++;
          }
        }
      }
    } finally {
      await out.close();
    }
    process.stderr.write(`featcache export: ${counts.stored} stored and ${counts.extracted} extracted records (${format})\n`);
    return ExitCode.OK;
  });
}

export const exportCommand: Command = { name: 'export', summary: 'write every cached record as JSON Lines or msgpack', help: HELP, run };
