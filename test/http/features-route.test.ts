/**
 * POST /analysis/features on the real service (startStack: real redis-server,
 * real worker pool, real HTTP), with real images made by sharp. Extractions are
 * counted from /metrics (featcache_image_extractions_total).
 */
import { request } from 'node:http';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { extractFeatures, extractorVersion } from '../../src/features/index.js';
import { createImageService } from '../../src/http/images.js';
import { createFeatureCache } from '../../src/index.js';
import type { FeatureCache } from '../../src/types.js';
import { startStack, type Stack } from './stack.js';

const MAX_BYTES = 200_000;
const MAX_PIXELS = 1_000_000;

let s: Stack;
let base: string;
let cache: FeatureCache;

let jpeg: Buffer;
let png: Buffer;

interface Answer {
  status: number;
  body: {
    success: boolean;
    image_id?: string;
    version?: string;
    cached?: boolean;
    features?: Record<string, unknown>;
    error?: { code: string; message: string };
  };
  headers: Headers;
}

async function call(path: string, init: RequestInit): Promise<Answer> {
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, body: (await res.json()) as Answer['body'], headers: res.headers };
}

/** A sample of the service's /metrics (0 when absent). */
async function sample(series: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** Successful and failed extractions so far, from the service's /metrics. */
async function extractions(): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^featcache_image_extractions_total\{outcome="\w+"\} (\d+)$/gm)) n += Number(m[1]);
  return n;
}

function multipart(imageId: string | undefined, bytes: Buffer, type = 'image/jpeg'): RequestInit {
  const form = new FormData();
  form.set('image', new Blob([new Uint8Array(bytes)], { type }), 'upload');
  if (imageId !== undefined) form.set('image_id', imageId);
  return { method: 'POST', body: form };
}

/**
 * POST over a fresh connection (node:http, no keep-alive): the server answers 413
 * before the body is read and closes the socket, which must not hit pooled sockets.
 */
function postOnOwnSocket(path: string, type: string, chunks: Buffer[], withLength: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': type };
    if (withLength) headers['content-length'] = chunks.reduce((n, c) => n + c.length, 0);
    const req = request(`${base}${path}`, { method: 'POST', headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString('utf8')) as Answer['body'], headers: new Headers() }),
      );
    });
    req.on('error', reject);
    (async () => {
      for (const c of chunks) {
        if (req.destroyed) return;
        if (!req.write(c)) {
          await new Promise<void>((r) => {
            const go = () => {
              req.off('drain', go).off('close', go);
              r();
            };
            req.on('drain', go).on('close', go);
          });
        }
      }
      req.end();
    })().catch(reject);
  });
}

/** A feature value as the JSON response carries it: typed arrays become arrays. */
function asJson(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return Array.from(v as Uint8Array);
  if (Array.isArray(v)) return v.map(asJson);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, asJson(e)]));
  return v;
}

function raw(bytes: Uint8Array, type: string): RequestInit {
  return { method: 'POST', body: new Uint8Array(bytes), headers: { 'content-type': type } };
}

beforeAll(async () => {
  s = await startStack({
    FEATCACHE_PREFIX: 'route',
    FEATCACHE_MAX_IMAGE_BYTES: String(MAX_BYTES),
    FEATCACHE_MAX_IMAGE_PIXELS: String(MAX_PIXELS),
    FEATCACHE_IMAGE_FORMATS: 'jpeg,png,webp',
    FEATCACHE_EXTRACT_WORKERS: '2',
  });
  base = s.url;
  // a second client on the same Redis, reading what the service wrote under the extraction version
  cache = await createFeatureCache({ redis: s.redis.url, prefix: 'route', featureVersion: `1.0+${extractorVersion()}`, trackExpiry: false });

  const noise = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#000000', noise: { type: 'gaussian', mean: 120, sigma: 40 } } })
    .png()
    .toBuffer();
  jpeg = await sharp(noise).blur(3).jpeg({ quality: 85 }).toBuffer();
  png = await sharp(noise).resize(200, 150).png().toBuffer();
});

afterAll(async () => {
  await cache?.close();
  await s?.stop();
});

