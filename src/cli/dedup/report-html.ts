/**
 * The self-contained HTML report of `featcache dedup`: every group with
 * thumbnails (inline JPEG data URIs, so the file can be mailed or archived
 * alone), and per related pair its verdict, reasons and, when given, the picture
 * of the matches.
 */
import type { DedupReport } from './report.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
}

function dataUri(bytes: Buffer, type: string): string {
  return `data:${type};base64,${bytes.toString('base64')}`;
}

export interface HtmlAssets {
  /** Thumbnail (JPEG) per image ID; an image without one is listed by name. */
  thumbnails: ReadonlyMap<string, Buffer>;
  /** Picture of the matches (PNG) per edge index. */
  pictures: ReadonlyMap<number, Buffer>;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.4em}
section{border:1px solid #ccc;border-radius:6px;padding:1em;margin:1em 0}
.thumbs{display:flex;flex-wrap:wrap;gap:12px}.thumbs figure{margin:0;width:170px}
.thumbs img{max-width:160px;max-height:160px;display:block;border:1px solid #ddd}
figcaption{font-size:12px;word-break:break-all}table{border-collapse:collapse;margin-top:1em;width:100%}
td,th{border-top:1px solid #eee;padding:4px 8px;text-align:left;vertical-align:top}
.v-identical{color:#06c}.v-near_duplicate{color:#080}.v-derived{color:#a60}
td img{max-width:640px;display:block;margin-top:6px}.muted{color:#777}`;

export function reportHtml(r: DedupReport, assets: HtmlAssets): string {
  const thumb = (id: string) => {
    const t = assets.thumbnails.get(id);
    const img = t ? `<img src="${dataUri(t, 'image/jpeg')}" alt="${escapeHtml(id)}">` : '';
    return `<figure>${img}<figcaption>${escapeHtml(id)}</figcaption></figure>`;
  };
  const sections = r.groups.map((group, gi) => {
    const rows = r.edges
      .map((e, ei) => ({ e, ei }))
      .filter(({ e }) => e.group === gi)
      .map(({ e, ei }) => {
        const pic = assets.pictures.get(ei);
        const picture = pic ? `<img src="${dataUri(pic, 'image/png')}" alt="matches between ${escapeHtml(e.a)} and ${escapeHtml(e.b)}">` : '';
        return (
          `<tr><td>${escapeHtml(e.a)}</td><td>${escapeHtml(e.b)}</td><td class="v-${e.verdict}">${e.verdict.replace('_', ' ')}</td>` +
          `<td>${e.inliers}</td><td>${e.reasons.map(escapeHtml).join('<br>')}${picture}</td></tr>`
        );
      });
    return (
      `<section><h2>Group ${gi + 1} <span class="muted">(${group.length} images)</span></h2>` +
      `<div class="thumbs">${group.map(thumb).join('')}</div>` +
      `<table><tr><th>A</th><th>B</th><th>verdict</th><th>inliers</th><th>reasons</th></tr>${rows.join('')}</table></section>`
    );
  });
  const failures = r.failures.length
    ? `<section><h2>Files that could not be read</h2><ul>${r.failures.map((f) => `<li>${escapeHtml(f.file)}: ${escapeHtml(f.code)}: ${escapeHtml(f.reason)}</li>`).join('')}</ul></section>`
    : '';
  const s = r.stats;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>featcache dedup: ${escapeHtml(r.source)}</title><style>${STYLE}</style></head>
<body><h1>Related images in ${escapeHtml(r.source)}</h1>
<p>${s.images} images, ${r.groups.length} groups (${s.grouped} images); ${s.candidates} pairs verified of ${s.pairs}.
Feature version <code>${escapeHtml(r.version)}</code>.</p>
<p class="muted">Geometry cannot tell "derived from" from "the same scene photographed twice": a verdict says the images share content, not which came first.</p>
${sections.join('\n') || '<p>No related images found.</p>'}
${failures}
</body></html>
`;
}
