/** `featcache trace`: where does an image come from? Its sources among the cached images (the provenance index). */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extractOrb } from '../../features/index.js';
import { PROVENANCE_SEARCH_DEFAULTS } from '../../provenance/index/options.js';
import type { ProvenanceCandidate, ProvenanceQuery, ProvenanceSearchOptions, ProvenanceSearchResult } from '../../types.js';
import { BACKEND_HELP, BACKEND_OPTIONS, commandConfig, withBackend } from '../backend.js';
import { ExitCode, UsageError, intOption, HELP_OPTION, parseOrHelp, type Command } from '../usage.js';

const HELP = `Usage: featcache trace <image-file> [options]
       featcache trace --id <image-id> [options]

Where does this image come from? Lists the cached images it was derived
from: candidates from the provenance index (shared ORB descriptor chunks, the
mirror image's too), the best ones verified geometrically (verdict, inliers,
reasons), then the donors of a composite (a pasted patch, the other half of a
splice), found with the keypoints the first ones do not explain. Searches the
extracted records (featcache ingest, POST /analysis/features), which must have
been written with FEATCACHE_PROVENANCE_INDEX=true. Nothing is stored.

Options:
  --id <image-id>           trace a cached image instead of a file (itself left out)
  --limit <n>               most candidates of each tier            [${PROVENANCE_SEARCH_DEFAULTS.limit}]
  --verify <n>              top candidates verified (0: none)       [--limit]
  --no-donors               skip the second tier (donors of composites)
  --json                    print the JSON result instead of the table
${BACKEND_HELP}
  -h, --help                this help

Exit codes: 0 done (even with no candidate); 1 the query image is not cached,
cannot be decoded or has no keypoints, the index is off, or the cache failed;
2 usage error.
`;

const OPTIONS = {
  ...BACKEND_OPTIONS,
  id: { type: 'string' },
  limit: { type: 'string' },
  verify: { type: 'string' },
  'no-donors': { type: 'boolean' },
  json: { type: 'boolean' },
  ...HELP_OPTION,
} as const;

/** The result as a table: rank, image, tier, votes, verdict, inliers, reasons. */
export function traceTable(query: string, r: ProvenanceSearchResult): string {
  const rows = r.candidates.map((c: ProvenanceCandidate, i) => [
    String(i + 1),
    c.imageId,
    c.tier,
    String(c.votes),
    c.verdict ?? '-',
    c.inliers === undefined ? '-' : String(c.inliers),
    c.reasons?.join('; ') ?? '',
  ]);
  const head = ['#', 'image', 'tier', 'votes', 'verdict', 'inliers', 'reasons'];
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k]!.length)));
  const line = (cells: string[]) => cells.map((cell, k) => (k === cells.length - 1 ? cell : cell.padEnd(widths[k]!))).join('  ').trimEnd();
  const t = r.timings_ms;
  const out = [`trace of ${query}: ${r.candidates.length} candidate(s)`, ''];
  if (rows.length > 0) out.push(line(head), ...rows.map(line), '');
  out.push(`ms: ${Object.entries(t).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  return `${out.join('\n')}\n`;
}

async function run(argv: string[]): Promise<number> {
  const parsed = parseOrHelp(argv, OPTIONS, HELP);
  if (parsed === undefined) return ExitCode.OK;
  const { values: v, positionals } = parsed;
  if ((positionals.length > 0) === (v.id !== undefined) || positionals.length > 1) throw new UsageError('trace takes exactly one query: an image file or --id');
  const file = positionals[0];
  if (file !== undefined && !existsSync(file)) throw new UsageError(`no such file: ${file}`);
  const limit = intOption('limit', v.limit, 1, 10_000) ?? PROVENANCE_SEARCH_DEFAULTS.limit;
  const verify = intOption('verify', v.verify, 0, 10_000);
  const opts: ProvenanceSearchOptions = { limit, donors: v['no-donors'] !== true, ...(verify === undefined ? {} : { verify }) };
  const config = commandConfig(v);
  return withBackend(config, async (backend) => {
    let query: ProvenanceQuery;
    if (file !== undefined) {
      // the features in the worker pool, the mirror image's ORB here; the image itself for the donor tier's region pass
      const [features, mirrored, image] = await Promise.all([backend.pool.extract(file, backend.extractOptions), extractOrb(file, { ...backend.extractOptions, mirror: true }), readFile(file)]);
      query = { features, mirrored, image };
    } else query = { imageId: v.id! };
    const result = await backend.extracted.searchProvenance(query, opts);
    process.stdout.write(v.json ? `${JSON.stringify(result, null, 2)}\n` : traceTable(file ?? v.id!, result));
    return ExitCode.OK;
  });
}

export const traceCommand: Command = { name: 'trace', summary: 'find the sources of an image (provenance index)', help: HELP, run };
