/** Selecting extractors by name: output, validation, versions, the pool, the content hash. */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import {
  DEFAULT_EXTRACTORS,
  extractFeatures,
  extractionFeatureVersion,
  extractorVersion,
  type ExtractorName,
} from '../../src/features/index.js';
import { createExtractionPool, type ExtractionPool } from '../../src/features/pool.js';
import { texturedPng } from './fixtures.js';

let png: Buffer;
beforeAll(async () => {
  png = await texturedPng(31, 320, 240);
});

describe('extractFeatures({ extractors })', () => {
  it('writes the selected features only', async () => {
    const f = await extractFeatures(png, { extractors: ['phash', 'content_hash'] });
    expect(Object.keys(f).sort()).toEqual(['content_hash', 'phash']);
    const meta = await extractFeatures(png, { extractors: ['meta'] });
    expect(meta).toEqual({ width: 320, height: 240, format: 'png' });
    const orb = await extractFeatures(png, { extractors: ['orb'] });
    expect(Object.keys(orb)).toEqual(['orb']);
  });

  it('selected features equal the same features of a full extraction', async () => {
    const all = await extractFeatures(png);
    expect(Object.keys(all)).toHaveLength(DEFAULT_EXTRACTORS.length + 2); // meta writes three fields
    const some = await extractFeatures(png, { extractors: ['orb', 'ahash', 'histogram'] });
    expect(some).toEqual({ orb: all.orb, ahash: all.ahash, histogram: all.histogram });
  });

  it('content_hash is the SHA-256 of the input bytes', async () => {
    const f = await extractFeatures(png, { extractors: ['content_hash'] });
    expect(f.content_hash).toBe(createHash('sha256').update(png).digest('hex'));
  });

  it('refuses an unknown name, naming it, and an empty selection', async () => {
    const err = await extractFeatures(png, { extractors: ['phash', 'sift' as ExtractorName] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.INVALID_OPTIONS, details: { option: 'extractors', extractor: 'sift' } });
    expect((err as Error).message).toContain('"sift"');
    await expect(extractFeatures(png, { extractors: [] })).rejects.toMatchObject({ code: ErrorCodes.INVALID_OPTIONS });
  });

  it('names the selection in the version, so different selections never share one', () => {
    expect(extractorVersion({ extractors: ['orb', 'phash'] })).toBe('phash.1+orb.2');
    expect(extractorVersion({ extractors: ['phash', 'orb', 'phash'] })).toBe('phash.1+orb.2');
    expect(extractorVersion({ extractors: ['phash'] })).not.toBe(extractorVersion({ extractors: ['phash', 'orb'] }));
    expect(extractorVersion({ extractors: [...DEFAULT_EXTRACTORS] })).toBe(extractorVersion());
    expect(() => extractorVersion({ extractors: ['nope' as ExtractorName] })).toThrow(/"nope"/);
  });

  it('the default extraction version fits the 128-character rule with a short base', () => {
    const v = extractionFeatureVersion('1.0');
    expect(v.length).toBeLessThanOrEqual(128);
    expect(() => extractionFeatureVersion('x'.repeat(256 - extractorVersion().length))).toThrow(/1-256/);
  });
});

describe('the pool forwards the selection', () => {
  let pool: ExtractionPool;
  beforeAll(() => {
    pool = createExtractionPool({ size: 1 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('extracts only the selected features in a worker, with typed arrays intact', async () => {
    expect(await pool.extract(png, { extractors: ['dhash'] })).toEqual(await extractFeatures(png, { extractors: ['dhash'] }));
    const viaPool = await pool.extract(png, { extractors: ['orb'] });
    expect(viaPool.orb?.keypoints).toBeInstanceOf(Uint16Array);
    expect(viaPool).toEqual(await extractFeatures(png, { extractors: ['orb'] }));
    await expect(pool.extract(png, { extractors: ['nope' as ExtractorName] })).rejects.toMatchObject({ code: ErrorCodes.INVALID_OPTIONS });
  }, 30_000);
});
