/**
 * The WAIT durability option when no replica acknowledges: the write is
 * refused with REPLICATION_TIMEOUT ("on the master, may be lost on failover"),
 * never reported as an unavailable Redis — also when the WAIT timeout is as
 * long as the command timeout (WAIT gets its own client-side deadline).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache } from '../../src/index.js';
import { startStandalone, type StandaloneRedis } from '../helpers/topology.js';

let redis: StandaloneRedis;
let cache: FeatureCache;

beforeAll(async () => {
  redis = await startStandalone();
  cache = await createFeatureCache({ redis: redis.url, prefix: 'wait', waitReplicas: 1, waitTimeoutMs: 1000, commandTimeoutMs: 1000 });
});

afterAll(async () => {
  await cache?.close();
  await redis?.stop();
});

describe('waitReplicas without a replica', () => {
  it('fails with REPLICATION_TIMEOUT after about waitTimeoutMs; the write is on the master', async () => {
    const started = Date.now();
    const err = await cache.setMany([{ imageId: 'a', features: { x: 1 } }, { imageId: 'b', features: { x: 2 } }]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REPLICATION_TIMEOUT', details: { acked: 0, required: 1 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    // not acknowledged, but applied: a read sees it
    expect((await cache.get('a'))?.features).toEqual({ x: 1 });
    // the connection is usable at once for the next call
    await expect(cache.invalidate('a')).rejects.toMatchObject({ code: 'REPLICATION_TIMEOUT' });
    expect(await cache.get('a')).toBeNull();
  });
});
