/**
 * npm run bench:failover — the failover figures of docs/OPERATIONS.md with the
 * production timeouts (the fault tests use shorter ones to stay fast): a
 * Sentinel group with down-after-milliseconds 5000 and 1000, and a 3+3 Redis
 * Cluster with cluster-node-timeout 5000 and 2000, each with the master
 * SIGKILLed under the write+read load of ./load.ts, without and with WAIT.
 *
 * Usage: tsx bench/failover/run.ts [--only sentinel|cluster]
 * Starts its own redis-server processes on free ports; writes
 * bench/results/failover.json (and a line of bench/results/history.jsonl).
 */
import { parseArgs } from 'node:util';
import { createFeatureCache, type FeatureCache } from '../../src/index.js';
import { CLUSTER_SLOTS, startCluster, startSentinelGroup, waitFor } from '../../test/helpers/topology.js';
import { machineInfo, writeResult } from '../lib/report.js';
import { printFigures, startLoad, type FailoverFigures } from './load.js';

const { values: args } = parseArgs({ options: { only: { type: 'string' } } });
const RECOVERY_LIMIT_MS = 45_000;

async function sentinel(downAfterMs: number, waitReplicas: number): Promise<FailoverFigures> {
  const group = await startSentinelGroup({ downAfterMs, failoverTimeoutMs: Math.max(5000, downAfterMs * 2) });
  let cache: FeatureCache | undefined;
  try {
    cache = await createFeatureCache({
      redis: group.redisTarget(),
      prefix: 'fo',
      waitReplicas,
      waitTimeoutMs: 250,
    });
    const load = startLoad(cache, { idPrefix: `s${downAfterMs}-${waitReplicas}` });
    await load.waitForWrites(300);
    const killed = await group.killMaster();
    const fault = load.markFault();
    await group.waitForFailover(killed, RECOVERY_LIMIT_MS);
    const agreed = Date.now() - fault;
    await load.waitForRecovery(RECOVERY_LIMIT_MS);
    return await load.finish(`sentinel down-after ${downAfterMs}, waitReplicas ${waitReplicas} (sentinels agreed ${agreed} ms)`);
  } finally {
    await cache?.close();
    await group.stop();
  }
}

async function cluster(nodeTimeoutMs: number, waitReplicas: number): Promise<FailoverFigures> {
  const c = await startCluster({ nodeTimeoutMs });
  let cache: FeatureCache | undefined;
  try {
    cache = await createFeatureCache({
      redis: c.redisTarget(),
      prefix: 'cfo',
      waitReplicas,
      waitTimeoutMs: 250,
    });
    const load = startLoad(cache, { idPrefix: `c${nodeTimeoutMs}-${waitReplicas}` });
    await load.waitForWrites(300);
    const victim = (await c.masters())[0]!;
    await c.killNode(victim.port);
    const fault = load.markFault();
    await waitFor('the replica to take over', async () => {
      const now = await c.masters();
      return now.length === 3 && !now.some((m) => m.port === victim.port) && now.reduce((s, m) => s + m.slots, 0) === CLUSTER_SLOTS;
    }, RECOVERY_LIMIT_MS);
    const promoted = Date.now() - fault;
    let note = '';
    if (waitReplicas > 0) {
      // the promoted replica has no replica: WAIT 1 cannot be met until the old master returns
      await waitFor('a refused write', () => load.errorsSinceFault('REPLICATION_TIMEOUT') > 0, RECOVERY_LIMIT_MS);
      await c.restartNode(victim.port);
      note = `, old master restarted at ${Date.now() - fault} ms`;
    }
    await load.waitForRecovery(RECOVERY_LIMIT_MS);
    return await load.finish(`cluster node-timeout ${nodeTimeoutMs}, waitReplicas ${waitReplicas} (promoted ${promoted} ms${note})`);
  } finally {
    await cache?.close();
    await c.stop();
  }
}

const rows: FailoverFigures[] = [];
if (args.only !== 'cluster') {
  for (const downAfter of [5000, 1000]) for (const wait of [0, 1]) rows.push(await sentinel(downAfter, wait));
}
if (args.only !== 'sentinel') {
  for (const timeout of [5000, 2000]) for (const wait of [0, 1]) rows.push(await cluster(timeout, wait));
}
printFigures('Failover under a write+read load (SIGKILL of a master)', rows);
console.log(`\nresults: ${writeResult('failover', { machine: machineInfo(), rows })}`);
