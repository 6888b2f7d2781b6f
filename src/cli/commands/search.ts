/** `featcache search`: cached images near an image file, a cached image or a hash (the similarity index). */
import { existsSync } from 'node:fs';
import { SIMILAR_DEFAULTS } from '../../search/options.js';
import type { SimilarQuery } from '../../types.js';
import { BACKEND_HELP, BACKEND_OPTIONS, ONE_SOURCE, cacheOfSource, commandConfig, sourceOption, withBackend } from '../backend.js';
import { ExitCode, UsageError, intOption, HELP_OPTION, parseOrHelp, type Command } from '../usage.js';

const HELP = `Usage: featcache search <image-file> [options]
       featcache search --id <image-id> | --phash <hex> | --dhash <hex> [options]

Lists the cached images whose perceptual hash is within --max-distance bits of
the query's, nearest first, as JSON: the neighbours of an image file (its
features are extracted, nothing is stored), of a cached image, or of a hash.
Searches the extracted records (featcache ingest, POST /analysis/features)
unless --source stored (needs FEATCACHE_SIMILARITY_STORED=true).

Options:
  --max-distance <n>        largest Hamming distance, 0..12   [${SIMILAR_DEFAULTS.maxDistance}]
  --limit <n>               most neighbours                  [${SIMILAR_DEFAULTS.limit}]
  --field <phash|dhash>     hash field of an image-file or --id query [phash]
  --source <extracted|stored>  records searched                  [extracted]
${BACKEND_HELP}
  -h, --help                this help

Exit codes: 0 done (even with no neighbour); 1 the query image is not cached,
cannot be decoded, or the cache failed; 2 usage error.
`;

const OPTIONS = {
  ...BACKEND_OPTIONS,
  id: { type: 'string' },
  phash: { type: 'string' },
  dhash: { type: 'string' },
  field: { type: 'string' },
  'max-distance': { type: 'string' },
  limit: { type: 'string' },
  source: { type: 'string' },
  ...HELP_OPTION,
} as const;

async function run(argv: string[]): Promise<number> {
  const parsed = parseOrHelp(argv, OPTIONS, HELP);
  if (parsed === undefined) return ExitCode.OK;
  const { values: v, positionals } = parsed;
  const given = [positionals.length > 0, v.id !== undefined, v.phash !== undefined, v.dhash !== undefined].filter(Boolean).length;
  if (given !== 1 || positionals.length > 1) throw new UsageError('search takes exactly one query: an image file, --id, --phash or --dhash');
  const file = positionals[0];
  if (file !== undefined && !existsSync(file)) throw new UsageError(`no such file: ${file}`);
  const field = v.field ?? 'phash';
  if (field !== 'phash' && field !== 'dhash') throw new UsageError(`--field must be phash or dhash, got ${JSON.stringify(v.field)}`);
  const source = sourceOption(v.source, 'extracted', ONE_SOURCE);
  const maxDistance = intOption('max-distance', v['max-distance'], 0, 64) ?? SIMILAR_DEFAULTS.maxDistance;
  const limit = intOption('limit', v.limit, 1, 100_000) ?? SIMILAR_DEFAULTS.limit;
  const config = commandConfig(v);
  return withBackend(config, async (backend) => {
    const cache = cacheOfSource(backend, source);
    let query: SimilarQuery;
    if (file !== undefined) {
      const features = await backend.pool.extract(file, { ...backend.extractOptions, extractors: [field] });
      const hash = features[field];
      if (hash === undefined) throw new Error(`extraction gave no ${field}`);
      query = { hash, field };
    } else if (v.id !== undefined) query = { imageId: v.id, field };
    else if (v.phash !== undefined) query = { phash: v.phash };
    else query = { dhash: v.dhash! };
    const result = await cache.searchSimilar(query, { maxDistance, limit });
    process.stdout.write(`${JSON.stringify({ source, ...result }, null, 2)}\n`);
    return ExitCode.OK;
  });
}

export const searchCommand: Command = { name: 'search', summary: 'find cached images near an image file, an ID or a hash', help: HELP, run };
