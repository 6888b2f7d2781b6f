/**
 * A redis-server that an earlier featcache process left running on the same
 * data directory (the process was killed with SIGKILL, so it could not stop its
 * child, which then lives on under PID 1). The next start shuts it down cleanly
 * (SHUTDOWN flushes and fsyncs its AOF, so no acknowledged write is lost) and
 * starts its own server on the same files, but only when the leftover is
 * proven to be that server:
 *
 * - the data directory's pidfile names a live process, and that process is a
 *   redis-server (`/proc/<pid>/cmdline` on Linux);
 * - the state file featcache wrote before starting it names its port, and the
 *   server answering there reports that pid (`INFO server` process_id) and
 *   that data directory (`CONFIG GET dir`);
 * - the featcache process that started it (the state file's `owner`) is no
 *   longer its parent: a server whose owner still runs belongs to a live
 *   service (two services on one data directory), and is left alone.
 *
 * Anything else (no state file, another pid or directory on that port) is a
 * stranger's process: featcache refuses to start and says so, as before.
 */
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import type { Logger } from '../types.js';

/** Where a data directory's embedded server listens, written before it starts. */
export interface EmbeddedState {
  host: string;
  port: number;
  /** pid of the featcache process that started the server. */
  owner: number;
}

/** How long a leftover may take to write its AOF and exit after SHUTDOWN. */
const SHUTDOWN_WAIT_MS = 30_000;

export function writeState(file: string, state: EmbeddedState): void {
  writeFileSync(file, `${JSON.stringify(state)}\n`);
}

function readState(file: string): EmbeddedState | null {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<EmbeddedState>;
    return typeof v.host === 'string' && Number.isInteger(v.port) && Number.isInteger(v.owner) ? { host: v.host, port: v.port!, owner: v.owner! } : null;
  } catch {
    return null;
  }
}

/** True while `pid` runs (a zombie, dead but not yet reaped by its new parent, does not count). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/** The parent pid from /proc/<pid>/stat; null where it cannot be read. */
export function parentPid(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** 'redis' or 'other' from /proc/<pid>/cmdline; 'unknown' where it cannot be read (no /proc). */
function processKind(pid: number): 'redis' | 'other' | 'unknown' {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!.includes('redis-server') ? 'redis' : 'other';
  } catch {
    return 'unknown';
  }
}

async function identify(state: EmbeddedState): Promise<{ pid: number; dir: string } | null> {
  const client = new Redis({
    host: state.host,
    port: state.port,
    lazyConnect: true,
    connectTimeout: 1000,
    commandTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const info = await client.info('server');
    const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
    const dir = ((await client.config('GET', 'dir')))[1] ?? '';
    return { pid, dir };
  } catch {
    return null;
  } finally {
    client.disconnect();
  }
}

/** SHUTDOWN (the AOF is flushed and fsynced first); resolves when the process is gone. */
async function shutDown(state: EmbeddedState, pid: number): Promise<void> {
  const client = new Redis({ host: state.host, port: state.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.call('SHUTDOWN').catch((err: Error) => {
      // the server closes the connection as it exits; an error *reply* means it refused
      if (!/Connection is closed|ECONNRESET/.test(err.message)) throw err;
    });
  } finally {
    client.disconnect();
  }
  const end = Date.now() + SHUTDOWN_WAIT_MS;
  while (processAlive(pid)) {
    if (Date.now() > end) throw new Error(`it did not exit within ${SHUTDOWN_WAIT_MS} ms of SHUTDOWN`);
    await delay(25);
  }
}

/**
 * Makes the data directory free for a new embedded server: nothing to do when
 * its pidfile is absent or stale; a proven leftover is shut down cleanly;
 * anything else fails with EMBEDDED_REDIS_FAILED naming the pid and the fixes.
 */
export async function reclaimDataDir(dir: string, pidfile: string, statefile: string, logger: Logger): Promise<void> {
  if (!existsSync(pidfile)) return;
  const pid = Number(readFileSync(pidfile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return;
  const kind = processKind(pid);
  if (kind === 'other') {
    logger.warn({ pid, pidfile }, 'embedded redis: the pidfile names a process that is not a redis-server (a stale pidfile); ignoring it');
    return;
  }
  const refuse = (why: string): never => {
    throw new FeatureCacheError(
      ErrorCodes.EMBEDDED_REDIS_FAILED,
      `another embedded redis-server (pid ${pid}) already uses ${dir}, and it is not provably the one an earlier featcache left running (${why}); ` +
        `stop it, or give this instance another data directory (FEATCACHE_DATA_DIR / embedded.dir), or point it at that Redis with REDIS_URL`,
      { details: { pid, dir } },
    );
  };
  const state = readState(statefile);
  if (!state) return refuse(`no readable ${statefile}`);
  if (processAlive(state.owner) && (parentPid(pid) ?? state.owner) === state.owner) {
    return refuse(`it belongs to the featcache process ${state.owner}, which is still running`);
  }
  const seen = await identify(state);
  if (!seen) return refuse(`nothing answers on ${state.host}:${state.port}`);
  if (seen.pid !== pid) return refuse(`${state.host}:${state.port} is served by pid ${seen.pid}`);
  if (!sameDir(seen.dir, dir)) return refuse(`its data directory is ${seen.dir}`);
  logger.warn(
    { pid, port: state.port, dir },
    'embedded redis: an earlier featcache process left its redis-server running on this data directory; shutting it down cleanly (SHUTDOWN writes its AOF) and starting a new one',
  );
  try {
    await shutDown(state, pid);
  } catch (err) {
    throw new FeatureCacheError(ErrorCodes.EMBEDDED_REDIS_FAILED, `could not shut down the leftover redis-server (pid ${pid}) of ${dir}: ${(err as Error).message}`, {
      cause: err,
      details: { pid, dir },
    });
  }
}

function sameDir(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}
