/**
 * Measuring a hostile request: its answer time (sent from a child process, so
 * the client's own work is not counted), the service's RSS growth and the
 * slowest /livez answer and largest event-loop delay while it runs. The service
 * runs in this process (startServer), so RSS and the loop are the service's.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export interface HostileFigures {
  status: number;
  body: { success?: boolean; error?: { code: string; message: string } } | string;
  /** Time until the answer arrived at the client. */
  answerMs: number;
  /** Slowest /livez answer (timed from when it was due) while the request ran. */
  livezMaxMs: number;
  /** Largest event-loop delay while the request ran. */
  loopDelayMaxMs: number;
  /** RSS after the answer minus RSS before, in MB. */
  rssGrowthMb: number;
}

const CLIENT = fileURLToPath(new URL('./post-client.mjs', import.meta.url));

function post(url: string, file: string, headers: Record<string, string>): Promise<{ status: number; ms: number; body: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLIENT, url, file, JSON.stringify(headers)], { maxBuffer: 1 << 20 }, (err, stdout) => {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- execFile's err is an Error at run time; @types/node types it through Omit<>
      if (err) reject(err);
      else resolve(JSON.parse(stdout) as { status: number; ms: number; body: string });
    });
  });
}

/** POSTs `body` to `url + path` from a child process while polling /livez; returns the figures. */
export async function measureHostile(url: string, path: string, headers: Record<string, string>, body: Uint8Array | string): Promise<HostileFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'featcache-hostile-'));
  const file = join(dir, 'body');
  writeFileSync(file, body);
  try {
    await (await fetch(`${url}/livez`)).arrayBuffer(); // warm: connection and code paths
    const rssBefore = process.memoryUsage().rss;
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    let done = false;
    let livezMaxMs = 0;
    const poller = (async () => {
      while (!done) {
        const due = performance.now() + 5;
        await new Promise((res) => setTimeout(res, 5));
        const r = await fetch(`${url}/livez`);
        await r.arrayBuffer();
        livezMaxMs = Math.max(livezMaxMs, performance.now() - due);
      }
    })();
    const answer = await post(url + path, file, headers);
    done = true;
    await poller;
    loop.disable();
    await new Promise((res) => setTimeout(res, 50));
    const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    let parsed: HostileFigures['body'] = answer.body;
    try {
      parsed = JSON.parse(answer.body) as HostileFigures['body'];
    } catch {
      // keep the text
    }
    return { status: answer.status, body: parsed, answerMs: answer.ms, livezMaxMs, loopDelayMaxMs: loop.max / 1e6, rssGrowthMb };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A wall-clock bound scaled by how busy the machine is: the figures
 * hold on a quiet machine; on one whose load average exceeds its cores, every
 * process gets a share of a core, so the bound grows by that factor (today's
 * code misses them by two orders of magnitude either way).
 */
export function loadScaled(ms: number): number {
  return ms * Math.max(1, loadavg()[0]! / availableParallelism());
}
