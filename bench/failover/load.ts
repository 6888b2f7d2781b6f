/**
 * A write+read load for fault tests and the failover benchmark: loops of
 * setMany of small batches of unique ids, each followed by a getMany of the
 * batch just written, recording every acknowledged id and every error with its
 * time. After the fault, `readBack` finds acknowledged ids that are gone.
 *
 *   const load = startLoad(cache);
 *   await load.waitForWrites(200);
 *   const t = load.markFault();        // then kill something
 *   await load.waitForRecovery(30_000);
 *   const figures = await load.finish(); // stops, reads every acked id back
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { FeatureCache } from '../../src/index.js';

export interface LoadOptions {
  /** Images per setMany. @default 10 */
  batch?: number;
  /** Concurrent write+read loops. @default 2 */
  workers?: number;
  /** Id prefix (unique per run). @default 'load' */
  idPrefix?: string;
  /** Pause after a failed operation, so a dead Redis is not spun on. @default 20 */
  pauseAfterErrorMs?: number;
}

export interface FailoverFigures {
  scenario: string;
  /** Acknowledged writes (ids) during the whole run. */
  ackedWrites: number;
  /** Operations (setMany + getMany) that failed after the fault, by error code. */
  errorsAfterFault: number;
  errorCodes: Record<string, number>;
  /** The first message seen per error code. */
  errorSamples: Record<string, string>;
  /** Fault -> first write started after the fault that succeeded. */
  firstWriteOkMs: number | null;
  /** Fault -> end of the last failed operation (the load is steady after it). */
  lastErrorMs: number | null;
  /** Acknowledged ids not found after the fault. */
  lostAcked: number;
  /** When the lost ids were acknowledged, ms relative to the fault (negative: before it). */
  lostAckedAtMs: { first: number; last: number } | null;
  /** Acknowledged in the 2 s before the fault (the window a loss can come from). */
  ackedLast2sBeforeFault: number;
  /** Reads of just-acknowledged ids that came back as misses. */
  readMisses: number;
}

interface Ack {
  ids: string[];
  at: number;
}

export interface Load {
  /** Resolves when at least `n` ids were acknowledged. */
  waitForWrites(n: number, timeoutMs?: number): Promise<void>;
  /** Records now as the moment of the fault: call it once the process is dead (kill resolved). */
  markFault(): number;
  /** Resolves when `n` writes started after the fault succeeded in a row; rejects after `timeoutMs`. */
  waitForRecovery(timeoutMs: number, n?: number): Promise<void>;
  /** Errors with this code seen since the fault. */
  errorsSinceFault(code: string): number;
  /** Stops the loops, reads every acknowledged id back and returns the figures. */
  finish(scenario: string, reader?: FeatureCache): Promise<FailoverFigures>;
}

