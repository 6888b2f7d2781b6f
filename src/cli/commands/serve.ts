/** `featcache serve`: the HTTP service (src/server.ts), loaded on demand. */
import { ExitCode, intOption, parse, type Command } from '../usage.js';

const HELP = `Usage: featcache serve [options]

Starts the featcache HTTP service. Configuration comes from the environment
(see docs/OPERATIONS.md: REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES,
FEATCACHE_API_KEYS, FEATCACHE_* ...); these options override it:

  --port <n>        listen port                               [PORT, 8000]
  --host <addr>     listen address                       [HOST, 127.0.0.1]
  --redis <url>     redis:// or rediss:// URL   [REDIS_URL, else embedded]
  -h, --help        this help

Stops gracefully on SIGINT/SIGTERM (a second signal exits at once).
Exit codes: 0 stopped cleanly; 1 could not start or failed to stop; 2 usage
or configuration error.
`;

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  redis: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface ServerModule {
  startServer(config?: unknown): Promise<{ url: string; close(): Promise<void> }>;
}
interface ConfigModule {
  loadConfig(env?: Record<string, string | undefined>): unknown;
}

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

  let server: ServerModule;
  let configModule: ConfigModule;
  try {
    // dynamic: the CLI works (ingest, redis ...) even in a build without the service
    server = (await import('../../server.js')) as ServerModule;
    configModule = (await import('../../config.js')) as ConfigModule;
  } catch (err) {
    process.stderr.write(`featcache serve: the HTTP service is not available in this build (${(err as Error).message})\n`);
    return ExitCode.FAILURE;
  }
  let config: unknown;
  try {
    config = configModule.loadConfig(env);
  } catch (err) {
    process.stderr.write(`featcache serve: invalid configuration: ${(err as Error).message}\n`);
    return ExitCode.USAGE;
  }
  let running: Awaited<ReturnType<ServerModule['startServer']>>;
  try {
    running = await server.startServer(config);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    process.stderr.write(`featcache serve: could not start: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`);
    return ExitCode.FAILURE;
  }
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = () => {
      signals += 1;
      if (signals > 1) process.exit(ExitCode.FAILURE);
      running.close().then(
        () => resolve(ExitCode.OK),
        (err: unknown) => {
          process.stderr.write(`featcache serve: error during shutdown: ${String(err)}\n`);
          resolve(ExitCode.FAILURE);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export const serveCommand: Command = { name: 'serve', summary: 'run the HTTP service', help: HELP, run };
