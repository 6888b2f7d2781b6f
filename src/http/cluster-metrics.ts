/**
 * One /metrics scrape for the whole service when FEATCACHE_WORKERS > 1.
 *
 * The worker that receives the scrape asks the primary over the cluster IPC
 * channel; the primary asks every worker for its registry as JSON, sums them
 * with prom-client's AggregatorRegistry.aggregate (each metric by its own
 * aggregator: counters and histograms summed, process_start_time omitted, the
 * Redis gauges by max, ...) and answers with the text.
 *
 * Counters never go backwards from Prometheus's point of view:
 * - a worker that does not answer in time is counted with the values it sent last;
 * - a worker that exits leaves its last counters and histograms in a retired
 *   baseline that every later scrape adds, so its replacement starting from
 *   zero does not make a total drop. (What it counted after the last scrape is lost.)
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { ApiError, HttpErrorCodes } from './errors.js';
import type { HttpMetrics } from './metrics.js';

type MetricJson = MetricObjectWithValues<MetricValue<string>>;

/** worker -> primary: answer a scrape for the whole service. */
const SCRAPE = 'featcache:metrics-scrape';
/** primary -> worker: the answer to SCRAPE. */
const SCRAPED = 'featcache:metrics-scraped';
/** primary -> worker: send your registry as JSON. */
const COLLECT = 'featcache:metrics-collect';
/** worker -> primary: the answer to COLLECT. */
const COLLECTED = 'featcache:metrics-collected';

/** How long the primary waits for each worker's metrics before using its last ones. */
const COLLECT_TIMEOUT_MS = 2000;
/** How long a worker waits for the primary's answer before failing the scrape (503). */
const SCRAPE_TIMEOUT_MS = 5000;

type Message =
  | { type: typeof SCRAPE; id: number }
  | { type: typeof SCRAPED; id: number; text?: string; error?: string }
  | { type: typeof COLLECT; id: number }
  | { type: typeof COLLECTED; id: number; metrics: MetricJson[] };

function isMessage(m: unknown): m is Message {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' && (m as { type: string }).type.startsWith('featcache:metrics-');
}

/** Metric types whose values only grow: they survive their worker in the retired baseline. */
const CUMULATIVE = new Set(['counter', 'histogram', 'summary']);

/**
 * In a cluster worker: answers the primary's collection requests with this
 * process's metrics, and makes metrics.scrape() ask the primary for the whole
 * service. Returns a function that detaches the listener.
 */
export function joinClusterMetrics(metrics: HttpMetrics): () => void {
  const pending = new Map<number, { resolve(text: string): void; reject(err: unknown): void; timer: NodeJS.Timeout }>();
  let nextId = 1;
  const onMessage = (msg: unknown) => {
    if (!isMessage(msg)) return;
    if (msg.type === COLLECT) {
      void metrics
        .refresh()
        .then(() => metrics.registry.getMetricsAsJSON())
        .then(
          (list) => process.send?.({ type: COLLECTED, id: msg.id, metrics: list } satisfies Message),
          () => process.send?.({ type: COLLECTED, id: msg.id, metrics: [] } satisfies Message),
        );
    } else if (msg.type === SCRAPED) {
      const p = pending.get(msg.id);
      if (p === undefined) return;
      pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.text !== undefined) p.resolve(msg.text);
      else p.reject(new ApiError(503, HttpErrorCodes.METRICS_UNAVAILABLE, `metrics aggregation failed: ${msg.error ?? 'unknown error'}`));
    }
  };
  process.on('message', onMessage);
  metrics.scrapeWith(
    () =>
      new Promise<string>((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new ApiError(503, HttpErrorCodes.METRICS_UNAVAILABLE, 'the primary did not answer the metrics scrape in time'));
        }, SCRAPE_TIMEOUT_MS);
        pending.set(id, { resolve, reject, timer });
        process.send?.({ type: SCRAPE, id } satisfies Message);
      }),
  );
  return () => {
    process.off('message', onMessage);
    for (const p of pending.values()) clearTimeout(p.timer);
  };
}

/**
 * In the cluster primary: answers workers' scrapes with the aggregate of every
 * worker. Returns a function that detaches the listeners.
 */
export function aggregateClusterMetrics(): () => void {
  /** The last metrics each live worker sent. */
  const lastByWorker = new Map<number, MetricJson[]>();
  /** Counters and histograms of workers that exited, summed. */
  let retired: MetricJson[] = [];
  let nextId = 1;
  const waiting = new Map<string, (list: MetricJson[]) => void>();

  const collectFrom = (w: Worker, id: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const key = `${w.id}:${id}`;
      const timer = setTimeout(() => {
        waiting.delete(key);
        resolve(); // keep its last values
      }, COLLECT_TIMEOUT_MS);
      waiting.set(key, (list) => {
        clearTimeout(timer);
        waiting.delete(key);
        lastByWorker.set(w.id, list);
        resolve();
      });
      try {
        w.send({ type: COLLECT, id } satisfies Message);
      } catch {
        clearTimeout(timer);
        waiting.delete(key);
        resolve();
      }
    });

  const scrape = async (): Promise<string> => {
    const id = nextId++;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
    await Promise.all(workers.map((w) => collectFrom(w, id)));
    const parts = [...lastByWorker.values()];
    if (retired.length > 0) parts.push(retired);
    return AggregatorRegistry.aggregate(parts).metrics();
  };

  const onMessage = (worker: Worker, msg: unknown) => {
    if (!isMessage(msg)) return;
    if (msg.type === COLLECTED) waiting.get(`${worker.id}:${msg.id}`)?.(msg.metrics);
    else if (msg.type === SCRAPE) {
      scrape().then(
        (text) => worker.isConnected() && worker.send({ type: SCRAPED, id: msg.id, text } satisfies Message),
        (err: unknown) => worker.isConnected() && worker.send({ type: SCRAPED, id: msg.id, error: err instanceof Error ? err.message : String(err) } satisfies Message),
      );
    }
  };
  const onExit = (worker: Worker) => {
    const last = lastByWorker.get(worker.id);
    lastByWorker.delete(worker.id);
    if (last === undefined) return;
    const cumulative = last.filter((m) => CUMULATIVE.has(String(m.type)));
    const parts = retired.length > 0 ? [retired, cumulative] : [cumulative];
    // synchronously, so no scrape can fall between the worker's removal and its baseline:
    // the aggregated registry holds plain metric objects whose get() returns the values
    retired = AggregatorRegistry.aggregate(parts)
      .getMetricsAsArray()
      .map((m) => (m as unknown as { get(): MetricJson }).get());
  };
  cluster.on('message', onMessage);
  cluster.on('exit', onExit);
  return () => {
    cluster.off('message', onMessage);
    cluster.off('exit', onExit);
  };
}
