/**
 * inspect(): what Redis holds for one image — the record's remaining TTL, its
 * size, and the groups it belongs to.
 *
 * TTL and size are three O(1) commands on the record key in one round trip
 * (PTTL, STRLEN, MEMORY USAGE ... SAMPLES 0; the last is null where Redis
 * refuses it, e.g. an ACL without it).
 *
 * Groups have no reverse index (an image's group memberships are not stored
 * with its record; see groups.ts), so they are found by SCAN of the group keys
 * of this version on every master, with one SISMEMBER per group key found.
 * SCAN walks the whole keyspace whatever its MATCH pattern, so the walk is
 * bounded: it stops after `maxScanSteps` SCAN calls in total (each examines
 * about 1,000 keys), and the answer says whether it was complete
 * (`groupsComplete`).
 */
import type { Cluster, Redis } from 'ioredis';
import { mapRedisError } from '../redis/map-error.js';
import type { KeySchema } from '../redis/keys.js';
import type { KeyRouter } from '../redis/router.js';
import type { InspectOptions, RecordInspection } from '../types.js';

const SCAN_COUNT = 1000;
/** SCAN calls (all masters together, ~1,000 keys each) before the group search stops. */
export const DEFAULT_MAX_SCAN_STEPS = 100;

export async function inspectRecord(
  client: Redis | Cluster,
  router: KeyRouter,
  keys: KeySchema,
  imageId: string,
  opts: InspectOptions = {},
): Promise<RecordInspection | null> {
  const key = keys.record(imageId);
  let replies: Array<[Error | null, unknown]>;
  try {
    // one key: one node, one round trip (also on a Cluster)
    replies = (await client.pipeline().pttl(key).strlen(key).call('MEMORY', 'USAGE', key, 'SAMPLES', '0').exec()) ?? [];
  } catch (err) {
    throw mapRedisError(err, 'inspect');
  }
  const [pttl, strlen, memory] = replies;
  if (pttl?.[0]) throw mapRedisError(pttl[0], 'inspect');
  if (strlen?.[0]) throw mapRedisError(strlen[0], 'inspect');
  const ms = Number(pttl?.[1]);
  if (ms === -2) return null; // no record
  const found = await findGroups(client, router, keys, imageId, opts.maxScanSteps ?? DEFAULT_MAX_SCAN_STEPS);
  return {
    imageId,
    version: keys.version,
    // -1: no expiry; otherwise whole seconds left, rounded up (a live record never shows 0)
    ttlSeconds: ms === -1 ? null : Math.ceil(ms / 1000),
    storedBytes: Number(strlen?.[1]),
    memoryBytes: memory && !memory[0] && memory[1] !== null ? Number(memory[1]) : null,
    ...found,
  };
}

async function findGroups(
  client: Redis | Cluster,
  router: KeyRouter,
  keys: KeySchema,
  imageId: string,
  budget: number,
): Promise<Pick<RecordInspection, 'groups' | 'groupsComplete' | 'scanSteps'>> {
  const masters: Redis[] = router.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  const pattern = keys.allGroupsPattern();
  const head = keys.groupPrefix;
  const groups = new Set<string>(); // SCAN may return a key twice
  let steps = 0;
  let complete = true;
  try {
    for (const node of masters) {
      let cursor = '0';
      do {
        if (steps >= budget) {
          complete = false;
          break;
        }
        const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
        cursor = next;
        steps++;
        if (found.length === 0) continue;
        // the keys SCAN returned live on this node: one pipeline to it
        const pipe = node.pipeline();
        for (const k of found) pipe.sismember(k, imageId);
        const member = (await pipe.exec()) ?? [];
        found.forEach((k, i) => {
          if (member[i]?.[1] === 1) groups.add(k.slice(head.length));
        });
      } while (cursor !== '0');
      if (!complete) break;
    }
  } catch (err) {
    throw mapRedisError(err, 'inspect groups');
  }
  return { groups: [...groups].sort(), groupsComplete: complete, scanSteps: steps };
}
