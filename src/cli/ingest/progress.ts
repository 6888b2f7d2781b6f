/**
 * Ingest progress on stderr (stdout stays free for the summary and --json):
 * a cli-progress bar (count, rate, ETA) on a terminal, plain lines at most once
 * per `intervalMs` otherwise (logs, CI, tests).
 */
import cliProgress from 'cli-progress';
import type { IngestCounts } from './run.js';

export interface ProgressReporter {
  update(counts: IngestCounts): void;
  stop(): void;
}

export interface ProgressOptions {
  /** @default process.stderr */
  stream?: NodeJS.WriteStream;
  /** Force the bar (true) or plain lines (false). @default stream.isTTY */
  tty?: boolean;
  /** Minimum time between plain lines. @default 1000 */
  intervalMs?: number;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Rate (files/s) and ETA from the start time and the counts. */
function rateAndEta(counts: IngestCounts, startedMs: number): { rate: number; eta: number } {
  const seconds = (performance.now() - startedMs) / 1000;
  const rate = seconds > 0 ? counts.done / seconds : 0;
  const eta = rate > 0 ? (counts.total - counts.done) / rate : Number.POSITIVE_INFINITY;
  return { rate, eta };
}

/** A no-op reporter (--quiet). */
export const silentProgress: ProgressReporter = { update() {}, stop() {} };

/**
 * Creates the reporter for `total` files.
 * @param options.intervalMs plain-line period. @default 1000
 */
export function createProgress(total: number, options: ProgressOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? stream.isTTY === true;
  const started = performance.now();

  if (tty) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: 'ingest [{bar}] {percentage}% | {value}/{total} | {rate} img/s | ETA {etaText} | new {extracted} cached {cached} failed {failed}',
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0.0', etaText: '?', extracted: 0, cached: 0, failed: 0 });
    return {
      update(c) {
        const { rate, eta } = rateAndEta(c, started);
        bar.update(c.done, { rate: rate.toFixed(1), etaText: formatSeconds(eta), extracted: c.extracted, cached: c.cached, failed: c.failed });
      },
      stop() {
        bar.stop();
      },
    };
  }

  const intervalMs = options.intervalMs ?? 1000;
  let lastLine = Number.NEGATIVE_INFINITY;
  let last: IngestCounts | undefined;
  let printed: IngestCounts | undefined;
  const line = (c: IngestCounts) => {
    const { rate, eta } = rateAndEta(c, started);
    const pct = c.total > 0 ? Math.floor((c.done / c.total) * 100) : 100;
    stream.write(
      `ingest: ${c.done}/${c.total} (${pct}%) ${rate.toFixed(1)} img/s ETA ${formatSeconds(eta)} | new ${c.extracted} cached ${c.cached} failed ${c.failed}\n`,
    );
    printed = c;
  };
  return {
    update(c) {
      last = c;
      const now = performance.now();
      if (now - lastLine >= intervalMs) {
        lastLine = now;
        line(c);
      }
    },
    stop() {
      if (last !== undefined && last !== printed) line(last);
    },
  };
}
