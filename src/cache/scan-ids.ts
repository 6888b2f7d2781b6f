/**
 * The image IDs of every record of one version, in batches, by SCAN on every
 * master (`<prefix>:<version>:*`; the pattern is built from the prefix and
 * the version alone, escaped). SCAN guarantees every key present for the whole
 * walk is returned; keys written or removed meanwhile may or may not be. An ID
 * SCAN returns twice is yielded once.
 */
import type { Cluster, Redis } from 'ioredis';
import { mapRedisError } from '../redis/map-error.js';
import { escapeGlob, type KeySchema } from '../redis/keys.js';
import type { KeyRouter } from '../redis/router.js';

const SCAN_COUNT = 1000;

export async function* scanRecordIds(client: Redis | Cluster, router: KeyRouter, keys: KeySchema): AsyncGenerator<string[]> {
  const masters: Redis[] = router.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  const head = keys.recordPrefix;
  const pattern = `${escapeGlob(head)}*`;
  for (const node of masters) {
    const seen = new Set<string>();
    let cursor = '0';
    do {
      let found: string[];
      try {
        [cursor, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
      } catch (err) {
        throw mapRedisError(err, 'scan');
      }
      const ids: string[] = [];
      for (const key of found) {
        const id = key.slice(head.length);
        if (seen.has(id)) continue;
        seen.add(id);
        ids.push(id);
      }
      if (ids.length > 0) yield ids;
    } while (cursor !== '0');
  }
}
