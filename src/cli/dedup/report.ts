/** What `featcache dedup` reports: the groups, their pairs and the run's figures (also the JSON file). */
import type { AnalyzeSetResult, SetEdge } from '../../types.js';
import type { IngestFailure } from '../ingest/run.js';

export interface DedupEdge extends SetEdge {
  /** Index into `groups`. */
  group: number;
}

export interface DedupReport {
  success: boolean;
  source: string;
  /** Folder the image IDs (relative paths) are relative to. */
  base: string;
  prefix: string;
  version: string;
  groups: string[][];
  edges: DedupEdge[];
  failures: IngestFailure[];
  stats: {
    images: number;
    /** Images in some group. */
    grouped: number;
    /** Pairs among the images. */
    pairs: number;
    /** Pairs the cheap evidence proposed and that were verified. */
    candidates: number;
    extracted: number;
    cached: number;
    ingest_ms: number;
    analyze_ms: number;
  };
  files: { json: string; html: string };
}

/** Assembles the report from the ingest and analyzeSet results. */
export function buildReport(
  ctx: Pick<DedupReport, 'source' | 'base' | 'prefix' | 'version' | 'files'>,
  analysis: AnalyzeSetResult,
  ingest: { extracted: number; cached: number; durationMs: number; failures: IngestFailure[] },
): DedupReport {
  const groupOf = new Map<string, number>();
  analysis.groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
  const n = analysis.stats.images - analysis.missing.length;
  return {
    success: ingest.failures.length === 0,
    ...ctx,
    groups: analysis.groups,
    edges: analysis.edges.map((e) => ({ ...e, group: groupOf.get(e.a)! })),
    failures: ingest.failures,
    stats: {
      images: n,
      grouped: groupOf.size,
      pairs: (n * (n - 1)) / 2,
      candidates: analysis.stats.verified,
      extracted: ingest.extracted,
      cached: ingest.cached,
      ingest_ms: Math.round(ingest.durationMs),
      analyze_ms: analysis.stats.ms,
    },
  };
}
