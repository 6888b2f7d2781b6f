/** `featcache import [file]`: store the records of a JSON Lines or msgpack stream (featcache export's output). */
import type { SetManyItem } from '../../types.js';
import type { RecordSource } from '../../sources.js';
import { BACKEND_HELP, BACKEND_OPTIONS, ONE_SOURCE, cacheOfSource, commandConfig, sourceOption, withBackend } from '../backend.js';
import { readRecords, streamFormat } from '../record-stream.js';
import { ExitCode, UsageError, HELP_OPTION, parseOrHelp, type Command } from '../usage.js';

const HELP = `Usage: featcache import [file|-] [options]

Stores every record of a JSON Lines or msgpack stream (what featcache export
writes; stdin when the file is absent or "-"), in batches. A record goes to the
source it names ("source": "stored" or "extracted"; stored when it names none)
unless --source says otherwise. The records get the cache's TTL
(FEATCACHE_TTL_SECONDS or --ttl) and a new created_at.

Options:
  --source <stored|extracted>  store every record there
  --format <jsonl|msgpack>  input format                             [jsonl]
  --ttl <seconds>           TTL of the written records; 0 = none
                                 [FEATCACHE_TTL_SECONDS, 30 days]
  --group <name>            add every record to this group (repeatable)
${BACKEND_HELP}
  -h, --help                this help

Exit codes: 0 every record stored; 1 a malformed record (with its line) or
the cache failed (records before it are stored); 2 usage error.
`;

const OPTIONS = {
  ...BACKEND_OPTIONS,
  source: { type: 'string' },
  format: { type: 'string' },
  ttl: { type: 'string' },
  group: { type: 'string', multiple: true },
  ...HELP_OPTION,
} as const;

async function run(argv: string[]): Promise<number> {
  const parsed = parseOrHelp(argv, OPTIONS, HELP);
  if (parsed === undefined) return ExitCode.OK;
  const { values: v, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError('import takes at most one file');
  const forced = v.source === undefined ? undefined : sourceOption(v.source, 'stored', ONE_SOURCE);
  const format = streamFormat(v.format);
  const config = commandConfig(v);
  return withBackend(config, async (backend) => {
    const batches: Record<RecordSource, SetManyItem[]> = { stored: [], extracted: [] };
    const written = { stored: 0, extracted: 0 };
    const flush = async (source: RecordSource) => {
      const items = batches[source];
      if (items.length === 0) return;
      batches[source] = [];
      written[source] += (await cacheOfSource(backend, source).setMany(items)).written;
    };
    try {
      for await (const r of readRecords(format, positionals[0])) {
        const source = forced ?? r.source ?? 'stored';
        const item: SetManyItem = { imageId: r.imageId, features: r.features };
        if (v.group !== undefined) item.groups = v.group;
        batches[source].push(item);
        if (batches[source].length >= config.cache.batchSize) await flush(source);
      }
    } finally {
      // after a read failure the records read before it are still stored; a
      // flush failure takes precedence over the read failure, as before
      try {
        await flush('stored');
        await flush('extracted');
      } finally {
        process.stderr.write(`featcache import: ${written.stored} stored and ${written.extracted} extracted records written\n`);
      }
    }
    return ExitCode.OK;
  });
}

export const importCommand: Command = { name: 'import', summary: 'store the records of a JSON Lines or msgpack stream', help: HELP, run };
