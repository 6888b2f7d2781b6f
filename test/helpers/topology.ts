/**
 * Real Redis topologies for tests, on free ports in temp dirs (never the
 * default ports): a standalone server, a Sentinel group, a Redis Cluster.
 * Each returns addresses, per-node kill()/restart() and stop(); every process
 * still running when the test process exits is SIGKILLed.
 *
 *   const redis = await startStandalone({ maxmemory: '16mb' });
 *   const group = await startSentinelGroup({ downAfterMs: 1000 });
 *   const cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
 *   ... finally await x.stop();
 */
import { join } from 'node:path';
import { makeTempDir, removeDir, startDataNode, type TopologyNode } from './topology-common.js';

export { startSentinelGroup, type SentinelGroup, type SentinelGroupOptions } from './topology-sentinel.js';
export {
  startCluster,
  clusterMasters,
  clusterNodeReady,
  CLUSTER_SLOTS,
  type ClusterMaster,
  type ClusterOptions,
  type RedisClusterTopology,
} from './topology-cluster.js';
export { waitFor, freePortBlock, portIsFree, type NodeAddress, type TopologyNode } from './topology-common.js';

export interface StandaloneRedis {
  host: string;
  port: number;
  /** redis://127.0.0.1:<port> */
  url: string;
  /** Its data dir (a temp dir removed by stop()). */
  dir: string;
  node: TopologyNode;
  /** SIGKILL (a crash). */
  kill(): Promise<void>;
  /** Start again on the same port and dir after kill(). */
  restart(): Promise<void>;
  /** Stop the server and remove its temp dir. */
  stop(): Promise<void>;
}

/**
 * One redis-server on a free port (startRedisProcess: no persistence,
 * `notify-keyspace-events Exe`), with `config` as extra directives,
 * e.g. { maxmemory: '16mb', 'maxmemory-policy': 'allkeys-lru' }.
 */
export async function startStandalone(config: Record<string, string | number> = {}): Promise<StandaloneRedis> {
  const dir = makeTempDir('standalone');
  try {
    const node = await startDataNode(join(dir, 'data'), config);
    return {
      host: node.host,
      port: node.port,
      url: `redis://${node.host}:${node.port}`,
      dir,
      node,
      kill: () => node.kill(),
      restart: () => node.restart(),
      async stop() {
        await node.kill();
        removeDir(dir);
      },
    };
  } catch (err) {
    removeDir(dir);
    throw err;
  }
}
