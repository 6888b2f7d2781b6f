#!/usr/bin/env node
/**
 * The `featcache` command: serve | ingest | dedup | get | export | import | search | trace | compare | redis.
 * Exit codes: 0 ok, 1 failure, 2 usage error (see each command's --help).
 */
import { isFeatureCacheError } from '../errors.js';
import { compareCommand } from './commands/compare.js';
import { exportCommand } from './commands/export.js';
import { getCommand } from './commands/get.js';
import { importCommand } from './commands/import.js';
import { dedupCommand } from './commands/dedup.js';
import { ingestCommand } from './commands/ingest.js';
import { searchCommand } from './commands/search.js';
import { traceCommand } from './commands/trace.js';
import { redisCommand } from './commands/redis.js';
import { serveCommand } from './commands/serve.js';
import { ExitCode, UsageError, type Command } from './usage.js';
import { isEntryPoint } from '../entry-point.js';

const COMMANDS: readonly Command[] = [
  serveCommand,
  ingestCommand,
  dedupCommand,
  getCommand,
  exportCommand,
  importCommand,
  searchCommand,
  traceCommand,
  compareCommand,
  redisCommand,
];

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: featcache <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run "featcache <command> --help" for a command's options.
Exit codes: 0 ok, 1 failure, 2 usage error.
`;
}

/** Runs the CLI on `argv` (without node and script) and resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(topHelp());
    return name === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    process.stderr.write(`featcache: unknown command ${JSON.stringify(name)}\n\n${topHelp()}`);
    return ExitCode.USAGE;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`featcache ${command.name}: ${err.message}\nRun "featcache ${command.name} --help" for usage.\n`);
      return ExitCode.USAGE;
    }
    const prefix = isFeatureCacheError(err) ? `${err.code}: ` : '';
    process.stderr.write(`featcache ${command.name}: ${prefix}${(err as Error)?.message ?? String(err)}\n`);
    return ExitCode.FAILURE;
  }
}

const invokedDirectly = isEntryPoint(import.meta.url);

if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`featcache: ${String(err)}\n`);
      process.exitCode = ExitCode.FAILURE;
    },
  );
}
