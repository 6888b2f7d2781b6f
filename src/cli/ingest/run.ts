/**
 * The ingest loop: per batch of files, derive the image ids, look them all up
 * with one getMany, extract only the misses in the worker pool (bounded
 * concurrency), and store the results with one setMany. A file that fails is
 * recorded with its reason and never stops the run; a failing cache does.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isFeatureCacheError } from '../../errors.js';
import { DEFAULT_CACHE_OPTIONS } from '../../cache/options.js';
import { assertImageId } from '../../cache/validate.js';
import type { ExtractOptions } from '../../features/options.js';
import type { ExtractionPool } from '../../features/pool.js';
import type { FeatureCache, Features, SetManyItem } from '../../types.js';
import type { FoundFile } from './discover.js';

export type IdMode = 'path' | 'content-hash';

export interface IngestOptions {
  /** How an image id is made: relative path, or sha256 of the bytes (hex). @default 'path' */
  idMode?: IdMode;
  /** Extractions in flight at once. @default pool.size */
  concurrency?: number;
  /** Ids per getMany / setMany. @default 100 */
  batchSize?: number;
  /** TTL of written records (cache default when absent). */
  ttlSeconds?: number;
  /** Groups every written image joins. */
  groups?: string[];
  /** Limits passed to extractFeatures. */
  extract?: ExtractOptions;
  /** Longest accepted image id in UTF-8 bytes. @default the cache's default (DEFAULT_CACHE_OPTIONS) */
  maxImageIdBytes?: number;
  /** Stops after the batch in flight when aborted. */
  signal?: AbortSignal;
  /** Called once per file when its outcome is known. */
  onProgress?(counts: IngestCounts): void;
}

export interface IngestCounts {
  total: number;
  /** Files whose outcome is known. */
  done: number;
  extracted: number;
  cached: number;
  /** Files whose content-hash id was already seen earlier in this run. */
  duplicates: number;
  failed: number;
}

export interface IngestFailure {
  /** Path relative to the base folder. */
  file: string;
  image_id?: string;
  /** FeatureCacheError code (INVALID_IMAGE, ...) or READ_ERROR. */
  code: string;
  reason: string;
}

export interface IngestResult extends IngestCounts {
  written: number;
  failures: IngestFailure[];
  interrupted: boolean;
  durationMs: number;
}

interface Entry {
  file: FoundFile;
  id: string;
}

const DEFAULT_BATCH = 100;

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** `message (cause)` of an error, for a one-line reason. */
function reasonOf(err: unknown): { code: string; reason: string } {
  if (isFeatureCacheError(err)) {
    const cause = err.cause instanceof Error ? ` (${err.cause.message.split('\n')[0]})` : '';
    return { code: err.code, reason: `${err.message}${cause}` };
  }
  const e = err as NodeJS.ErrnoException;
  return { code: e?.code ?? 'ERROR', reason: e?.message ?? String(err) };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}

/**
 * Ingests `files` into `cache` (whose featureVersion must name the extractors, see
 * extractionFeatureVersion). Resolves with the counts and per-file failures;
 * rejects only when the cache itself fails (Redis down, closed...).
 */
export async function runIngest(cache: FeatureCache, pool: ExtractionPool, files: FoundFile[], options: IngestOptions = {}): Promise<IngestResult> {
  const started = performance.now();
  const idMode = options.idMode ?? 'path';
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const concurrency = options.concurrency ?? pool.size;
  const maxIdBytes = options.maxImageIdBytes ?? DEFAULT_CACHE_OPTIONS.maxImageIdBytes;
  const counts: IngestCounts = { total: files.length, done: 0, extracted: 0, cached: 0, duplicates: 0, failed: 0 };
  const failures: IngestFailure[] = [];
  const seen = new Set<string>();
  let written = 0;
  let interrupted = false;

  const settle = (kind: 'extracted' | 'cached' | 'duplicates' | 'failed') => {
    counts[kind] += 1;
    counts.done += 1;
    options.onProgress?.({ ...counts });
  };
  const fail = (file: FoundFile, id: string | undefined, err: unknown) => {
    failures.push({ file: file.relative, ...(id === undefined ? {} : { image_id: id }), ...reasonOf(err) });
    settle('failed');
  };

  for (let at = 0; at < files.length; at += batchSize) {
    if (options.signal?.aborted) {
      interrupted = true;
      break;
    }
    const batch = files.slice(at, at + batchSize);

    // 1. ids (content hashes read the bytes, but nothing is decoded yet)
    const entries: Entry[] = [];
    await eachLimited(batch, 8, async (file) => {
      let id: string;
      try {
        if (idMode === 'content-hash') {
          const max = options.extract?.maxBytes;
          if (max !== undefined && (await stat(file.path)).size > max) {
            // leave the refusal to the extractor, without hashing a huge file first
            id = file.relative;
          } else id = await sha256File(file.path);
        } else id = file.relative;
        assertImageId(id, maxIdBytes);
      } catch (err) {
        fail(file, undefined, err);
        return;
      }
      entries.push({ file, id });
    });
    entries.sort((a, b) => (a.file.relative < b.file.relative ? -1 : 1));
    const fresh: Entry[] = [];
    for (const e of entries) {
      if (seen.has(e.id)) settle('duplicates');
      else {
        seen.add(e.id);
        fresh.push(e);
      }
    }
    if (fresh.length === 0) continue;

    // 2. one lookup for the whole batch
    const records = await cache.getMany(fresh.map((e) => e.id));
    const misses = fresh.filter((_, i) => {
      if (records[i] === null) return true;
      settle('cached');
      return false;
    });

    // 3. extract the misses, 4. one write for the batch
    const items: SetManyItem[] = [];
    await eachLimited(misses, concurrency, async ({ file, id }) => {
      try {
        const features = (await pool.extract(file.path, options.extract)) as unknown as Features;
        const item: SetManyItem = { imageId: id, features };
        if (options.ttlSeconds !== undefined) item.ttlSeconds = options.ttlSeconds;
        if (options.groups?.length) item.groups = options.groups;
        items.push(item);
        settle('extracted');
      } catch (err) {
        fail(file, id, err);
      }
    });
    if (items.length > 0) written += (await cache.setMany(items)).written;
  }
  failures.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { ...counts, written, failures, interrupted, durationMs: performance.now() - started };
}
