/**
 * POST /analysis/provenance-graph on the real service (real redis-server, worker
 * pool and HTTP): a small edit history of generated images stored through
 * POST /analysis/features, answered as JSON, SVG and PNG; bad requests get a named 4xx.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHistory } from '../provenance/graph-fixture.js';
import { call, startStack, type Stack } from './stack.js';

const MAX_BATCH = 8;
const IDS = ['s', 'crop', 'crop-jpeg', 'p', 'q', 'splice', 'lone'];
let s: Stack;

beforeAll(async () => {
  s = await startStack({ FEATCACHE_MAX_BATCH: String(MAX_BATCH) });
  for (const img of (await buildHistory()).filter((i) => IDS.includes(i.id))) {
    const f = new FormData();
    f.set('image', new Blob([new Uint8Array(img.data)], { type: 'image/png' }), `${img.id}.png`);
    f.set('image_id', img.id);
    expect((await call(s.url, '/analysis/features', { raw: f })).status).toBe(200);
  }
}, 180_000);
afterAll(async () => {
  await s?.stop();
});

const post = (query: string, json: unknown) =>
  fetch(`${s.url}/analysis/provenance-graph${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) });

describe('POST /analysis/provenance-graph', () => {
  it('answers the graph as JSON: directed edges, "direction unknown", the composite, missing IDs', async () => {
    const r = await call(s.url, '/analysis/provenance-graph', { json: { image_ids: [...IDS, 'unknown'] } });
    expect(r.status).toBe(200);
    expect(r.body.success).toBe(true);
    expect(r.body.nodes.at(-1)).toEqual({ image_id: 'unknown', missing: true });
    expect(r.body.composites).toEqual(['splice']);
    const pairs = r.body.edges.map((e: { from: string; to: string; directed: boolean }) => `${e.from}${e.directed ? '->' : '--'}${e.to}`).sort();
    expect(pairs).toEqual(['crop--crop-jpeg', 'p->splice', 'q->splice', 's->crop']);
    const unknown = r.body.edges.find((e: { from: string }) => e.from === 'crop');
    expect(unknown.reasons[0]).toMatch(/^direction unknown: /);
  });

  it('draws the graph as SVG and as PNG', async () => {
    const svg = await post('?render=svg', { image_ids: IDS });
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toContain('image/svg+xml');
    const text = await svg.text();
    expect(text).toMatch(/^<svg /);
    expect(text).toContain('>composite<');
    expect(text).toContain('marker-end="url(#arrow)"'); // directed edges
    expect(text).toContain('stroke-dasharray="6 4"'); // direction unknown
    const png = await post('?render=png', { image_ids: IDS });
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    const meta = await sharp(Buffer.from(await png.arrayBuffer())).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(300);
  });

  it('refuses bad requests with a named 4xx', async () => {
    const tooMany = Array.from({ length: MAX_BATCH + 1 }, (_, i) => `id-${i}`);
    const cases: Array<[string, unknown, number, string, RegExp]> = [
      ['', { image_ids: tooMany }, 413, 'BATCH_TOO_LARGE', /image_ids/],
      ['', { image_ids: [] }, 400, 'INVALID_REQUEST', /image_ids/],
      ['', {}, 400, 'INVALID_REQUEST', /image_ids/],
      ['', { image_ids: ['ok', ''] }, 400, 'INVALID_IMAGE_ID', /image/],
      ['?render=gif', { image_ids: ['s'] }, 400, 'INVALID_REQUEST', /render/],
    ];
    for (const [query, json, status, code, message] of cases) {
      const r = await call(s.url, `/analysis/provenance-graph${query}`, { json });
      expect(r.status, `${query} ${JSON.stringify(json).slice(0, 60)}`).toBe(status);
      expect(r.body).toMatchObject({ success: false, error: { code } });
      expect(r.body.error.message).toMatch(message);
    }
  });
});
