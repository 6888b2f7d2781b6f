/**
 * `featcache trace`, run as a real process on generated textured images
 * ingested with FEATCACHE_PROVENANCE_INDEX=true into a private redis-server:
 * the table, --json, --id, and the errors.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { texturedImage } from '../../bench/provenance/textures.js';
import { runCli } from '../helpers/cli.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

let t: TestRedis;
let dir: string;
const env = () => ({ FEATCACHE_PROVENANCE_INDEX: 'true', FEATCACHE_EXPECTED_IMAGES: '1000' });

const cli = (args: string[], vars: Record<string, string> = {}) => runCli(args, vars, undefined, 120_000);

const common = () => ['--redis', t.url, '--prefix', 'tr'];

beforeAll(async () => {
  t = await startTestRedis();
  dir = mkdtempSync(join(tmpdir(), 'featcache-trace-'));
  const lib = join(dir, 'library');
  mkdirSync(lib);
  const images = await Promise.all([0, 1, 2].map((i) => texturedImage(800 + i)));
  images.forEach((img, i) => writeFileSync(join(lib, `photo-${i}.png`), img));
  writeFileSync(join(dir, 'crop.png'), await sharp(images[1]).extract({ left: 100, top: 50, width: 420, height: 330 }).png().toBuffer());
  const r = await cli(['ingest', lib, ...common(), '--workers', '2', '--quiet'], env());
  expect(r.code, r.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('featcache trace', () => {
  it('prints a table with the verified source of a cropped file', async () => {
    const r = await cli(['trace', join(dir, 'crop.png'), ...common()], env());
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toContain('crop.png');
    expect(lines.find((l) => l.startsWith('1 '))).toMatch(/^1\s+photo-1\.png\s+host\s+\d+\s+derived\s+\d+\s+cropped/);
  }, 60_000);

  it('--json and --id: the same search by a cached image', async () => {
    const r = await cli(['trace', '--id', 'photo-0.png', '--json', '--limit', '3', ...common()], env());
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.candidates.map((c: { imageId: string }) => c.imageId)).not.toContain('photo-0.png');
    expect(result.timings_ms.total).toBeGreaterThan(0);
  }, 60_000);

  it('errors: an unknown image and the index off exit 1', async () => {
    const unknown = await cli(['trace', '--id', 'nobody', ...common()], env());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/nobody/);
    const off = await cli(['trace', '--id', 'photo-0.png', ...common()], { FEATCACHE_EXPECTED_IMAGES: '1000' });
    expect(off.code).toBe(1);
    expect(off.stderr).toMatch(/provenanceIndex|provenance/i);
  }, 90_000);
});
