/**
 * Progress of dedup's grouping phase on stderr: a cli-progress bar on a terminal,
 * plain lines at most once a second otherwise (the ingest phase uses ingest's
 * reporter, src/cli/ingest/progress.ts).
 */
import cliProgress from 'cli-progress';

export interface PhaseProgress {
  update(done: number, total: number): void;
  stop(): void;
}

export const silentPhase: PhaseProgress = { update() {}, stop() {} };

export function createPhaseProgress(label: string, stream: NodeJS.WriteStream = process.stderr, tty = stream.isTTY === true): PhaseProgress {
  if (tty) {
    const bar = new cliProgress.SingleBar(
      { stream, format: `${label} [{bar}] {percentage}% | {value}/{total} pairs`, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total) {
        if (!started) bar.start(total, 0);
        started = true;
        bar.setTotal(total);
        bar.update(done);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = Number.NEGATIVE_INFINITY;
  let pending: [number, number] | null = null;
  const line = (done: number, total: number) => {
    stream.write(`${label}: ${done}/${total} pairs\n`);
    pending = null;
  };
  return {
    update(done, total) {
      pending = [done, total];
      if (performance.now() - last >= 1000) {
        last = performance.now();
        line(done, total);
      }
    },
    stop() {
      if (pending) line(...pending);
    },
  };
}
