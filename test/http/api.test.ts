/** Every endpoint's happy path and response shape, over real HTTP against real Redis. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startStack, type Stack } from './stack.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s?.stop();
});

const features = { phash: 'f0e1d2c3b4a59687', fast: { keypoints: 120, scores: [0.5, 0.25] }, embedding: [0.5, -1.25, 3] };

describe('image routes', () => {
  it('PUT then GET returns the record in the snake_case shape', async () => {
    const put = await call(s.url, '/analysis/cache/image/img-1', { method: 'PUT', json: { features, groups: ['project-a'] } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ success: true, image_id: 'img-1', version: '1.0' });

    const get = await call(s.url, '/analysis/cache/image/img-1');
    expect(get.status).toBe(200);
    expect(get.body).toEqual({ success: true, image_id: 'img-1', version: '1.0', features, created_at: expect.any(String), source: 'stored' });
    expect(new Date(get.body.created_at).toISOString()).toBe(get.body.created_at);
    expect(Math.abs(Date.parse(get.body.created_at) - Date.now())).toBeLessThan(60_000);
  });

  it('GET with ?types= returns only those feature types', async () => {
    await call(s.url, '/analysis/cache/image/img-types', { method: 'PUT', json: { features } });
    const get = await call(s.url, '/analysis/cache/image/img-types?types=phash,embedding');
    expect(get.status).toBe(200);
    expect(Object.keys(get.body.features).sort()).toEqual(['embedding', 'phash']);
  });

  it('GET of an uncached image is 404 NOT_FOUND', async () => {
    const get = await call(s.url, '/analysis/cache/image/never-written');
    expect(get.status).toBe(404);
    expect(get.body).toEqual({ success: false, error: { code: 'NOT_FOUND', message: expect.any(String) } });
  });

  it('GET .../meta answers TTL left, stored bytes and groups; 404 JSON for a missing image', async () => {
    await call(s.url, '/analysis/cache/image/img-meta', { method: 'PUT', json: { features, groups: ['m1', 'm2'], ttl_seconds: 600 } });
    const meta = await call(s.url, '/analysis/cache/image/img-meta/meta');
    expect(meta.status).toBe(200);
    expect(meta.body).toMatchObject({ success: true, image_id: 'img-meta', source: 'stored', version: '1.0', groups: ['m1', 'm2'], groups_complete: true });
    expect(meta.body.ttl_seconds).toBeGreaterThan(0);
    expect(meta.body.stored_bytes).toBeGreaterThan(0);
    const missing = await call(s.url, '/analysis/cache/image/never-written/meta');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ success: false, error: { code: 'NOT_FOUND', message: expect.any(String) } });
  });

  it('image IDs with slashes and unicode travel percent-encoded', async () => {
    const id = 'user_000001/img 42/é.jpg';
    const path = `/analysis/cache/image/${encodeURIComponent(id)}`;
    expect((await call(s.url, path, { method: 'PUT', json: { features: { a: 1 } } })).status).toBe(200);
    const get = await call(s.url, path);
    expect(get.body.image_id).toBe(id);
  });

  it('DELETE invalidates (success true), a second DELETE says success false with 404', async () => {
    await call(s.url, '/analysis/cache/image/img-del', { method: 'PUT', json: { features } });
    const del = await call(s.url, '/analysis/cache/image/img-del', { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ success: true, message: expect.any(String) });
    expect((await call(s.url, '/analysis/cache/image/img-del')).status).toBe(404);
    const again = await call(s.url, '/analysis/cache/image/img-del', { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ success: false, message: expect.any(String), error: { code: 'NOT_FOUND' } });
  });

  it('PUT honours ttl_seconds', async () => {
    await call(s.url, '/analysis/cache/image/img-ttl', { method: 'PUT', json: { features, ttl_seconds: 1 } });
    expect((await call(s.url, '/analysis/cache/image/img-ttl')).status).toBe(200);
    // a real signal: poll until Redis expired the key (bounded)
    const deadline = Date.now() + 5000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await call(s.url, '/analysis/cache/image/img-ttl')).status;
    }
    expect(status).toBe(404);
  });
});

describe('batch routes', () => {
  it('batch-set writes every item and batch-get returns found + missing', async () => {
    const items = Array.from({ length: 20 }, (_, i) => ({ image_id: `b-${i}`, features: { n: i, v: [i, i + 0.5] } }));
    const set = await call(s.url, '/analysis/cache/batch-set', { json: { items } });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ success: true, written: 20, requested: 20 });

    const ids = [...items.map((i) => i.image_id), 'b-missing-1', 'b-missing-2'];
    const get = await call(s.url, '/analysis/cache/batch-get', { json: { image_ids: ids } });
    expect(get.status).toBe(200);
    expect(get.body.success).toBe(true);
    expect(Object.keys(get.body.found).sort()).toEqual(items.map((i) => i.image_id).sort());
    expect(get.body.found['b-7']).toEqual({ image_id: 'b-7', version: '1.0', features: { n: 7, v: [7, 7.5] }, created_at: expect.any(String), source: 'stored' });
    expect(get.body.missing).toEqual(['b-missing-1', 'b-missing-2']);
  });

  it('batch-get with duplicates and a types filter', async () => {
    await call(s.url, '/analysis/cache/image/dup', { method: 'PUT', json: { features } });
    const get = await call(s.url, '/analysis/cache/batch-get', { json: { image_ids: ['dup', 'dup'], types: ['phash'] } });
    expect(get.body.found.dup.features).toEqual({ phash: features.phash });
    expect(get.body.missing).toEqual([]);
  });
});

describe('group routes', () => {
  it('lists and invalidates a group', async () => {
    const items = ['g-1', 'g-2', 'g-3'].map((id) => ({ image_id: id, features: { a: 1 }, groups: ['upload-7'] }));
    await call(s.url, '/analysis/cache/batch-set', { json: { items } });
    const list = await call(s.url, '/analysis/cache/group/upload-7');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ success: true, group: 'upload-7', count: 3 });
    expect([...list.body.image_ids].sort()).toEqual(['g-1', 'g-2', 'g-3']);

    const del = await call(s.url, '/analysis/cache/group/upload-7', { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ success: true, group: 'upload-7', invalidated: 3, message: expect.any(String) });
    expect((await call(s.url, '/analysis/cache/image/g-2')).status).toBe(404);
    expect((await call(s.url, '/analysis/cache/group/upload-7')).body.count).toBe(0);
  });
});

describe('operator routes', () => {
  it('stats has the seed fields', async () => {
    const r = await call(s.url, '/analysis/cache/stats');
    expect(r.status).toBe(200);
    expect(r.body.success).toBe(true);
    for (const k of ['cache_operations', 'cached_images', 'cache_hits', 'cache_misses', 'hit_rate', 'cache_errors', 'cache_invalidations']) {
      expect(typeof r.body.stats[k]).toBe('number');
    }
  });

  it('health is 200 healthy with the seed fields', async () => {
    const r = await call(s.url, '/analysis/cache/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'healthy', redis_connected: true, topology: { mode: 'standalone' } });
    for (const k of ['used_memory', 'connected_clients', 'uptime_seconds', 'latency_ms']) expect(typeof r.body[k]).toBe('number');
  });

  it('cleanup answers with cleaned_keys and a message', async () => {
    const r = await call(s.url, '/analysis/cache/cleanup', { method: 'POST' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ success: true, cleaned_keys: expect.any(Number), message: expect.any(String) });
  });

  it('livez and readyz', async () => {
    expect(await call(s.url, '/livez')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await call(s.url, '/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } });
  });

  it('metrics expose request counts by route pattern, cache hits/misses by source, Redis latency and Node defaults', async () => {
    await call(s.url, '/analysis/cache/image/metrics-miss');
    const r = await call(s.url, '/metrics');
    expect(r.status).toBe(200);
    const text = r.body as string;
    expect(text).toMatch(/featcache_http_requests_total\{method="GET",route="\/analysis\/cache\/image\/\{image_id\}",status="404"\} \d+/);
    expect(text).toContain('featcache_http_request_duration_seconds_bucket');
    expect(text).not.toContain('metrics-miss'); // raw paths never become labels
    expect(text).toMatch(/featcache_cache_hits_total\{source="stored"\} [1-9]/);
    expect(text).toMatch(/featcache_cache_misses_total\{source="stored"\} [1-9]/);
    expect(text).toContain('featcache_redis_up 1');
    expect(text).toMatch(/featcache_redis_latency_seconds \d/);
    // every command the cache sent is timed by name (the reads above were GET/MGET)
    expect(text).toMatch(/featcache_redis_command_duration_seconds_count\{command="(get|mget)"\} [1-9]/);
    expect(text).toMatch(/^featcache_extraction_queue_depth 0$/m);
    // Node's default metrics under their standard names, for stock dashboards
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).not.toContain('featcache_process_');
  });

  it('openapi.json documents every route and /docs serves a self-contained page', async () => {
    const r = await call(s.url, '/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    expect(Object.keys(r.body.paths)).toEqual(
      expect.arrayContaining([
        '/analysis/cache/stats',
        '/analysis/cache/health',
        '/analysis/cache/cleanup',
        '/analysis/cache/image/{image_id}',
        '/analysis/cache/image/{image_id}/meta',
        '/analysis/cache/batch-get',
        '/analysis/cache/batch-set',
        '/analysis/cache/group/{group}',
        '/livez',
        '/readyz',
        '/metrics',
      ]),
    );
    const batchGet = r.body.paths['/analysis/cache/batch-get'].post;
    expect(batchGet.requestBody.content['application/json'].schema.properties.image_ids.maxItems).toBe(1000);
    const docs = await call(s.url, '/docs');
    expect(docs.status).toBe(200);
    expect(docs.body).toContain('/docs/swagger-ui-bundle.js');
    expect(docs.body).not.toMatch(/https?:\/\//); // no CDN
    const bundle = await fetch(`${s.url}/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
  });

  it('echoes a valid x-request-id and generates one otherwise', async () => {
    const given = await call(s.url, '/livez', { headers: { 'x-request-id': 'trace-abc_123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-abc_123');
    const bad = await call(s.url, '/livez', { headers: { 'x-request-id': 'evil\tvalue with spaces' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('unknown routes are 404 in the error shape', async () => {
    const r = await call(s.url, '/no/such/route');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ success: false, error: { code: 'NOT_FOUND', message: expect.any(String) } });
  });
});