export function startLoad(cache: FeatureCache, opts: LoadOptions = {}): Load {
  const batch = opts.batch ?? 10;
  const prefix = opts.idPrefix ?? 'load';
  const pause = opts.pauseAfterErrorMs ?? 20;
  const acks: Ack[] = [];
  const errors: Array<{ at: number; code: string }> = [];
  let acked = 0;
  let seq = 0;
  let faultAt: number | null = null;
  let firstOkAfterFault: number | null = null;
  let okInARow = 0;
  let readMisses = 0;
  let stopped = false;

  const samples = new Map<string, string>();
  const code = (err: unknown) => {
    const c = (err as { code?: string }).code ?? (err as Error).name ?? 'unknown';
    if (!samples.has(c)) {
      const cause = (err as { cause?: Error }).cause;
      samples.set(c, `${(err as Error).message}${cause ? ` <- ${cause.message}` : ''}`.slice(0, 300));
    }
    return c;
  };

  const worker = async () => {
    while (!stopped) {
      const ids = Array.from({ length: batch }, () => `${prefix}-${seq++}`);
      const started = Date.now();
      try {
        await cache.setMany(ids.map((imageId, i) => ({ imageId, features: { i, s: imageId } })));
        acks.push({ ids, at: Date.now() });
        acked += ids.length;
        if (faultAt !== null && started >= faultAt) {
          firstOkAfterFault ??= Date.now();
          okInARow++;
        }
      } catch (err) {
        errors.push({ at: Date.now(), code: code(err) });
        okInARow = 0;
        await delay(pause);
        continue;
      }
      try {
        const got = await cache.getMany(ids);
        readMisses += got.filter((r) => r === null).length;
      } catch (err) {
        errors.push({ at: Date.now(), code: code(err) });
        okInARow = 0;
        await delay(pause);
      }
    }
  };
  const loops = Array.from({ length: opts.workers ?? 2 }, worker);

  const until = async (what: string, check: () => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`load: timed out after ${timeoutMs} ms waiting for ${what}`);
      await delay(20);
    }
  };

  return {
    waitForWrites: (n, timeoutMs = 20_000) => until(`${n} acknowledged writes`, () => acked >= n, timeoutMs),
    markFault() {
      faultAt = Date.now();
      readMisses = 0;
      return faultAt;
    },
    errorsSinceFault: (c) => errors.filter((e) => faultAt !== null && e.at >= faultAt && e.code === c).length,
    waitForRecovery: (timeoutMs, n = 5) =>
      until(`${n} successful writes in a row after the fault`, () => okInARow >= n, timeoutMs),
    async finish(scenario, reader = cache) {
      stopped = true;
      await Promise.all(loops);
      const fault = faultAt ?? Date.now();
      const after = errors.filter((e) => e.at >= fault);
      const errorCodes: Record<string, number> = {};
      for (const e of after) errorCodes[e.code] = (errorCodes[e.code] ?? 0) + 1;
      const all = acks.flatMap((a) => a.ids.map((id) => ({ id, at: a.at - fault })));
      const lostAt: number[] = [];
      for (let i = 0; i < all.length; i += 500) {
        const part = all.slice(i, i + 500);
        const got = await reader.getMany(part.map((p) => p.id));
        got.forEach((r, j) => r === null && lostAt.push(part[j]!.at));
      }
      const lost = lostAt.length;
      const lastError = after.length > 0 ? Math.max(...after.map((e) => e.at)) : null;
      return {
        scenario,
        ackedWrites: acked,
        errorsAfterFault: after.length,
        errorCodes,
        errorSamples: Object.fromEntries(samples),
        firstWriteOkMs: firstOkAfterFault === null ? null : firstOkAfterFault - fault,
        lastErrorMs: lastError === null ? null : lastError - fault,
        lostAcked: lost,
        lostAckedAtMs: lost === 0 ? null : { first: Math.min(...lostAt), last: Math.max(...lostAt) },
        ackedLast2sBeforeFault: acks.filter((a) => a.at < fault && a.at >= fault - 2000).reduce((n, a) => n + a.ids.length, 0),
        readMisses,
      };
    },
  };
}

/** Prints figures as one aligned table (console.log, so vitest shows it). */
export function printFigures(title: string, rows: FailoverFigures[]): void {
  const head = ['scenario', 'acked', 'errors after fault', 'first write ok (ms)', 'last error (ms)', 'acked lost', 'acked <=2 s before fault'];
  const body = rows.map((r) => [
    r.scenario,
    String(r.ackedWrites),
    `${r.errorsAfterFault} ${JSON.stringify(r.errorCodes)}`,
    r.firstWriteOkMs === null ? '-' : String(r.firstWriteOkMs),
    r.lastErrorMs === null ? '-' : String(r.lastErrorMs),
    r.lostAckedAtMs ? `${r.lostAcked} (acked ${r.lostAckedAtMs.first}..${r.lostAckedAtMs.last} ms)` : String(r.lostAcked),
    String(r.ackedLast2sBeforeFault),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const samples = rows.flatMap((r) => Object.entries(r.errorSamples).map(([c, m]) => `  ${r.scenario} / ${c}: ${m}`));
  console.log(
    [`\n${title}`, line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), 'first error of each code:', ...samples].join('\n'),
  );
}
