/**
 * npx tsx bench/provenance/texture-tier-cost.ts [--entries 10000,50000,200000]
 * The texture-poor tier's cost per registry entry (docs/PROVENANCE.md,
 * "Projection to 10M"): a private redis-server, the registry filled with
 * signatures of generated smooth thumbnails (no records: the registry alone),
 * then per size the time of one query's read of the whole registry (16 HGETALLs
 * in one pipeline) and of ranking it (rankRegistered), median of 9 queries,
 * and the registry's MEMORY USAGE per entry. Verification (8 pairs) is apart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { appearanceThumb } from '../../src/features/thumb.js';
import { startRedisProcess } from '../../src/redis/redis-process.js';
import { KeyRouter } from '../../src/redis/router.js';
import { TextureRegistry } from '../../src/provenance/index/texture-registry.js';
import { rankRegistered } from '../../src/provenance/index/texture-tier.js';
import { drawSmooth } from './smooth-textures.js';
import { median, round } from './stats.js';

const at = process.argv.indexOf('--entries');
const SIZES = (at > 0 ? process.argv[at + 1]! : '10000,50000,200000').split(',').map(Number);
const THUMBS = 64;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'featcache-texture-cost-'));
  const redis = await startRedisProcess({ dir, config: { appendonly: 'no', save: '' } });
  const client = new Redis(redis.port, '127.0.0.1');
  try {
    const router = new KeyRouter(client);
    const registry = new TextureRegistry({ client, router, exists: () => Promise.resolve([]), peekMany: () => Promise.resolve([]) }, 'tc:@x:1:prov');
    // a few distinct smooth thumbnails (entries repeat them: the cost does not depend on the values)
    const thumbs = Array.from({ length: THUMBS }, (_, k) => appearanceThumb(drawSmooth(k, 64, 48), 64, 48));
    let written = 0;
    const rows: unknown[] = [];
    for (const size of SIZES) {
      for (; written < size; written += 1000) {
        const n = Math.min(1000, size - written);
        await registry.write(Array.from({ length: n }, (_, i) => ({ imageId: `smooth:${written + i}`, features: { thumb: thumbs[(written + i) % THUMBS]! } })));
      }
      let bytes = 0;
      for (const key of registry.allKeys()) bytes += Number(await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
      const readMs: number[] = [];
      const rankMs: number[] = [];
      for (let q = 0; q < 9; q++) {
        const t0 = performance.now();
        const all = await registry.readAll();
        const t1 = performance.now();
        rankRegistered({ thumb: thumbs[q]!, keypoints: 0 }, all, new Set());
        rankMs.push(performance.now() - t1);
        readMs.push(t1 - t0);
      }
      const row = { entries: size, bytes_per_entry: round(bytes / size, 1), read_ms: round(median(readMs)), rank_ms: round(median(rankMs)), per_1000_entries_ms: round(((median(readMs) + median(rankMs)) / size) * 1000, 3), load: loadavg().map((v) => round(v)) };
      rows.push(row);
      process.stderr.write(`${JSON.stringify(row)}\n`);
    }
  } finally {
    client.disconnect();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