describe('POST /analysis/features', () => {
  it('extracts a multipart upload, caches it, and answers a second call from the cache', async () => {
    const before = await extractions();
    const [hits, misses, timed] = await Promise.all([
      sample('featcache_cache_hits_total{source="extracted"}'),
      sample('featcache_cache_misses_total{source="extracted"}'),
      sample('featcache_image_extraction_duration_seconds_count'),
    ]);
    const first = await call('/analysis/features', multipart('img-multipart', jpeg));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ success: true, image_id: 'img-multipart', cached: false });
    expect(first.body.version).toBe(`1.0+${extractorVersion()}`);
    expect(first.body.features).toEqual(asJson(await extractFeatures(jpeg)));

    const second = await call('/analysis/features', multipart('img-multipart', jpeg));
    expect(second.body).toMatchObject({ success: true, cached: true, features: first.body.features });
    expect((await extractions()) - before).toBe(1);
    // the first upload was a miss of the extracted records (and one timed extraction), the second a hit
    expect((await sample('featcache_cache_misses_total{source="extracted"}')) - misses).toBe(1);
    expect((await sample('featcache_cache_hits_total{source="extracted"}')) - hits).toBe(1);
    expect((await sample('featcache_image_extraction_duration_seconds_count')) - timed).toBe(1);
    expect(asJson((await cache.get('img-multipart'))?.features)).toEqual(first.body.features);
    // the operator's stats count extracted records beside the stored ones
    const stats = (await (await fetch(`${base}/analysis/cache/stats`)).json()) as { stats: Record<string, unknown> };
    expect(stats.stats).toMatchObject({ extracted_feature_version: `1.0+${extractorVersion()}`, feature_version: '1.0' });
    expect(stats.stats.extracted_images).toBe(1);
  });

  it('accepts the raw image with Content-Type image/* and ?image_id=', async () => {
    const a = await call('/analysis/features?image_id=raw%2Fone.png', raw(png, 'image/png'));
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ image_id: 'raw/one.png', cached: false });
    expect(a.body.features).toMatchObject({ width: 200, height: 150, format: 'png' });
  });

  it('computes once for concurrent requests of one cold image', async () => {
    const before = await extractions();
    const answers = await Promise.all(Array.from({ length: 6 }, () => call('/analysis/features?image_id=burst', raw(jpeg, 'image/jpeg'))));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
    expect(answers.filter((a) => a.body.cached === false)).toHaveLength(1);
    expect((await extractions()) - before).toBe(1);
  });

  it('refuses bad images with the extractor codes, caches nothing, and keeps serving', async () => {
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    const gif = await sharp(png).gif().toBuffer();
    const huge = await sharp({ create: { width: 1200, height: 1000, channels: 3, background: '#808080' } }).png().toBuffer();
    expect(huge.length).toBeLessThan(MAX_BYTES); // refused for its pixels, not its bytes

    const cases: Array<[string, RequestInit, number, string]> = [
      ['text', raw(Buffer.from('not an image at all'), 'image/jpeg'), 400, ErrorCodes.INVALID_IMAGE],
      ['truncated', multipart('truncated', truncated), 400, ErrorCodes.INVALID_IMAGE],
      ['empty', raw(new Uint8Array(0), 'image/png'), 400, ErrorCodes.INVALID_IMAGE],
      ['gif', multipart('gif', gif, 'image/gif'), 415, ErrorCodes.UNSUPPORTED_IMAGE_FORMAT],
      ['svg', raw(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'), 'image/svg+xml'), 415, ErrorCodes.UNSUPPORTED_IMAGE_FORMAT],
      ['huge', multipart('huge', huge, 'image/png'), 413, ErrorCodes.IMAGE_TOO_LARGE],
    ];
    for (const [id, init, status, code] of cases) {
      const url = init.body instanceof FormData ? '/analysis/features' : `/analysis/features?image_id=${id}`;
      const a = await call(url, init);
      expect({ id, status: a.status, body: a.body }).toMatchObject({ id, status, body: { success: false, error: { code } } });
      expect(await cache.get(id)).toBeNull();
    }
    expect((await call('/analysis/features?image_id=after-bad', raw(png, 'image/png'))).status).toBe(200);
  });

  it('refuses bodies over maxBytes from Content-Length and while streaming', async () => {
    const declared = await postOnOwnSocket('/analysis/features?image_id=big', 'image/jpeg', [Buffer.alloc(MAX_BYTES + 1, 7)], true);
    expect(declared.status).toBe(413);
    expect(declared.body.error?.code).toBe(ErrorCodes.IMAGE_TOO_LARGE);

    // chunked (no Content-Length): the limit trips while reading
    const chunks = Array.from({ length: 50 }, () => Buffer.alloc(16_384, 7)); // 800 KiB
    const chunked = await postOnOwnSocket('/analysis/features?image_id=chunked', 'image/png', chunks, false);
    expect(chunked.status).toBe(413);
    expect(chunked.body.error?.code).toBe(ErrorCodes.IMAGE_TOO_LARGE);
    expect(await cache.get('chunked')).toBeNull();

    const form = multipart('big-form', Buffer.alloc(MAX_BYTES + 10, 7));
    const encoded = new Request('http://x', form);
    const bigForm = await postOnOwnSocket('/analysis/features', encoded.headers.get('content-type')!, [Buffer.from(await encoded.arrayBuffer())], true);
    expect(bigForm.status).toBe(413);
    expect(bigForm.body.error?.code).toBe(ErrorCodes.IMAGE_TOO_LARGE);
  });

  it('answers request errors with the app error shape', async () => {
    const wrongType = await call('/analysis/features?image_id=x', raw(png, 'text/plain'));
    expect([wrongType.status, wrongType.body.error?.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const noId = await call('/analysis/features', raw(png, 'image/png'));
    expect([noId.status, noId.body.error?.code]).toEqual([400, ErrorCodes.INVALID_IMAGE_ID]);
    const noIdForm = await call('/analysis/features', multipart(undefined, jpeg));
    expect([noIdForm.status, noIdForm.body.error?.code]).toEqual([400, ErrorCodes.INVALID_IMAGE_ID]);
    const badId = await call('/analysis/features?image_id=bad%01id', raw(png, 'image/png'));
    expect([badId.status, badId.body.error?.code]).toEqual([400, ErrorCodes.INVALID_IMAGE_ID]);
    const noFile = new FormData();
    noFile.set('image_id', 'nofile');
    const missing = await call('/analysis/features', { method: 'POST', body: noFile });
    expect([missing.status, missing.body.error?.code]).toEqual([400, 'INVALID_REQUEST']);
  });

  it('refuses an extraction cache whose feature version does not name the extractors', () => {
    const plain = { ...cache, featureVersion: '1.0' } as FeatureCache;
    const pool = { extract: () => Promise.reject(new Error('unused')) };
    const build = (extracted: FeatureCache) =>
      createImageService({ stored: plain, extracted, pool, extractOptions: {}, indexed: { extracted: true, stored: false } });
    expect(() => build(plain)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTIONS }));
    expect(() => build(cache)).not.toThrow();
  });
});
