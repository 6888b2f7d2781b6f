/**
 * The HTTP scenarios: what each one sends, how many connections, and how many
 * images one request carries (to count images per second for batch scenarios).
 * Bodies are built once, before the clock starts.
 */
import type { Request } from 'autocannon';
import { encodeMsgpack } from '../../src/http/msgpack.js';
import { seedPayload } from '../lib/payloads.js';

export interface Scenario {
  /** Stable key used in results and the target table. */
  key: string;
  title: string;
  connections: number;
  imagesPerRequest: number;
  requests: Request[];
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** The ID of the i-th preloaded image (seed-style: user_000001_img_000042). */
export function imageId(i: number): string {
  return `user_${String(i % 1000).padStart(6, '0')}_img_${String(i).padStart(6, '0')}`;
}

/** Request bodies to preload `count` seed-payload images, `per` per batch-set request. */
export function preloadBodies(count: number, per = 500): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i += per) {
    const items = [];
    for (let k = i; k < Math.min(count, i + per); k++) items.push({ image_id: imageId(k), features: seedPayload() });
    out.push(JSON.stringify({ items }));
  }
  return out;
}

/** Every throughput scenario, over `keyspace` preloaded images. */
export function buildScenarios(keyspace: number): Scenario[] {
  const getPaths = Array.from({ length: 2000 }, (_, i) => `/analysis/cache/image/${imageId((i * 7919) % keyspace)}`);
  const putBodies = Array.from({ length: 500 }, (_, i) => ({ path: `/analysis/cache/image/${imageId((i * 104729) % keyspace)}`, body: JSON.stringify({ features: seedPayload() }) }));
  const batchIds = Array.from({ length: 200 }, (_, b) => Array.from({ length: 100 }, (_, k) => imageId((b * 100 + k) % keyspace)));
  const batchGetJson = batchIds.map((ids) => JSON.stringify({ image_ids: ids }));
  const batchSetBodies = Array.from({ length: 100 }, (_, b) =>
    JSON.stringify({ items: Array.from({ length: 100 }, (_, k) => ({ image_id: imageId((b * 100 + k) % keyspace), features: seedPayload() })) }),
  );
  const get = (path: string): Request => ({ method: 'GET', path });
  const put = (p: { path: string; body: string }): Request => ({ method: 'PUT', path: p.path, headers: JSON_HEADERS, body: p.body });
  const mixed: Request[] = [];
  for (let i = 0; i < 1000; i++) mixed.push(i % 10 < 7 ? get(getPaths[i % getPaths.length]!) : put(putBodies[i % putBodies.length]!));

  return [
    { key: 'put_single', title: 'single write (PUT one image)', connections: 50, imagesPerRequest: 1, requests: putBodies.map(put) },
    {
      key: 'batch_set_100',
      title: 'batch write (100 per request, JSON)',
      connections: 16,
      imagesPerRequest: 100,
      requests: batchSetBodies.map((body) => ({ method: 'POST', path: '/analysis/cache/batch-set', headers: JSON_HEADERS, body })),
    },
    { key: 'get_single', title: 'single read, hits (GET one image)', connections: 50, imagesPerRequest: 1, requests: getPaths.map(get) },
    {
      key: 'batch_get_json_100',
      title: 'batch read (100 ids, JSON answer)',
      connections: 16,
      imagesPerRequest: 100,
      requests: batchGetJson.map((body) => ({ method: 'POST', path: '/analysis/cache/batch-get', headers: JSON_HEADERS, body })),
    },
    {
      key: 'batch_get_msgpack_100',
      title: 'batch read (100 ids, msgpack request and answer)',
      connections: 16,
      imagesPerRequest: 100,
      requests: batchIds.map((ids) => ({
        method: 'POST',
        path: '/analysis/cache/batch-get',
        headers: { 'content-type': 'application/msgpack', accept: 'application/msgpack' },
        body: Buffer.from(encodeMsgpack({ image_ids: ids })),
      })),
    },
    { key: 'mixed_70_30', title: 'mixed 70% GET / 30% PUT, 50 users', connections: 50, imagesPerRequest: 1, requests: mixed },
  ];
}

/** The read load that runs while /analysis/cache/stats is sampled. */
export function statsScenario(keyspace: number): { readLoad: Scenario; stats: Request[] } {
  const read = buildScenarios(keyspace).find((s) => s.key === 'get_single')!;
  return { readLoad: { ...read, key: 'stats_under_read_load', title: 'GET /analysis/cache/stats under the single-read load' }, stats: [{ method: 'GET', path: '/analysis/cache/stats' }] };
}
