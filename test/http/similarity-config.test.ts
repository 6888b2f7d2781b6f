/**
 * The similarity switches and the extraction version on the real service:
 * FEATCACHE_SIMILARITY_STORED=true indexes user-stored records,
 * FEATCACHE_SIMILARITY=false turns the extracted index off, and the service
 * reads the records `featcache ingest` writes (the same extraction version).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { extractFeatures } from '../../src/features/index.js';
import { startServer } from '../../src/server.js';
import { nearDuplicate, scene } from './images.js';
import { call, startStack, type Stack } from './stack.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

let s: Stack;
let original: Buffer;
let phash: string;

beforeAll(async () => {
  s = await startStack({ FEATCACHE_SIMILARITY: 'false', FEATCACHE_SIMILARITY_STORED: 'true', FEATCACHE_EXPECTED_IMAGES: '5000', FEATCACHE_EXTRACT_WORKERS: '1' });
  original = await scene(11);
  ({ phash } = await extractFeatures(original));
});

afterAll(async () => {
  await s?.stop();
});

describe('FEATCACHE_SIMILARITY_STORED=true, FEATCACHE_SIMILARITY=false', () => {
  it('searches user-stored records with source "stored"', async () => {
    const near = phash.slice(0, 15) + (phash.endsWith('f') ? 'e' : 'f');
    await call(s.url, '/analysis/cache/batch-set', {
      json: {
        items: [
          { image_id: 'u-1', features: { phash } },
          { image_id: 'u-2', features: { phash: near, label: 'near' } },
          { image_id: 'u-3', features: { phash: (~BigInt(`0x${phash}`) & 0xffffffffffffffffn).toString(16).padStart(16, '0') } },
        ],
      },
    });
    const r = await call(s.url, '/analysis/similar', { json: { image_id: 'u-1', source: 'stored', with_features: true } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ source: 'stored', field: 'phash', hash: phash });
    expect(r.body.neighbors).toEqual([{ image_id: 'u-2', distance: expect.any(Number), hash: near, features: { phash: near, label: 'near' } }]);
    // an uploaded image is searched against the stored records too, by its extracted phash
    const up = await call(s.url, '/analysis/similar?source=stored&include_self=true', {
      raw: new Uint8Array(await nearDuplicate(original)),
      headers: { 'content-type': 'image/jpeg' },
    });
    expect(up.status).toBe(200);
    expect(up.body.neighbors.map((n: { image_id: string }) => n.image_id)).toEqual(expect.arrayContaining(['u-1', 'u-2']));
  });

  it('the extracted index is off: 400 SIMILARITY_NOT_ENABLED naming the variable, while extraction and compare still work', async () => {
    const r = await call(s.url, '/analysis/similar', { json: { phash } });
    expect([r.status, r.body.error?.code]).toEqual([400, 'SIMILARITY_NOT_ENABLED']);
    expect(r.body.error.message).toContain('FEATCACHE_SIMILARITY');
    const f = await call(s.url, '/analysis/features?image_id=x-1', { raw: new Uint8Array(original), headers: { 'content-type': 'image/png' } });
    expect(f.status).toBe(200);
    const c = await call(s.url, '/analysis/compare', { json: { image_ids: ['x-1'] } });
    expect(c.body).toMatchObject({ success: true, compared: 1, pairs: [] });
  });
});

describe('index layout', () => {
  it('a service configured for another FEATCACHE_EXPECTED_IMAGES refuses to start on the same index, naming the variable', async () => {
    const config = loadConfig({
      REDIS_URL: s.redis.url,
      PORT: '0',
      LOG_LEVEL: 'silent',
      FEATCACHE_SIMILARITY: 'false',
      FEATCACHE_SIMILARITY_STORED: 'true',
      FEATCACHE_EXPECTED_IMAGES: '100000000',
    });
    await expect(startServer(config)).rejects.toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringContaining('FEATCACHE_EXPECTED_IMAGES=100000000') });
  });
});

describe('featcache ingest and the service', () => {
  it('the service answers from the records the CLI extracted (same extraction version)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'featcache-ingest-http-'));
    try {
      writeFileSync(join(dir, 'a.png'), original);
      writeFileSync(join(dir, 'b.png'), await scene(12));
      const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'ingest', dir, '--redis', s.redis.url, '--quiet', '--json', '--workers', '1'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status, run.stderr).toBe(0);
      const f = await call(s.url, '/analysis/features?image_id=a.png', { raw: new Uint8Array(original), headers: { 'content-type': 'image/png' } });
      expect(f.body).toMatchObject({ success: true, image_id: 'a.png', cached: true });
      expect(f.body.features.phash).toBe(phash);
      const c = await call(s.url, '/analysis/compare', { json: { image_ids: ['a.png', 'b.png'], max_distance: 64 } });
      expect(c.body).toMatchObject({ compared: 2, missing: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('POST /analysis/cache/cleanup and the extraction version', () => {
  // cleanup() of the stored cache must not treat the extraction view's version as stale
  it('keeps the extracted records and their index', async () => {
    const image = await scene(21);
    const put = await call(s.url, '/analysis/features?image_id=keep-me', { raw: new Uint8Array(image), headers: { 'content-type': 'image/png' } });
    expect(put.body.cached).toBe(false);
    expect((await call(s.url, '/analysis/cache/cleanup', { method: 'POST' })).status).toBe(200);
    const again = await call(s.url, '/analysis/features?image_id=keep-me', { raw: new Uint8Array(image), headers: { 'content-type': 'image/png' } });
    expect(again.body.cached).toBe(true);
  });
});
