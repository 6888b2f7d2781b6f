/** `featcache serve`: the HTTP service, started exactly as `npm start` starts it (src/server.ts runService). */
import { ExitCode, intOption, parse, type Command } from '../usage.js';

const HELP = `Usage: featcache serve [options]

Starts the featcache HTTP service, exactly as "npm start" does: every
environment variable of docs/HTTP.md applies (REDIS_URL, REDIS_SENTINELS,
REDIS_CLUSTER_NODES, REDIS_PASSWORD, FEATCACHE_API_KEYS, FEATCACHE_WORKERS,
FEATCACHE_* ...); these options override it:

  --port <n>        listen port                               [PORT, 8000]
  --host <addr>     listen address                       [HOST, 127.0.0.1]
  --redis <url>     redis:// or rediss:// URL   [REDIS_URL, else embedded]
  --workers <n>     service processes on the port      [FEATCACHE_WORKERS, 1]
  -h, --help        this help

Stops gracefully on SIGINT/SIGTERM (a second signal exits at once).
Exit codes: 0 stopped cleanly; 1 could not start or failed to stop; 2 usage
or configuration error.
`;

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  redis: { type: 'string' },
  workers: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function run(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, OPTIONS);
  if (v.help) {
    process.stdout.write(HELP);
    return ExitCode.OK;
  }
  const env: Record<string, string | undefined> = { ...process.env };
  const port = intOption('port', v.port, 0, 65535);
  if (port !== undefined) env.PORT = String(port);
  if (v.host !== undefined) env.HOST = v.host;
  if (v.redis !== undefined) env.REDIS_URL = v.redis;
  if (v.workers !== undefined) env.FEATCACHE_WORKERS = v.workers;
  // the service exits the process itself when it stops; with FEATCACHE_WORKERS > 1
  // each worker re-runs this same command line (node:cluster) and so reads the same options
  const { runService } = await import('../../server.js');
  await runService(env);
  return ExitCode.OK;
}

export const serveCommand: Command = { name: 'serve', summary: 'run the HTTP service', help: HELP, run };
