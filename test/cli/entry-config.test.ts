/**
 * Every command is configured the way the service is (src/backend.ts): the
 * reproductions of issue 12 against `featcache ingest`, run as real processes.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/redis/redis-process.js';
import { runCli } from '../helpers/cli.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

let t: TestRedis;
let dir: string;

beforeAll(async () => {
  t = await startTestRedis();
  dir = mkdtempSync(join(tmpdir(), 'featcache-entry-'));
  const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 100, sigma: 40 } } })
    .png()
    .toBuffer();
  writeFileSync(join(dir, 'one.png'), png);
}, 60_000);

afterAll(async () => {
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('featcache ingest reads the configuration the service reads', { timeout: 120_000 }, () => {
  it('honours REDIS_USERNAME / REDIS_PASSWORD, FEATCACHE_TTL_SECONDS, and does not care about HOST', async () => {
    // only an ACL user may connect: the command must use the credentials of the environment
    await t.raw.call('ACL', 'SETUSER', 'ingester', 'on', '>s3cret', '~*', '&*', '+@all');
    await t.raw.call('ACL', 'SETUSER', 'default', 'off');
    const r = await runCli(['ingest', dir, '--json', '--quiet'], {
      REDIS_URL: t.url,
      REDIS_USERNAME: 'ingester',
      REDIS_PASSWORD: 's3cret',
      FEATCACHE_PREFIX: 'acl',
      FEATCACHE_TTL_SECONDS: '600',
      FEATCACHE_TRACK_EXPIRY: 'false',
      HOST: '0.0.0.0', // the service's listen rule (no keys) is not the ingest's business
    });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const summary = JSON.parse(r.stdout) as { written: number; feature_version: string };
    expect(summary.written).toBe(1);
    const user = new Redis(t.port, '127.0.0.1', { username: 'ingester', password: 's3cret', maxRetriesPerRequest: 1 });
    try {
      const ttl = await user.ttl(`acl:${summary.feature_version}:one.png`);
      expect(ttl).toBeGreaterThan(500); // 600 s +/- 10 % jitter, not the 30-day default
      expect(ttl).toBeLessThanOrEqual(660);
    } finally {
      await user.call('ACL', 'SETUSER', 'default', 'on');
      user.disconnect();
    }
  });

  it('with only REDIS_SENTINELS set it uses the Sentinels (and fails when they are down) instead of starting an embedded Redis', async () => {
    const data = join(dir, 'embedded-data');
    const r = await runCli(['ingest', dir, '--quiet'], {
      REDIS_SENTINELS: `127.0.0.1:${await freePort()}`,
      FEATCACHE_DATA_DIR: data,
      FEATCACHE_CONNECT_TIMEOUT_MS: '300',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/REDIS_UNAVAILABLE/);
    expect(existsSync(data)).toBe(false);
  });

  it('an invalid variable is a configuration error naming it (exit 2)', async () => {
    const r = await runCli(['ingest', dir], { REDIS_URL: t.url, FEATCACHE_TTL_SECONDS: 'forever' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('FEATCACHE_TTL_SECONDS');
  });
});
