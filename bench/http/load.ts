/** One autocannon run as a promise, reduced to the figures the report needs. */
import autocannon, { type Options, type Result } from 'autocannon';

export interface LoadResult {
  /** Completed 2xx responses per second over the run. */
  requestsPerSecond: number;
  /** Latency percentiles in ms. */
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
  requests: number;
  non2xx: number;
  errors: number;
  seconds: number;
}

/** Runs autocannon with `opts` (url must be 127.0.0.1) and resolves with its summary. */
export function runLoad(opts: Options): Promise<LoadResult> {
  if (!/^http:\/\/127\.0\.0\.1[:/]/.test(opts.url)) throw new Error(`refusing to load anything but 127.0.0.1: ${opts.url}`);
  return new Promise((resolve, reject) => {
    autocannon({ timeout: 10, ...opts }, (err: Error | null, r: Result) => {
      if (err) return reject(err);
      resolve(summarize(r));
    });
  });
}

function summarize(r: Result): LoadResult {
  const ok = r['2xx'];
  return {
    requestsPerSecond: ok / r.duration,
    latency: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: r.latency.mean },
    requests: ok + r.non2xx,
    non2xx: r.non2xx,
    errors: r.errors,
    seconds: r.duration,
  };
}
