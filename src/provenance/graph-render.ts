/**
 * A picture of a provenance graph, drawn server-side: an SVG generated here
 * (PNG: the same SVG rasterised by sharp). Each tree of the forest is laid out
 * top-down from its likeliest origin (a node no directed edge points into, with
 * the most directed edges out); leaves side by side, a parent centred over its
 * children. Directed edges are solid arrows from source to derived image,
 * "direction unknown" edges dashed without a head; composites are filled in
 * orange; images related to nothing (and missing ones) line up at the bottom.
 */
import sharp from 'sharp';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import type { ProvenanceGraph } from './graph.js';

export type GraphPictureFormat = 'svg' | 'png';

const BOX = { width: 176, height: 40 };
const GAP = { x: 24, y: 72 };
const MARGIN = 24;
const TITLE = 40;
const LEGEND = 36;
const MAX_LABEL = 22;
/** Largest side of the picture, px (a big set is drawn smaller). */
const MAX_SIDE = 8000;
const COLOURS = {
  background: '#ffffff',
  node: '#e8f0fe',
  nodeStroke: '#1a73e8',
  composite: '#fde2c8',
  compositeStroke: '#e8710a',
  missing: '#f1f3f4',
  missingStroke: '#9aa0a6',
  directed: '#1a73e8',
  unknown: '#80868b',
  text: '#202124',
};

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function label(id: string): string {
  return id.length <= MAX_LABEL ? id : `${id.slice(0, MAX_LABEL - 1)}…`;
}

interface Placed {
  x: number;
  y: number;
}

/** Positions (box centres) of every node. */
function layout(g: ProvenanceGraph): { at: Map<string, Placed>; width: number; height: number } {
  const order = new Map(g.nodes.map((n, i) => [n.imageId, i]));
  const adj = new Map<string, string[]>();
  const into = new Map<string, number>();
  const outOf = new Map<string, number>();
  for (const e of g.edges) {
    for (const [x, y] of [[e.from, e.to], [e.to, e.from]] as const) adj.set(x, [...(adj.get(x) ?? []), y]);
    if (e.directed) {
      into.set(e.to, (into.get(e.to) ?? 0) + 1);
      outOf.set(e.from, (outOf.get(e.from) ?? 0) + 1);
    }
  }
  const at = new Map<string, Placed>();
  const seen = new Set<string>();
  let nextX = 0;
  let maxDepth = -1;
  const place = (id: string, depth: number): number => {
    seen.add(id);
    maxDepth = Math.max(maxDepth, depth);
    const children = (adj.get(id) ?? []).filter((c) => !seen.has(c)).sort((a, b) => order.get(a)! - order.get(b)!);
    for (const c of children) seen.add(c);
    const xs = children.map((c) => place(c, depth + 1));
    const x = xs.length > 0 ? (xs[0]! + xs[xs.length - 1]!) / 2 : nextX++;
    at.set(id, { x, y: depth });
    return x;
  };
  // components, each from its likeliest origin
  const connected = g.nodes.map((n) => n.imageId).filter((id) => adj.has(id));
  const component = new Map<string, string[]>();
  const visited = new Set<string>();
  for (const id of connected) {
    if (visited.has(id)) continue;
    const members: string[] = [];
    const stack = [id];
    visited.add(id);
    while (stack.length > 0) {
      const x = stack.pop()!;
      members.push(x);
      for (const y of adj.get(x) ?? []) {
        if (visited.has(y)) continue;
        visited.add(y);
        stack.push(y);
      }
    }
    component.set(id, members);
  }
  for (const members of component.values()) {
    const root = [...members].sort(
      (a, b) => (into.get(a) ?? 0) - (into.get(b) ?? 0) || (outOf.get(b) ?? 0) - (outOf.get(a) ?? 0) || order.get(a)! - order.get(b)!,
    )[0]!;
    place(root, 0);
    nextX += 0.5; // a little air between trees
  }
  const loose = g.nodes.map((n) => n.imageId).filter((id) => !adj.has(id));
  const looseRow = maxDepth + 1 + (connected.length > 0 ? 0.5 : 0);
  loose.forEach((id, i) => at.set(id, { x: i, y: looseRow }));
  const cols = Math.max(nextX, loose.length, 1);
  const rows = loose.length > 0 ? looseRow + 1 : maxDepth + 1;
  const px = (p: Placed): Placed => ({ x: MARGIN + p.x * (BOX.width + GAP.x) + BOX.width / 2, y: TITLE + MARGIN + p.y * (BOX.height + GAP.y) + BOX.height / 2 });
  for (const [id, p] of at) at.set(id, px(p));
  return {
    at,
    width: Math.ceil(2 * MARGIN + cols * (BOX.width + GAP.x)),
    height: Math.ceil(TITLE + 2 * MARGIN + Math.max(1, rows) * (BOX.height + GAP.y) + LEGEND),
  };
}

