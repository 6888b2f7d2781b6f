/** Child process for the cross-process stampede test: N concurrent getOrCompute for one image. */
import { Redis } from 'ioredis';
import { createFeatureCache } from '../../src/index.js';

const [url, imageId, n] = process.argv.slice(2) as [string, string, string];
const raw = new Redis(url);
const cache = await createFeatureCache({ redis: url, prefix: 'rt' });
process.stdout.write('ready\n');
const results = await Promise.all(
  Array.from({ length: Number(n) }, () =>
    cache.getOrCompute(imageId, async (id) => {
      await raw.incr(`runs:${imageId}`);
      await new Promise((r) => setTimeout(r, 150));
      return { phash: `hash-of-${id}`, at: 1 };
    }),
  ),
);
process.stdout.write(JSON.stringify({ results: results.map((r) => r.features.phash) }));
await cache.close();
raw.disconnect();
