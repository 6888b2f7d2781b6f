/** Runs the `featcache` CLI as a real process (node --import tsx src/cli/main.ts). */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** Variables a test's own environment must not leak into a CLI run (unless the test sets them). */
const CONFIG_VARIABLES = /^(REDIS_|FEATCACHE_|HOST$|PORT$)/;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Resolves with the exit code and output (never rejects on a non-zero exit). `input` is written to stdin;
 * `timeoutMs` bounds commands that extract images (dedup, trace) on a loaded machine.
 */
export function runCli(args: string[], env: Record<string, string> = {}, input?: string | Uint8Array, timeoutMs = 60_000): Promise<CliRun> {
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!CONFIG_VARIABLES.test(k)) childEnv[k] = v;
  Object.assign(childEnv, env);
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: ROOT, env: childEnv, timeout: timeoutMs, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        done({ code, stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8') });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}