/** The graph as an SVG document. */
export function graphSvg(g: ProvenanceGraph): string {
  const { at, width, height } = layout(g);
  const composites = new Set(g.composites);
  const parts: string[] = [];
  parts.push(
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${COLOURS.directed}"/></marker></defs>`,
    `<rect width="${width}" height="${height}" fill="${COLOURS.background}"/>`,
    `<text x="${MARGIN}" y="${MARGIN + 6}" font-family="sans-serif" font-size="18" font-weight="bold" fill="${COLOURS.text}">Provenance graph: ${plural(g.nodes.length, 'image')}, ${plural(g.edges.length, 'edge')}, ${plural(g.composites.length, 'composite')}</text>`,
  );
  for (const e of g.edges) {
    const a = at.get(e.from)!;
    const b = at.get(e.to)!;
    const down = b.y >= a.y ? 1 : -1;
    const [x1, y1, x2, y2] = a.y === b.y ? [a.x + BOX.width / 2, a.y, b.x - BOX.width / 2, b.y] : [a.x, a.y + (down * BOX.height) / 2, b.x, b.y - (down * BOX.height) / 2];
    const style = e.directed ? `stroke="${COLOURS.directed}" stroke-width="2" marker-end="url(#arrow)"` : `stroke="${COLOURS.unknown}" stroke-width="2" stroke-dasharray="6 4"`;
    parts.push(`<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" ${style}><title>${escapeXml(e.reasons.join('; '))}</title></line>`);
    const text = e.directed ? `${e.inliers} inliers, ${Math.round(e.confidence * 100)}%` : `${e.inliers} inliers, direction ?`;
    parts.push(
      `<text x="${((x1 + x2) / 2 + 6).toFixed(1)}" y="${((y1 + y2) / 2 + 4).toFixed(1)}" font-family="sans-serif" font-size="11" fill="${e.directed ? COLOURS.directed : COLOURS.unknown}">${escapeXml(text)}</text>`,
    );
  }
  for (const n of g.nodes) {
    const p = at.get(n.imageId)!;
    const [fill, stroke] = n.missing ? [COLOURS.missing, COLOURS.missingStroke] : composites.has(n.imageId) ? [COLOURS.composite, COLOURS.compositeStroke] : [COLOURS.node, COLOURS.nodeStroke];
    const sub = n.missing ? 'no cached record' : composites.has(n.imageId) ? 'composite' : null;
    parts.push(
      `<g><title>${escapeXml(n.imageId)}</title><rect x="${(p.x - BOX.width / 2).toFixed(1)}" y="${(p.y - BOX.height / 2).toFixed(1)}" width="${BOX.width}" height="${BOX.height}" rx="8" fill="${fill}" stroke="${stroke}" stroke-width="2"${n.missing ? ' stroke-dasharray="4 3"' : ''}/>`,
      `<text x="${p.x.toFixed(1)}" y="${(p.y + (sub ? -2 : 5)).toFixed(1)}" text-anchor="middle" font-family="sans-serif" font-size="13" fill="${COLOURS.text}">${escapeXml(label(n.imageId))}</text>`,
      sub ? `<text x="${p.x.toFixed(1)}" y="${(p.y + 13).toFixed(1)}" text-anchor="middle" font-family="sans-serif" font-size="10" fill="${stroke}">${sub}</text>` : '',
      '</g>',
    );
  }
  const ly = height - LEGEND / 2;
  parts.push(
    `<line x1="${MARGIN}" y1="${ly}" x2="${MARGIN + 40}" y2="${ly}" stroke="${COLOURS.directed}" stroke-width="2" marker-end="url(#arrow)"/>`,
    `<text x="${MARGIN + 48}" y="${ly + 4}" font-family="sans-serif" font-size="12" fill="${COLOURS.text}">derived from (source → copy)</text>`,
    `<line x1="${MARGIN + 240}" y1="${ly}" x2="${MARGIN + 280}" y2="${ly}" stroke="${COLOURS.unknown}" stroke-width="2" stroke-dasharray="6 4"/>`,
    `<text x="${MARGIN + 288}" y="${ly + 4}" font-family="sans-serif" font-size="12" fill="${COLOURS.text}">related, direction unknown</text>`,
  );
  const scale = Math.min(1, MAX_SIDE / width, MAX_SIDE / height);
  const w = Math.max(1, Math.floor(width * scale));
  const h = Math.max(1, Math.floor(height * scale));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

/** The picture in the format asked for: SVG text or PNG bytes. */
export async function renderGraph(g: ProvenanceGraph, format: GraphPictureFormat): Promise<Buffer> {
  const svg = graphSvg(g);
  if (format === 'svg') return Buffer.from(svg);
  if (format === 'png') return sharp(Buffer.from(svg)).png().toBuffer();
  throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `graph pictures are svg or png (got ${String(format)})`, { details: { option: 'format' } });
}
