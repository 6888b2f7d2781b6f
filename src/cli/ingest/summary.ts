/** The end-of-run summary of `featcache ingest`: human text or --json. */
import type { IdMode, IngestResult } from './run.js';

export interface SummaryContext {
  source: string;
  base: string;
  idMode: IdMode;
  prefix: string;
  version: string;
}

/** The --json document (snake_case, like the HTTP API). */
export function summaryJson(r: IngestResult, ctx: SummaryContext): Record<string, unknown> {
  const seconds = r.durationMs / 1000;
  return {
    success: r.failed === 0 && !r.interrupted,
    source: ctx.source,
    base: ctx.base,
    id_mode: ctx.idMode,
    prefix: ctx.prefix,
    feature_version: ctx.version,
    total: r.total,
    processed: r.done,
    extracted: r.extracted,
    cached: r.cached,
    duplicates: r.duplicates,
    failed: r.failed,
    written: r.written,
    interrupted: r.interrupted,
    duration_ms: Math.round(r.durationMs),
    images_per_second: seconds > 0 ? Math.round((r.done / seconds) * 10) / 10 : null,
    failures: r.failures,
  };
}

/** Human-readable summary, failures listed with their reasons. */
export function summaryText(r: IngestResult, ctx: SummaryContext): string {
  const seconds = r.durationMs / 1000;
  const rate = seconds > 0 ? (r.done / seconds).toFixed(1) : '-';
  const lines = [
    `featcache ingest ${ctx.source}: ${r.done} of ${r.total} images in ${seconds.toFixed(1)} s (${rate} img/s)${r.interrupted ? ' - INTERRUPTED' : ''}`,
    `  extracted   ${r.extracted} (written ${r.written})`,
    `  cached      ${r.cached} (already cached for version ${ctx.version})`,
  ];
  if (r.duplicates > 0) lines.push(`  duplicates  ${r.duplicates} (same content as an earlier file)`);
  lines.push(`  failed      ${r.failed}`);
  for (const f of r.failures) lines.push(`    ${f.file}: ${f.code}: ${f.reason}`);
  return `${lines.join('\n')}\n`;
}
