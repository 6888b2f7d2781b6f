/** One rule per input: the library, the HTTP schemas and the config refuse the same values with the same words. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertImageId } from '../../src/cache/validate.js';
import { ConfigError, loadBackendConfig } from '../../src/config.js';
import { extractionFeatureVersion } from '../../src/features/extractors.js';
import { buildSchemas } from '../../src/http/schemas.js';
import { createFeatureCache } from '../../src/index.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

/** The message a failing call throws. */
async function messageOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a failure');
}

describe('prefix and feature version', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await startTestRedis();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('a trailing ":" on the prefix is the separator: "myapp:" and "myapp" name the same keys', async () => {
    const a = await createFeatureCache({ redis: t.url, prefix: 'myapp:', trackExpiry: false });
    const b = await createFeatureCache({ redis: t.url, prefix: 'myapp', trackExpiry: false });
    try {
      expect(a.prefix).toBe('myapp');
      await a.set('img-1', { phash: 'ba8c84536bd3c366' });
      expect(await t.raw.exists('myapp:1.0:img-1')).toBe(1);
      expect(await t.raw.exists('myapp::1.0:img-1')).toBe(0);
      expect((await b.get('img-1'))?.features).toEqual({ phash: 'ba8c84536bd3c366' });
    } finally {
      await a.close();
      await b.close();
    }
    expect(loadBackendConfig({ FEATCACHE_PREFIX: 'myapp:' }).cache.prefix).toBe('myapp');
  });

  it('any other ":" (and "::", ":" alone) is refused by the library and the config with the same message', async () => {
    for (const bad of ['my:app', 'myapp::', ':', 'a b', 'x'.repeat(257)]) {
      const library = await messageOf(() => createFeatureCache({ prefix: bad }));
      const config = await messageOf(() => loadBackendConfig({ FEATCACHE_PREFIX: bad }));
      expect(library).toMatch(/^invalid option prefix: prefix must be 1-256 letters, digits or \. _ \+ -/);
      expect(config).toBe(`FEATCACHE_PREFIX: ${library.slice('invalid option prefix: '.length)}`);
    }
  });

  it('the config accepts every version the library accepts (the config used to refuse "+" and 65-128 characters)', () => {
    for (const good of ['1.0+exp', 'v'.repeat(256)]) expect(loadBackendConfig({ FEATCACHE_FEATURE_VERSION: good }).cache.featureVersion).toBe(good);
    expect(() => loadBackendConfig({ FEATCACHE_FEATURE_VERSION: 'v'.repeat(257) })).toThrow(ConfigError);
    expect(() => extractionFeatureVersion('2.0:beta')).toThrow(/must be 1-256 letters, digits or \. _ \+ -/);
  });
});

describe('image IDs and group names', () => {
  it('the HTTP schema refuses with the library message', async () => {
    const schemas = buildSchemas({ maxBatch: 10, maxImageIdBytes: 8 });
    for (const bad of ['', 'x'.repeat(9), 'é'.repeat(5), 'a\u0007b']) {
      const http = schemas.imageId.safeParse(bad);
      expect(http.success).toBe(false);
      expect(http.error?.issues[0]?.message).toBe(await messageOf(() => assertImageId(bad, 8)));
    }
    expect(schemas.imageId.safeParse('é'.repeat(4)).success).toBe(true);
  });
});
