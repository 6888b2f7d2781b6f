/** The terminal table of `featcache dedup`: one block per group, one line per related pair. */
import type { DedupReport } from './report.js';

/** Pads or clips `s` to `width` characters. */
function cell(s: string, width: number): string {
  return s.length > width ? `${s.slice(0, width - 1)}…` : s.padEnd(width);
}

export function reportText(r: DedupReport): string {
  const lines: string[] = [];
  const { stats } = r;
  lines.push(
    `featcache dedup: ${stats.images} images, ${r.groups.length} group${r.groups.length === 1 ? '' : 's'} of related images ` +
      `(${stats.grouped} images), ${stats.candidates} pairs verified of ${stats.pairs} in ${(stats.analyze_ms / 1000).toFixed(1)} s`,
  );
  if (r.failures.length > 0) lines.push(`${r.failures.length} file(s) could not be read: see the list below`);
  const width = Math.min(48, Math.max(12, ...r.edges.flatMap((e) => [e.a.length, e.b.length])));
  r.groups.forEach((group, gi) => {
    lines.push('', `Group ${gi + 1} (${group.length} images)`);
    lines.push(`  ${cell('A', width)}  ${cell('B', width)}  ${cell('verdict', 14)}  inliers  reasons`);
    for (const e of r.edges.filter((x) => x.group === gi)) {
      lines.push(`  ${cell(e.a, width)}  ${cell(e.b, width)}  ${cell(e.verdict, 14)}  ${String(e.inliers).padStart(7)}  ${e.reasons.join('; ')}`);
    }
  });
  if (r.groups.length === 0) lines.push('', 'No related images found.');
  for (const f of r.failures) lines.push(`  failed: ${f.file}: ${f.code}: ${f.reason}`);
  lines.push('', `JSON: ${r.files.json}`, `HTML: ${r.files.html}`, '');
  return lines.join('\n');
}
