/**
 * Building blocks shared by the topology helpers: node handles with
 * kill/restart, a registry that SIGKILLs every child still running when the
 * test process exits, polling on real signals, temp dirs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pingRaw, startRedisProcess, type RedisProcess } from '../../src/redis/redis-process.js';

export const HOST = '127.0.0.1';

export interface NodeAddress {
  host: string;
  port: number;
}

/** One redis-server (data node or sentinel) that a test can crash and bring back. */
export interface TopologyNode extends NodeAddress {
  /** pid of the current process (changes after restart). */
  readonly pid: number;
  isRunning(): boolean;
  /** SIGKILL: a crash. Resolves when the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM, SIGKILL after 5 s. */
  stop(): Promise<void>;
  /** Starts the node again on the same port, dir and config (after kill/stop). */
  restart(): Promise<void>;
}

// ---- orphan protection ------------------------------------------------------

const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of liveChildren) c.kill('SIGKILL');
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  });
}

/** Tracks a child so that it is SIGKILLed if the test process exits while it still runs. */
export function trackChild(child: ChildProcess): void {
  installExitHook();
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

// ---- polling and temp dirs ---------------------------------------------------

/**
 * Polls `check` until it returns true; throws naming `what` after `timeoutMs`.
 * @param intervalMs pause between checks. @default 50
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await delay(intervalMs);
  }
}

/** A fresh directory under the OS temp dir (removed at process exit at the latest); `prefix` names the topology. */
export function makeTempDir(prefix: string): string {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), `featcache-${prefix}-`));
  liveDirs.add(dir);
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}

/** Runs every teardown, even when some fail; rethrows the first failure. */
export async function settleAll(tasks: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** True when nothing listens on 127.0.0.1:port (we can bind it). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, HOST, () => srv.close(() => resolve(true)));
  });
}

/** The kernel's ephemeral range: outgoing connections take local ports from it at any moment. */
function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(lo) && Number.isInteger(hi)) return [lo!, hi!];
  } catch {
    // not Linux: assume the usual default
  }
  return [32768, 60999];
}

/**
 * A base port B such that B..B+count-1 are free (and B+10000.. too when
 * `busPorts`, for cluster nodes), for scripts that take a port base.
 * The whole block lies below the kernel's ephemeral range: a port inside it
 * can be taken by any outgoing connection between this check and the bind (a
 * CI run lost a cluster node's bus port that way, and the node never started).
 * Chosen at random from 10000 up; a race with another test's block is possible but rare.
 */
export async function freePortBlock(count: number, busPorts = false): Promise<number> {
  const span = count + (busPorts ? 10000 : 0);
  const top = ephemeralRange()[0] - span;
  const bottom = 10000;
  if (top <= bottom) throw new Error(`no room for a block of ${span} ports below the ephemeral range`);
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = bottom + Math.floor(Math.random() * (top - bottom));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if (busPorts) ports.push(...ports.map((p) => p + 10000));
    const free = await Promise.all(ports.map(portIsFree));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no block of ${count} free ports found`);
}

// ---- node handles ------------------------------------------------------------

/** A data node started through the lead's startRedisProcess (same port/dir/config on restart). */
export async function startDataNode(
  dir: string,
  config: Record<string, string | number>,
  port?: number,
): Promise<TopologyNode> {
  const start = async (p?: number) => {
    const proc = await startRedisProcess({ dir, config, ...(p === undefined ? {} : { port: p }) });
    trackChild(proc.child);
    return proc;
  };
  let proc: RedisProcess = await start(port);
  return {
    host: proc.host,
    port: proc.port,
    get pid() {
      return proc.pid;
    },
    isRunning: () => proc.child.exitCode === null && proc.child.signalCode === null,
    kill: () => proc.kill(),
    stop: () => proc.stop(),
    async restart() {
      if (proc.child.exitCode === null && proc.child.signalCode === null) {
        throw new Error(`node ${proc.port} is still running; kill() or stop() it first`);
      }
      proc = await start(proc.port);
    },
  };
}

/**
 * A redis-server started from a config file with extra flags (`--sentinel`),
 * which startRedisProcess cannot do: Sentinel needs a writable config file.
 */
export async function startConfigFileNode(
  confPath: string,
  port: number,
  extraArgs: string[],
  startTimeoutMs = 10_000,
): Promise<TopologyNode> {
  let child: ChildProcess;
  let exited: Promise<void>;
  const running = () => child.exitCode === null && child.signalCode === null;

  const start = async () => {
    const c = spawn('redis-server', [confPath, ...extraArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString();
    });
    child = c;
    exited = new Promise((resolve) => c.once('exit', () => resolve()));
    trackChild(c);
    try {
      await waitFor(`redis-server ${confPath} to answer PING on ${port}`, async () => {
        if (!running()) throw new Error(`exited: ${stderr.trim() || 'no output'}`);
        return pingRaw(HOST, port, 300);
      }, startTimeoutMs, 25);
    } catch (err) {
      c.kill('SIGKILL');
      throw err;
    }
  };
  const signal = async (sig: NodeJS.Signals) => {
    if (!running()) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.kill(sig);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    host: HOST,
    port,
    get pid() {
      return child.pid ?? -1;
    },
    isRunning: running,
    kill: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
    async restart() {
      if (running()) throw new Error(`node ${port} is still running; kill() or stop() it first`);
      await start();
    },
  };
}
