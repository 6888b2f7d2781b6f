/**
 * `featcache ingest`, run as a real process (node --import tsx src/cli/main.ts)
 * on temporary folders of images made by sharp, against a private redis-server.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractFeatures } from '../../src/features/index.js';
import { extractionFeatureVersion } from '../../src/features/extractors.js';
import { createFeatureCache } from '../../src/index.js';
import type { FeatureCache } from '../../src/types.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

const PREFIX = 'clitest';

type Run = CliRun;

let t: TestRedis;
let cache: FeatureCache;
let dir: string;
let good: string;
let mixed: string;

const cli = (args: string[], env: Record<string, string> = {}): Promise<Run> => runCli(args, env);

const ingest = (source: string, ...more: string[]) => cli(['ingest', source, '--redis', t.url, '--prefix', PREFIX, ...more]);

interface Summary {
  success: boolean;
  total: number;
  processed: number;
  extracted: number;
  cached: number;
  duplicates: number;
  failed: number;
  written: number;
  id_mode: string;
  feature_version: string;
  failures: Array<{ file: string; code: string; reason: string; image_id?: string }>;
}
const json = (r: Run) => JSON.parse(r.stdout) as Summary;

beforeAll(async () => {
  t = await startTestRedis();
  cache = await createFeatureCache({ redis: t.url, prefix: PREFIX, featureVersion: extractionFeatureVersion('1.0'), trackExpiry: false });
  dir = mkdtempSync(join(tmpdir(), 'featcache-cli-'));
  good = join(dir, 'good');
  mixed = join(dir, 'mixed');
  mkdirSync(join(good, 'sub', 'deeper'), { recursive: true });
  mkdirSync(mixed);

  const base = (seed: number) =>
    sharp({ create: { width: 160 + seed * 8, height: 120, channels: 3, background: '#000000', noise: { type: 'gaussian', mean: 60 + seed * 30, sigma: 50 } } })
      .png()
      .toBuffer();
  writeFileSync(join(good, 'a.jpg'), await sharp(await base(1)).blur(2).jpeg().toBuffer());
  writeFileSync(join(good, 'b.png'), await sharp(await base(2)).blur(2).png().toBuffer());
  writeFileSync(join(good, 'sub', 'c.webp'), await sharp(await base(3)).blur(2).webp().toBuffer());
  writeFileSync(join(good, 'sub', 'deeper', 'D.JPEG'), await sharp(await base(4)).blur(2).jpeg().toBuffer());
  writeFileSync(join(good, 'notes.txt'), 'not an image, and not named like one');

  copyFileSync(join(good, 'b.png'), join(mixed, 'ok.png'));
  const jpeg = readFileSync(join(good, 'a.jpg'));
  writeFileSync(join(mixed, 'corrupt.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  writeFileSync(join(mixed, 'text.jpg'), 'hello, I am text with an image extension');
});

afterAll(async () => {
  await cache.close();
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

// each case starts real CLI processes (~1-3 s each on a loaded 2-core machine)
describe('featcache ingest', { timeout: 120_000 }, () => {
  it('extracts every image of a folder (ids = relative posix paths) and a re-run only hits the cache', async () => {
    const first = await ingest(good);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/extracted {3}4 \(written 4\)/);
    expect(first.stdout).toMatch(/cached {6}0/);
    expect(first.stdout).toMatch(/failed {6}0/);
    expect(first.stderr).toContain('ingest: 4/4 (100%)'); // plain progress lines when not a TTY

    const ids = ['a.jpg', 'b.png', 'sub/c.webp', 'sub/deeper/D.JPEG'];
    const records = await cache.getMany(ids);
    for (const [i, id] of ids.entries()) {
      expect(records[i]?.features, id).toEqual(await extractFeatures(join(good, id)));
    }

    // indexed for similarity search as the service would (its default FEATCACHE_SIMILARITY=true)
    const [, indexKeys] = await t.raw.scan('0', 'MATCH', `${PREFIX}:@x:*`, 'COUNT', 10_000);
    expect(indexKeys.length).toBeGreaterThan(0);

    const again = await ingest(good, '--json');
    expect(again.code).toBe(0);
    expect(json(again)).toMatchObject({ success: true, total: 4, processed: 4, extracted: 0, cached: 4, failed: 0, written: 0, failures: [] });
    expect(json(again).feature_version).toBe(extractionFeatureVersion('1.0'));
  });

  it('reports failing files with their reasons, goes on with the rest, and exits 1', async () => {
    const r = await ingest(mixed, '--json');
    expect(r.code).toBe(1);
    const s = json(r);
    expect(s).toMatchObject({ success: false, total: 3, processed: 3, extracted: 1, failed: 2 });
    expect(s.failures.map((f) => [f.file, f.code])).toEqual([
      ['corrupt.jpg', 'INVALID_IMAGE'],
      ['text.jpg', 'INVALID_IMAGE'],
    ]);
    // libvips names the fault "premature end of JPEG" or, on some runs, "Unknown error":
    // the service's own wording is the stable part
    expect(s.failures[0]!.reason).toMatch(/truncated or corrupt|premature end of JPEG/i);
    expect(s.failures[1]!.reason).toMatch(/unsupported image format/i);
    expect(await cache.get('ok.png')).not.toBeNull();
    expect(await cache.get('corrupt.jpg')).toBeNull();

    const text = await ingest(mixed);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/corrupt\.jpg: INVALID_IMAGE: .*premature end of JPEG/i);
    expect(text.stdout).toMatch(/cached {6}1/);
  });

  it('uses sha256 content ids with --id content-hash, once per distinct content', async () => {
    const copies = join(dir, 'copies');
    mkdirSync(copies);
    copyFileSync(join(good, 'a.jpg'), join(copies, 'one.jpg'));
    copyFileSync(join(good, 'a.jpg'), join(copies, 'two.jpg'));
    copyFileSync(join(good, 'b.png'), join(copies, 'three.png'));
    const r = await ingest(copies, '--id', 'content-hash', '--json');
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ id_mode: 'content-hash', total: 3, extracted: 2, duplicates: 1, failed: 0 });
    const sha = createHash('sha256').update(readFileSync(join(good, 'a.jpg'))).digest('hex');
    expect((await cache.get(sha))?.features).toEqual(await extractFeatures(join(good, 'a.jpg')));

    const again = await ingest(copies, '--id', 'content-hash', '--json');
    expect(json(again)).toMatchObject({ extracted: 0, cached: 2, duplicates: 1 });
  });

  it('takes a glob, with ids relative to its static prefix', async () => {
    const r = await ingest(`${good}/sub/**/*.{webp,JPEG}`, '--json', '--prefix', 'globbed');
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ total: 2, extracted: 2 });
    const other = await createFeatureCache({ redis: t.url, prefix: 'globbed', featureVersion: extractionFeatureVersion('1.0'), trackExpiry: false });
    try {
      expect((await other.getMany(['c.webp', 'deeper/D.JPEG'])).every((x) => x !== null)).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('writes under the feature version named by --feature-version', async () => {
    const r = await ingest(good, '--json', '--feature-version', '2.0');
    expect(json(r)).toMatchObject({ extracted: 4, cached: 0, feature_version: extractionFeatureVersion('2.0') });
  });

  it('exits 2 on usage errors and 1 when nothing matches', async () => {
    const usage = [
      ['ingest'],
      ['ingest', good, '--id', 'uuid'],
      ['ingest', good, '--concurrency', '0'],
      ['ingest', good, '--bogus'],
      ['ingest', join(dir, 'does-not-exist')],
      ['nosuchcommand'],
    ];
    const runs = await Promise.all(usage.map((args) => cli(args)));
    for (const [i, r] of runs.entries()) {
      expect({ args: usage[i], code: r.code }).toEqual({ args: usage[i], code: 2 });
      expect(r.stderr.length).toBeGreaterThan(0);
    }
    const none = await ingest(`${dir}/**/*.gif`);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no image files/);
  });

  it('prints help for the CLI and for each command', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const name of ['serve', 'ingest', 'get', 'export', 'import', 'search', 'compare', 'redis']) expect(top.stdout).toContain(name);
    expect(top.stdout).not.toMatch(/\bbench\b/); // benchmarks are npm scripts of the checkout, not the published CLI
    const help = await cli(['ingest', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--id <path\|content-hash>/);
    expect(help.stdout).toMatch(/1 some file failed/);
    const names = ['serve', 'get', 'export', 'import', 'search', 'compare', 'redis'];
    const runs = await Promise.all(names.map((name) => cli([name, '--help'])));
    for (const [i, r] of runs.entries()) {
      const name = names[i]!;
      expect({ name, code: r.code, usage: r.stdout.startsWith(`Usage: featcache ${name}`) }).toEqual({ name, code: 0, usage: true });
    }
  });
});
