/** featcache/server embedded in another Hono app and in a plain node:http server (docs/HTTP.md, "Embedding the service"). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceApp, loadConfig, type ServiceApp } from '../../src/service.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

let t: TestRedis;
let service: ServiceApp;

beforeAll(async () => {
  t = await startTestRedis();
  service = await createServiceApp(loadConfig({ REDIS_URL: t.url, LOG_LEVEL: 'silent', FEATCACHE_PREFIX: 'embed' }));
}, 60_000);

afterAll(async () => {
  await service.close();
  await t.stop();
});

describe('createServiceApp', () => {
  it('mounts under a path of an existing Hono app, next to its own routes', async () => {
    const outer = new Hono();
    outer.get('/', (c) => c.text('the host app'));
    outer.route('/features', service.app.hono);
    const put = await outer.request('/features/analysis/cache/image/e-1', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ features: { n: 1 } }),
    });
    expect(put.status).toBe(200);
    const got = await outer.request('/features/analysis/cache/image/e-1');
    expect(await got.json()).toMatchObject({ success: true, image_id: 'e-1', features: { n: 1 }, source: 'stored' });
    expect(await (await outer.request('/')).text()).toBe('the host app');
    expect(await t.raw.exists('embed:1.0:e-1')).toBe(1);
  });

  it('serves as a node:http request listener', async () => {
    const listener = getRequestListener(service.app.fetch);
    const server = createServer((req, res) => void listener(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const r = await fetch(`http://127.0.0.1:${port}/analysis/cache/image/e-1`);
      expect(r.status).toBe(200);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
