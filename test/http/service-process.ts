/**
 * The service as a real process (`node --import tsx src/server.ts`) on a free
 * port, in its own process group, with the embedded redis-server the primary
 * starts: for FEATCACHE_WORKERS tests. stop() kills the whole group when the
 * process did not exit by itself, so a failed test leaves no workers or Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from '../../src/redis/redis-process.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  redisPort: number;
  /** The exit code, once the process exits. */
  exited: Promise<number | null>;
  stderr(): string;
  /** Resolves once /readyz answers 200 (fails after `timeoutMs`, quoting stderr). */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Kills the process group if still running and removes the data directory. */
  stop(): void;
}

export async function spawnService(env: Record<string, string>): Promise<ServiceProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'featcache-service-'));
  const port = await freePort();
  const redisPort = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'server.ts')], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: '', PORT: String(port), FEATCACHE_DATA_DIR: dir, FEATCACHE_EMBEDDED_PORT: String(redisPort), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true, // its own process group: stop() kills the workers and redis-server too
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const url = `http://127.0.0.1:${port}`;
  return {
    child,
    url,
    redisPort,
    exited,
    stderr: () => stderr,
    async waitReady(timeoutMs = 40_000) {
      const by = Date.now() + timeoutMs;
      // bounded: a worker stuck in start-up would hold the connection forever
      while ((await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false)) !== true) {
        if (Date.now() > by) throw new Error(`service did not become ready; stderr: ${stderr.slice(-2000)}`);
        await delay(100);
      }
    },
    stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
