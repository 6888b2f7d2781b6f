/** `featcache compare <id...>`: every pair of cached images within a Hamming distance (no index needed). */
import { SIMILAR_DEFAULTS } from '../../search/options.js';
import { BACKEND_HELP, BACKEND_OPTIONS, ONE_SOURCE, cacheOfSource, commandConfig, sourceOption, withBackend } from '../backend.js';
import { ExitCode, UsageError, intOption, HELP_OPTION, parseOrHelp, type Command } from '../usage.js';

const HELP = `Usage: featcache compare <image-id> <image-id...> [options]

Compares the hashes of the given cached images pairwise and prints, as JSON,
every pair within --max-distance bits (nearest first), the IDs that are not
cached and those without a hash. One batch read; no similarity index needed.

Options:
  --max-distance <n>        largest Hamming distance, 0..64   [${SIMILAR_DEFAULTS.maxDistance}]
  --field <name>            feature field holding a 64-bit hash     [phash]
  --source <extracted|stored>  records compared                  [extracted]
${BACKEND_HELP}
  -h, --help                this help

Exit codes: 0 done; 1 the cache failed; 2 usage error.
`;

const OPTIONS = {
  ...BACKEND_OPTIONS,
  field: { type: 'string' },
  'max-distance': { type: 'string' },
  source: { type: 'string' },
  ...HELP_OPTION,
} as const;

async function run(argv: string[]): Promise<number> {
  const parsed = parseOrHelp(argv, OPTIONS, HELP);
  if (parsed === undefined) return ExitCode.OK;
  const { values: v, positionals: ids } = parsed;
  if (ids.length < 2) throw new UsageError('compare takes at least two image IDs');
  const source = sourceOption(v.source, 'extracted', ONE_SOURCE);
  const maxDistance = intOption('max-distance', v['max-distance'], 0, 64) ?? SIMILAR_DEFAULTS.maxDistance;
  const config = commandConfig(v);
  return withBackend(config, async (backend) => {
    const cache = cacheOfSource(backend, source);
    const result = await cache.compareSet(ids, { maxDistance, field: v.field ?? 'phash' });
    process.stdout.write(`${JSON.stringify({ source, ...result }, null, 2)}\n`);
    return ExitCode.OK;
  });
}

export const compareCommand: Command = { name: 'compare', summary: 'list the pairs of cached images within a Hamming distance', help: HELP, run };
