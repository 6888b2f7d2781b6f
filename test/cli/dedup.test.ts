/**
 * `featcache dedup`, run as a real process (node --import tsx src/cli/main.ts)
 * on a folder of generated textured images and their edits, against a private
 * redis-server: groups, the JSON file, the HTML report and the table.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { buildSet, EXPECTED_GROUPS } from '../provenance/set-fixture.js';

let t: TestRedis;
let dir: string;
let images: string;

const cli = (args: string[], vars: Record<string, string> = {}) => runCli(args, vars, undefined, 170_000);

const dedup = (...more: string[]) => cli(['dedup', images, '--redis', t.url, '--prefix', 'dd', '--workers', '2', ...more]);
const sortGroups = (gs: string[][]) => gs.map((g) => [...g].sort()).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));

beforeAll(async () => {
  t = await startTestRedis();
  dir = mkdtempSync(join(tmpdir(), 'featcache-dedup-'));
  images = join(dir, 'images');
  mkdirSync(images);
  for (const img of await buildSet()) writeFileSync(join(images, `${img.id}.png`), img.data);
  writeFileSync(join(images, 'broken.png'), 'not an image');
}, 60_000);
afterAll(async () => {
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('featcache dedup', () => {
  it('groups edited copies with their source and writes the JSON and the HTML report', async () => {
    const out = join(dir, 'out');
    const r = await dedup('--out', out, '--json', '--quiet');
    expect(r.code, r.stderr).toBe(1); // broken.png could not be read
    const report = JSON.parse(r.stdout);
    expect(sortGroups(report.groups)).toEqual(sortGroups(EXPECTED_GROUPS.map((g) => g.map((id) => `${id}.png`))));
    expect(report.failures).toEqual([expect.objectContaining({ file: 'broken.png' })]);
    expect(report.stats).toMatchObject({ images: 15, grouped: 13 });
    expect(JSON.parse(readFileSync(join(out, 'dedup.json'), 'utf8')).groups).toEqual(report.groups);

    const html = readFileSync(join(out, 'dedup.html'), 'utf8');
    expect(html.match(/<img src="data:image\/jpeg;base64,/g)?.length).toBe(13);
    expect(html).toContain('identical file');
    expect(html).toContain('rotated 90°');
    expect(html).not.toMatch(/src="(?!data:)/); // self-contained
    // a match picture per related pair
    expect(html.match(/<img src="data:image\/png;base64,/g)?.length).toBe(report.edges.length);
  }, 180_000);

  it('prints a table of the groups and the reasons, with progress on stderr', async () => {
    const out = join(dir, 'out2');
    const r = await dedup('--out', out, '--pictures', '0');
    expect(readFileSync(join(out, 'dedup.html'), 'utf8')).not.toContain('data:image/png');
    expect(r.stdout).toMatch(/15 images, 4 groups of related images \(13 images\)/);
    expect(r.stdout).toContain('Group 1 (');
    expect(r.stdout).toMatch(/f-copy\.png\s+f-source\.png\s+identical/);
    expect(r.stdout).toContain('failed: broken.png');
    expect(r.stderr).toMatch(/ingest: 16\/16/);
    expect(r.stderr).toMatch(/verify: \d+\/\d+ pairs/);
    expect(existsSync(join(out, 'dedup.html'))).toBe(true);
  }, 180_000);

  it('refuses a bad command line with exit code 2', async () => {
    expect((await cli(['dedup'])).code).toBe(2);
    expect((await cli(['dedup', images, '--workers', '0'])).code).toBe(2);
    const help = await cli(['dedup', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('dedup.html');
  }, 60_000);

  it('is built through the composition root: every variable of the service applies, options over them', async () => {
    const two = join(dir, 'two');
    mkdirSync(two);
    for (const f of ['f-source.png', 'f-copy.png']) copyFileSync(join(images, f), join(two, f));
    const r = await cli(['dedup', two, '--out', join(dir, 'out3'), '--json', '--quiet', '--workers', '1'], {
      REDIS_URL: t.url,
      FEATCACHE_PREFIX: 'envp',
      FEATCACHE_TTL_SECONDS: '1000',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ prefix: 'envp', groups: [expect.arrayContaining(['f-copy.png', 'f-source.png'])] });
    const [, keys] = await t.raw.scan('0', 'MATCH', 'envp:*', 'COUNT', 10_000);
    // records and their bookkeeping (the pairwise verdicts analyzeSet caches keep verifyPair's own lifetime)
    const ttls = await Promise.all(keys.filter((k) => !k.startsWith('envp:@p:')).map((k) => t.raw.ttl(k)));
    expect(ttls.some((s) => s > 0)).toBe(true);
    expect(ttls.every((s) => s <= 1100)).toBe(true); // FEATCACHE_TTL_SECONDS (+10 % jitter), not the default 30 days

    const bad = await cli(['dedup', two, '--redis', t.url], { FEATCACHE_TTL_SECONDS: 'soon' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('FEATCACHE_TTL_SECONDS');
  }, 120_000);
});
