/**
 * Redis Cluster failover under load: a master is SIGKILLed while loops of
 * setMany + getMany (keys on every master) run; its replica takes over the
 * slots and the same cache object follows without a restart. Printed: errors
 * seen, time until writes succeed again, acknowledged writes lost — without and
 * with `waitReplicas: 1` (WAIT on each node's pipeline).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache } from '../../src/index.js';
import { printFigures, startLoad, type FailoverFigures } from '../../bench/failover/load.js';
import { CLUSTER_SLOTS, startCluster, waitFor } from '../helpers/topology.js';

const NODE_TIMEOUT_MS = 2000;
/** Node timeout + election + the client's slot refresh, with room for a noisy machine. */
const RECOVERY_BOUND_MS = 20_000;
const rows: FailoverFigures[] = [];

afterAll(() => {
  if (rows.length > 0) printFigures(`Cluster failover (cluster-node-timeout ${NODE_TIMEOUT_MS}, SIGKILL of one of 3 masters)`, rows);
});

async function failoverUnderLoad(waitReplicas: number): Promise<FailoverFigures> {
  const cluster = await startCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: NODE_TIMEOUT_MS });
  let cache: FeatureCache | undefined;
  try {
    cache = await createFeatureCache({
      redis: cluster.redisTarget(),
      prefix: 'cfo',
      waitReplicas,
      // well below commandTimeoutMs: an unmet WAIT blocks the node's connection this long
      waitTimeoutMs: 250,
    });
    const load = startLoad(cache, { idPrefix: `c${waitReplicas}` });
    await load.waitForWrites(300);
    const victim = (await cluster.masters())[0]!;
    await cluster.killNode(victim.port);
    const fault = load.markFault();
    let promotedMs = 0;
    await waitFor('a replica to take over the killed master\'s slots', async () => {
      const now = await cluster.masters();
      promotedMs = Date.now() - fault;
      return now.length === 3 && !now.some((m) => m.port === victim.port) && now.reduce((s, m) => s + m.slots, 0) === CLUSTER_SLOTS;
    }, RECOVERY_BOUND_MS);
    let scenario = `waitReplicas ${waitReplicas}, replica promoted after ${promotedMs} ms`;
    if (waitReplicas > 0) {
      // The promoted replica has no replica of its own (its master is dead): WAIT 1
      // cannot be met for its slots, so those writes must be refused, not acknowledged.
      await waitFor('writes refused with REPLICATION_TIMEOUT', () => load.errorsSinceFault('REPLICATION_TIMEOUT') > 0, RECOVERY_BOUND_MS);
      await cluster.restartNode(victim.port);
      scenario += `, old master restarted (rejoins as replica) at ${Date.now() - fault} ms`;
    }
    await load.waitForRecovery(RECOVERY_BOUND_MS);
    const figures = await load.finish(scenario);

    const health = await cache.health();
    expect(health.topology.cluster_state).toBe('ok');
    const masters = health.topology.nodes.filter((n) => n.role === 'master').map((n) => n.address);
    expect(masters).not.toContain(`${victim.host}:${victim.port}`);
    expect(masters).toHaveLength(3);
    return figures;
  } finally {
    await cache?.close();
    await cluster.stop();
  }
}

describe('Cluster: a master SIGKILLed under a write+read load', () => {
  it('the client follows the promoted replica; writes succeed again within the bound', async () => {
    const figures = await failoverUnderLoad(0);
    rows.push(figures);
    expect(figures.firstWriteOkMs).not.toBeNull();
    expect(figures.firstWriteOkMs!).toBeLessThan(RECOVERY_BOUND_MS);
    expect(figures.lostAcked).toBeLessThanOrEqual(figures.ackedLast2sBeforeFault);
  }, 55_000);

  it('with waitReplicas: 1 (WAIT) no acknowledged write is lost', async () => {
    const figures = await failoverUnderLoad(1);
    rows.push(figures);
    expect(figures.firstWriteOkMs).not.toBeNull();
    expect(figures.firstWriteOkMs!).toBeLessThan(RECOVERY_BOUND_MS);
    expect(figures.lostAcked).toBe(0);
  }, 55_000);
});
