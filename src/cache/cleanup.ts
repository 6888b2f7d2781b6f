/**
 * cleanup(): reclaims what the cache no longer serves — records, counters and
 * group indexes of other feature versions, and group-index entries whose record
 * is gone (expired, evicted, invalidated). SCAN with COUNT and UNLINK in
 * batches on every master: never KEYS, never a long blocking command.
 */
import type { Cluster, Redis } from 'ioredis';
import type { CleanupResult } from '../types.js';
import { escapeGlob, KeySchema } from '../redis/keys.js';
import { mapRedisError } from '../redis/map-error.js';
import type { KeyRouter } from '../redis/router.js';
import type { RecordStore } from './record-store.js';

const SCAN_COUNT = 1000;
const UNLINK_BATCH = 500;

/**
 * @param keep versions still in use (the cache's own and those of its open
 *   withVersion() views): their records, counters, groups and index keys stay.
 */
export async function runCleanup(
  client: Redis | Cluster,
  router: KeyRouter,
  keys: KeySchema,
  store: RecordStore,
  keep: ReadonlySet<string> = new Set([keys.version]),
): Promise<CleanupResult> {
  const started = Date.now();
  const result: CleanupResult = { cleaned_keys: 0, stale_version_records: 0, orphan_group_entries: 0, scanned_keys: 0, duration_ms: 0 };
  const liveGroups: Array<{ key: string; version: string }> = [];
  const versionAfter = (key: string, head: string): string => {
    const rest = key.slice(head.length);
    const sep = rest.indexOf(':');
    return sep < 0 ? rest : rest.slice(0, sep);
  };
  const groupHead = keys.groupPrefixAny;
  const masters: Redis[] = router.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  const pattern = `${escapeGlob(keys.prefix)}:*`;
  try {
    for (const node of masters) {
      let cursor = '0';
      let doomed: string[] = [];
      const flush = async () => {
        if (doomed.length === 0) return;
        const pipe = node.pipeline();
        for (const k of doomed) pipe.unlink(k);
        const replies = (await pipe.exec()) ?? [];
        for (const [err, n] of replies) if (!err) result.cleaned_keys += Number(n);
        doomed = [];
      };
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
        cursor = next;
        result.scanned_keys += found.length;
        for (const key of found) {
          const rec = keys.parseRecordKey(key);
          if (rec) {
            if (!keep.has(rec.version)) {
              doomed.push(key);
              result.stale_version_records++;
            }
            continue;
          }
          const counterVersion = keys.parseCounterKey(key);
          if (counterVersion !== null) {
            if (!keep.has(counterVersion)) doomed.push(key);
            continue;
          }
          if (key.startsWith(groupHead)) {
            const version = versionAfter(key, groupHead);
            if (keep.has(version)) liveGroups.push({ key, version });
            else doomed.push(key);
            continue;
          }
          // similarity-index keys and cached verdicts of versions no longer in use (`<prefix>:@x:<version>:...`, `<prefix>:@p:<version>:...`)
          for (const head of [keys.indexPrefixAny, keys.pairPrefixAny]) {
            if (key.startsWith(head) && !keep.has(versionAfter(key, head))) doomed.push(key);
          }
        }
        if (doomed.length >= UNLINK_BATCH) await flush();
      } while (cursor !== '0');
      await flush();
    }
    for (const { key: groupKey, version } of liveGroups) {
      const schema = version === keys.version ? keys : new KeySchema(keys.prefix, version, keys.perSlotCounters);
      const removed = await pruneGroup(client, groupKey, schema, store);
      result.orphan_group_entries += removed;
      result.cleaned_keys += removed;
    }
  } catch (err) {
    throw mapRedisError(err, 'cleanup');
  }
  result.duration_ms = Date.now() - started;
  return result;
}

/** SSCANs a group and SREMs members whose record is gone; returns how many. */
async function pruneGroup(client: Redis | Cluster, groupKey: string, keys: KeySchema, store: RecordStore): Promise<number> {
  let cursor = '0';
  let removed = 0;
  do {
    const [next, members] = await client.sscan(groupKey, cursor, 'COUNT', UNLINK_BATCH);
    cursor = next;
    if (members.length === 0) continue;
    const present = await store.exists(members.map((id) => keys.record(id)));
    const gone = members.filter((_, i) => !present[i]);
    if (gone.length > 0) removed += await client.srem(groupKey, ...gone);
  } while (cursor !== '0');
  return removed;
}
