/**
 * The seed's claims are about its library (its own suite measured library
 * calls), so they are checked against featcache's library, in process, beside a
 * raw-ioredis baseline on the same Redis in the same run (pre-encoded values of
 * the same size: pipelined SET with PX, GET, MGET, no encoding or decoding).
 */
import { Redis } from 'ioredis';
import { createFeatureCache } from '../../src/index.js';
import { seedPayload } from './payloads.js';
import { throughput } from './throughput.js';

export interface LibraryFigure {
  key: 'lib_batch_write' | 'lib_single_write' | 'lib_single_read' | 'lib_batch_read';
  title: string;
  featcache: number[];
  baseline: number[];
}

const KEYSPACE = 20_000;
const CONCURRENCY = 64;
const BATCH = 100;
const IN_FLIGHT = 4;
const TTL_MS = 2_592_000_000;
const id = (i: number) => `user_${String(i % 1000).padStart(6, '0')}_img_${String(i % KEYSPACE).padStart(6, '0')}`;

/** Measures the four library figures on `redisUrl` (records under prefix `libbench`). */
export async function libraryFigures(redisUrl: string, runs: number, seconds: number, progress: (line: string) => void): Promise<LibraryFigure[]> {
  const raw = new Redis(redisUrl);
  const cache = await createFeatureCache({ redis: redisUrl, prefix: 'libbench' });
  try {
    const sample = seedPayload();
    await cache.set('probe', sample);
    const encoded = (await raw.getBuffer(`libbench:${cache.featureVersion}:probe`))!;
    const writeBatches = Array.from({ length: 64 }, (_, b) => Array.from({ length: BATCH }, (_, k) => ({ imageId: id(b * BATCH + k), features: seedPayload() })));
    const idBatches = Array.from({ length: KEYSPACE / BATCH }, (_, b) => Array.from({ length: BATCH }, (_, k) => id(b * BATCH + k)));
    const rawBatches = idBatches.map((b) => b.map((x) => `libraw:${x}`));
    // fill both keyspaces so reads are hits
    for (let b = 0; b < idBatches.length; b++) {
      await cache.setMany(idBatches[b]!.map((imageId) => ({ imageId, features: seedPayload() })));
      const p = raw.pipeline();
      for (const k of rawBatches[b]!) p.set(k, encoded, 'PX', TTL_MS);
      await p.exec();
    }
    const figs: LibraryFigure[] = [
      { key: 'lib_batch_write', title: `batch write (setMany of ${BATCH}, ${IN_FLIGHT} in flight)`, featcache: [], baseline: [] },
      { key: 'lib_single_write', title: `single write (set, ${CONCURRENCY} concurrent)`, featcache: [], baseline: [] },
      { key: 'lib_single_read', title: `single read (get, ${CONCURRENCY} concurrent)`, featcache: [], baseline: [] },
      { key: 'lib_batch_read', title: `batch read (getMany of ${BATCH}, ${IN_FLIGHT} in flight)`, featcache: [], baseline: [] },
    ];
    const [bw, sw, sr, br] = figs as [LibraryFigure, LibraryFigure, LibraryFigure, LibraryFigure];
    for (let run = 0; run < runs; run++) {
      bw.featcache.push(await throughput(IN_FLIGHT, seconds, BATCH, (i) => cache.setMany(writeBatches[i % writeBatches.length]!)));
      bw.baseline.push(
        await throughput(IN_FLIGHT, seconds, BATCH, (i) => {
          const p = raw.pipeline();
          for (const k of rawBatches[i % rawBatches.length]!) p.set(k, encoded, 'PX', TTL_MS);
          return p.exec();
        }),
      );
      sw.featcache.push(await throughput(CONCURRENCY, seconds, 1, (i) => cache.set(id(i), sample)));
      sw.baseline.push(await throughput(CONCURRENCY, seconds, 1, (i) => raw.set(`libraw:${id(i)}`, encoded, 'PX', TTL_MS)));
      sr.featcache.push(await throughput(CONCURRENCY, seconds, 1, (i) => cache.get(id(i))));
      sr.baseline.push(await throughput(CONCURRENCY, seconds, 1, (i) => raw.getBuffer(`libraw:${id(i)}`)));
      br.featcache.push(await throughput(IN_FLIGHT, seconds, BATCH, (i) => cache.getMany(idBatches[i % idBatches.length]!)));
      br.baseline.push(await throughput(IN_FLIGHT, seconds, BATCH, (i) => raw.mgetBuffer(rawBatches[i % rawBatches.length]!)));
      for (const f of figs) {
        progress(`  [lib] ${f.key.padEnd(18)} run ${run + 1}/${runs}: ${Math.round(f.featcache.at(-1)!).toLocaleString('en-US')} images/s (raw Redis ${Math.round(f.baseline.at(-1)!).toLocaleString('en-US')})`);
      }
    }
    const s = await cache.stats();
    if (s.cache_errors > 0) throw new Error(`library benchmark saw ${s.cache_errors} cache errors`);
    return figs;
  } finally {
    await cache.close();
    raw.disconnect();
  }
}
