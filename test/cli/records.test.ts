/**
 * `featcache get | export | import | search | compare`, run as real processes
 * against a private redis-server, on records written by `featcache ingest`
 * (extracted) and by the library (stored).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractionFeatureVersion } from '../../src/features/extractors.js';
import { createFeatureCache } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

let t: TestRedis;
let dir: string;
let env: Record<string, string>;
const embedding = new Float32Array([0.5, -1.25, 3.0625]);
/** -0 as a plain number and in a plain array (a stock msgpack encoder writes it as int 0). */
const signed = { offset: -0, bounds: [-0, 1] };

/** The records of a JSON Lines output. */
const lines = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { image_id: string; source: string; features: Record<string, unknown> });

beforeAll(async () => {
  t = await startTestRedis();
  env = { REDIS_URL: t.url, FEATCACHE_PREFIX: 'rec', FEATCACHE_TRACK_EXPIRY: 'false' };
  dir = mkdtempSync(join(tmpdir(), 'featcache-records-'));
  const base = await sharp({ create: { width: 96, height: 64, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 120, sigma: 60 } } })
    .png()
    .toBuffer();
  writeFileSync(join(dir, 'a.png'), base);
  writeFileSync(join(dir, 'b.png'), await sharp(base).blur(0.6).png().toBuffer()); // a near duplicate
  const ingest = await runCli(['ingest', dir, '--quiet', '--json'], env);
  expect(ingest.code).toBe(0);
  const stored = await createFeatureCache({ redis: t.url, prefix: 'rec', trackExpiry: false });
  await stored.set('a.png', { label: 'mine', embedding, ...signed });
  await stored.close();
}, 90_000);

afterAll(async () => {
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('featcache get, export, import, search, compare', { timeout: 120_000 }, () => {
  it('get prints stored and extracted records, each with its source, and lists the misses', async () => {
    const any = await runCli(['get', 'a.png', 'b.png', 'nowhere.png'], env);
    expect(any.code).toBe(1);
    expect(lines(any.stdout).map((r) => [r.image_id, r.source])).toEqual([
      ['a.png', 'stored'],
      ['b.png', 'extracted'],
    ]);
    expect(any.stderr).toContain('nowhere.png');
    const extracted = await runCli(['get', 'a.png', '--source', 'extracted', '--types', 'phash'], env);
    expect(extracted.code).toBe(0);
    expect(lines(extracted.stdout)).toEqual([expect.objectContaining({ image_id: 'a.png', source: 'extracted', features: { phash: expect.stringMatching(/^[0-9a-f]{16}$/) } })]);
  });

  it('export -> import (msgpack) copies every record of both sources exactly, typed arrays and -0 included', async () => {
    const file = join(dir, 'all.msgpack');
    const exported = await runCli(['export', '--format', 'msgpack', '-o', file], env);
    expect({ code: exported.code, stderr: exported.stderr }).toEqual({ code: 0, stderr: 'featcache export: 1 stored and 2 extracted records (msgpack)\n' });
    const imported = await runCli(['import', file, '--format', 'msgpack'], { ...env, FEATCACHE_PREFIX: 'copy' });
    expect(imported.code).toBe(0);
    expect(imported.stderr).toBe('featcache import: 1 stored and 2 extracted records written\n');
    const copy = await createFeatureCache({ redis: t.url, prefix: 'copy', trackExpiry: false });
    const original = await createFeatureCache({ redis: t.url, prefix: 'rec', featureVersion: extractionFeatureVersion('1.0'), trackExpiry: false });
    try {
      const stored = await copy.get('a.png');
      expect(stored?.features.embedding).toBeInstanceOf(Float32Array);
      expect(stored?.features).toEqual({ label: 'mine', embedding, ...signed });
      expect([stored?.features.offset, (stored?.features.bounds as number[] | undefined)?.[0]].map((v) => Object.is(v, -0))).toEqual([true, true]);
      const view = await copy.withVersion(extractionFeatureVersion('1.0'));
      const [a, b] = await view.getMany(['a.png', 'b.png']);
      const [oa, ob] = await original.getMany(['a.png', 'b.png']);
      expect(a?.features).toEqual(oa?.features);
      expect(b?.features).toEqual(ob?.features);
    } finally {
      await copy.close();
      await original.close();
    }
  });

  it('export as JSON Lines to stdout, of one source; import reads stdin', async () => {
    const r = await runCli(['export', '--source', 'extracted'], env);
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((x) => `${x.image_id}:${x.source}`).sort()).toEqual(['a.png:extracted', 'b.png:extracted']);
    const back = await runCli(['import', '--source', 'stored'], { ...env, FEATCACHE_PREFIX: 'json' }, r.stdout);
    expect(back.stderr).toBe('featcache import: 2 stored and 0 extracted records written\n');
    const bad = await runCli(['import'], { ...env, FEATCACHE_PREFIX: 'json' }, '{"image_id":"x","features":{}}\nnot json\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/line 2: not JSON/);
  });

  it('search finds the near duplicate of an image file and of a cached ID; compare lists the pair', async () => {
    const byFile = await runCli(['search', join(dir, 'a.png'), '--max-distance', '12'], env);
    expect(byFile.code).toBe(0);
    const found = JSON.parse(byFile.stdout) as { source: string; neighbors: Array<{ imageId: string; distance: number }> };
    expect(found.source).toBe('extracted');
    expect(found.neighbors.map((n) => n.imageId)).toEqual(expect.arrayContaining(['a.png', 'b.png']));
    expect(found.neighbors.find((n) => n.imageId === 'a.png')?.distance).toBe(0);
    const compare = await runCli(['compare', 'a.png', 'b.png', 'nowhere.png', '--max-distance', '64'], env);
    expect(compare.code).toBe(0);
    expect(JSON.parse(compare.stdout)).toMatchObject({ source: 'extracted', pairs: [{ a: 'a.png', b: 'b.png' }], missing: ['nowhere.png'] });
    const usage = await runCli(['search', '--id', 'a.png', '--phash', '0123456789abcdef'], env);
    expect(usage.code).toBe(2);
  });
});
