/**
 * Runs the Python client (clients/python) with Debian's python3 and its packages
 * (python3-requests, python3-msgpack, python3-numpy; scripts/setup.sh installs
 * them). Asynchronous on purpose: the service under test may run in this process.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const PYTHON_CLIENT_DIR = resolve(import.meta.dirname, '..', '..', 'clients', 'python');

/**
 * The interpreter: FEATCACHE_PYTHON, else Debian's /usr/bin/python3 (a python3
 * earlier on PATH, e.g. a pyenv shim, may lack the Debian packages), else python3.
 */
export function pythonExecutable(): string {
  return process.env.FEATCACHE_PYTHON || (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

export interface PythonRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `python3 <args>` in clients/python with the package importable; resolves when it exits. */
export function runPython(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<PythonRun> {
  return new Promise((done, fail) => {
    const child = spawn(pythonExecutable(), args, {
      cwd: PYTHON_CLIENT_DIR,
      env: { ...process.env, PYTHONPATH: PYTHON_CLIENT_DIR, PYTHONDONTWRITEBYTECODE: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}
