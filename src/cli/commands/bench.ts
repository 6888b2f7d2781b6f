/** `featcache bench [http|ingest|lib]`: runs a benchmark harness of the source checkout. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { ExitCode, UsageError, type Command } from '../usage.js';

/** Harness name -> script, relative to the package folder. */
const HARNESSES: Readonly<Record<string, string>> = {
  http: 'bench/run.ts',
  ingest: 'bench/ingest-bench.ts',
  lib: 'bench/lib-bench.ts',
};

const HELP = `Usage: featcache bench [http|ingest|lib] [harness options]

Runs one of the benchmark harnesses of a source checkout with tsx (they are
TypeScript and not part of the published build):

  http     ${HARNESSES.http}           the full harness (npm run bench): HTTP scenarios,
                                 target table, efficiency and memory studies   [default]
  ingest   ${HARNESSES.ingest}   extraction throughput, pool vs in-thread
  lib      ${HARNESSES.lib}   library get/set/batch vs raw Redis

Arguments after the harness name are passed to it. Results go to bench/results/.
Exit codes: the harness's; 1 when the harness is not installed; 2 usage error.
`;

async function run(argv: string[]): Promise<number> {
  const first = argv[0];
  if (first === '-h' || first === '--help') {
    process.stdout.write(HELP);
    return ExitCode.OK;
  }
  const name = first === undefined || first.startsWith('-') ? 'http' : first;
  const rest = name === first ? argv.slice(1) : argv;
  const rel = HARNESSES[name];
  if (rel === undefined) throw new UsageError(`unknown harness ${JSON.stringify(name)} (http, ingest or lib)`);
  let root: string;
  try {
    root = packageRoot();
  } catch {
    root = process.cwd();
  }
  const script = join(root, rel);
  if (!existsSync(script)) {
    process.stderr.write(`featcache bench: the ${name} harness is not installed (${rel} is missing; it ships with the source checkout)\n`);
    return ExitCode.FAILURE;
  }
  return new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...rest], { stdio: 'inherit', cwd: root });
    child.on('error', (err) => {
      process.stderr.write(`featcache bench: cannot run ${rel}: ${err.message}\n`);
      resolve(ExitCode.FAILURE);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? ExitCode.FAILURE : ExitCode.OK)));
  });
}

export const benchCommand: Command = { name: 'bench', summary: 'run a benchmark harness (http, ingest, lib)', help: HELP, run };
