/** The extraction worker pool: same results as in-thread, codes kept, real parallelism, crash/timeout/queue/close behaviour. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, FeatureCacheError } from '../../src/errors.js';
import { extractFeatures } from '../../src/features/index.js';
import { createExtractionPool, type ExtractionPool } from '../../src/features/pool.js';
import { smoothNoisePng } from './fixtures.js';

let dir: string;
let pool: ExtractionPool;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'featcache-pool-'));
  pool = createExtractionPool({ size: 2 });
});

afterAll(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Rejection of `p`, as a FeatureCacheError (fails the test if it resolves). */
async function failure(p: Promise<unknown>): Promise<FeatureCacheError> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FeatureCacheError);
  return err as FeatureCacheError;
}

describe('extraction pool', () => {
  it('returns exactly what extractFeatures returns in-thread, for Buffers, Uint8Array views and paths', async () => {
    const png = await smoothNoisePng(21, 160, 120);
    const jpeg = await sharp(png).jpeg({ quality: 80 }).toBuffer();
    const webp = await sharp(png).webp().toBuffer();
    const path = join(dir, 'img.png');
    writeFileSync(path, png);
    // a view into a larger buffer: only its own bytes must travel
    const padded = Buffer.concat([Buffer.alloc(7, 0xff), jpeg, Buffer.alloc(5, 0xff)]);
    const view = new Uint8Array(padded.buffer, padded.byteOffset + 7, jpeg.length);

    for (const input of [png, jpeg, webp, path, view]) {
      const expected = await extractFeatures(typeof input === 'string' ? input : Buffer.from(input));
      expect(await pool.extract(input)).toEqual(expected);
    }
    const opts = { histogramBins: 16 };
    expect(await pool.extract(png, opts)).toEqual(await extractFeatures(png, opts));
  });

  it('keeps the FeatureCacheError code and details of failures', async () => {
    const png = await smoothNoisePng(22, 64, 64);
    const notImage = await failure(pool.extract(Buffer.from('definitely not an image')));
    expect(notImage.code).toBe(ErrorCodes.INVALID_IMAGE);
    expect((notImage.cause as Error).message).toMatch(/unsupported image format/i);

    const format = await failure(pool.extract(png, { allowedFormats: ['jpeg'] }));
    expect(format.code).toBe(ErrorCodes.UNSUPPORTED_IMAGE_FORMAT);
    expect(format.details).toEqual({ format: 'png' });

    const big = await failure(pool.extract(png, { maxPixels: 100 }));
    expect(big.code).toBe(ErrorCodes.IMAGE_TOO_LARGE);
    expect(big.details).toMatchObject({ width: 64, height: 64, maxPixels: 100 });

    expect((await failure(pool.extract(png, { histogramBins: 0 }))).code).toBe(ErrorCodes.INVALID_OPTIONS);
    expect((await failure(pool.extract(join(dir, 'missing.png')))).code).toBe(ErrorCodes.INVALID_IMAGE);
    expect((await failure(pool.extract(42 as unknown as Buffer))).code).toBe(ErrorCodes.INVALID_IMAGE);
    // the pool is still healthy afterwards
    expect((await pool.extract(png)).width).toBe(64);
  });

  it('runs tasks on more than one worker thread at once', async () => {
    const local = createExtractionPool({ size: 2 });
    try {
      const img = await sharp(await smoothNoisePng(23, 200, 200)).resize(800, 800).jpeg().toBuffer();
      const results = await Promise.all(Array.from({ length: 6 }, () => local.extract(img)));
      expect(new Set(results.map((r) => r.phash)).size).toBe(1);
      const s = local.stats();
      expect(s.workers).toBe(2);
      expect(s.peakBusy).toBe(2);
      expect(s.threadsUsed).toBe(2);
      expect(s.completed).toBe(6);
    } finally {
      await local.close();
    }
  });
});

describe('extraction pool faults (with a scripted worker)', () => {
  // Speaks the pool's protocol: 'crash' exits the thread, 'hang' never answers, anything else echoes.
  let workerUrl: URL;
  beforeAll(() => {
    const file = join(dir, 'scripted-worker.mjs');
    writeFileSync(
      file,
      `import { parentPort } from 'node:worker_threads';
parentPort.on('message', (t) => {
  if (t.image === 'crash') process.exit(7);
  if (t.image === 'hang') return;
  parentPort.postMessage({ id: t.id, ok: true, value: { echo: t.image } });
});
`,
    );
    workerUrl = pathToFileURL(file);
  });

  it('rejects the task of a crashed worker and replaces the worker', async () => {
    const p = createExtractionPool({ size: 1, workerUrl });
    try {
      const err = await failure(p.extract('crash'));
      expect(err.code).toBe(ErrorCodes.COMPUTE_FAILED);
      expect(err.details).toMatchObject({ reason: 'WORKER_EXITED', exitCode: 7 });
      expect(await p.extract('after')).toEqual({ echo: 'after' });
      expect(p.stats()).toMatchObject({ crashed: 1, completed: 1, workers: 1 });
    } finally {
      await p.close();
    }
  });

  it('abandons a task after taskTimeoutMs, and the tasks queued behind it still run', async () => {
    // 3 s, not less: the replacement worker must boot and answer `next` within
    // the timeout too, and a loaded 2-core CI machine took over 300 ms for that
    const p = createExtractionPool({ size: 1, workerUrl, taskTimeoutMs: 3000 });
    try {
      const hung = p.extract('hang');
      const next = p.extract('next');
      const err = await failure(hung);
      expect(err.details).toMatchObject({ reason: 'TIMEOUT' });
      expect(await next).toEqual({ echo: 'next' });
    } finally {
      await p.close();
    }
  });

  it('bounds the queue and rejects everything pending on close()', async () => {
    const p = createExtractionPool({ size: 1, maxQueue: 1, workerUrl });
    const running = p.extract('hang');
    const queued = p.extract('queued');
    const full = await failure(p.extract('one too many'));
    expect(full.code).toBe(ErrorCodes.COMPUTE_FAILED);
    expect(full.details).toMatchObject({ reason: 'QUEUE_FULL', maxQueue: 1 });
    expect(p.stats()).toMatchObject({ busy: 1, queued: 1 });

    const outcomes = [failure(running), failure(queued)]; // observed before close() rejects them
    await p.close();
    for (const o of outcomes) expect((await o).code).toBe(ErrorCodes.CLOSED);
    expect((await failure(p.extract('late'))).code).toBe(ErrorCodes.CLOSED);
  });
});
