/**
 * A real Redis Cluster for tests: masters x (1 + replicasPerMaster) nodes on
 * free ports in a temp dir, joined with `redis-cli --cluster create`, ready
 * when every node reports cluster_state:ok with all 16384 slots assigned and
 * every replica is in sync.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseInfo, redisCommand, tryCommand } from './resp-command.js';
import {
  freePortBlock,
  HOST,
  makeTempDir,
  removeDir,
  settleAll,
  startDataNode,
  waitFor,
  type NodeAddress,
  type TopologyNode,
} from './topology-common.js';

const execFileAsync = promisify(execFile);
export const CLUSTER_SLOTS = 16384;

export interface ClusterOptions {
  /** Masters (redis-cli needs at least 3). @default 3 */
  masters?: number;
  /** @default 1 */
  replicasPerMaster?: number;
  /** cluster-node-timeout. @default 2000 */
  nodeTimeoutMs?: number;
  /** Extra redis-server config for every node. */
  config?: Record<string, string | number>;
  /** Longest wait for the cluster to become ready. @default 30000 */
  readyTimeoutMs?: number;
}

export interface ClusterMaster extends NodeAddress {
  id: string;
  /** Number of hash slots this master serves. */
  slots: number;
}

export interface RedisClusterTopology {
  nodes: TopologyNode[];
  dir: string;
  /** The `redis` option of createFeatureCache for this cluster (every node as a seed). */
  redisTarget(): { cluster: { nodes: Array<{ host: string; port: number }> } };
  node(port: number): TopologyNode;
  /** SIGKILLs the node on `port`. */
  killNode(port: number): Promise<void>;
  /** Starts the node on `port` again (it rejoins from its nodes.conf). */
  restartNode(port: number): Promise<void>;
  /** Masters serving slots, as a running node sees them. */
  masters(): Promise<ClusterMaster[]>;
  /** Waits until every running node reports cluster_state:ok (see module doc). */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  /** Kills every node and removes the temp dir. */
  stop(): Promise<void>;
}

function countSlots(ranges: string[]): number {
  let n = 0;
  for (const r of ranges) {
    if (r.startsWith('[')) continue; // a slot being imported/migrated
    const [a, b] = r.split('-');
    n += Number(b ?? a) - Number(a) + 1;
  }
  return n;
}

/** Masters with slots in a `CLUSTER NODES` answer from any node (also for clusters the scripts start). */
export async function clusterMasters(host: string, port: number): Promise<ClusterMaster[]> {
  const text = await redisCommand(host, port, ['CLUSTER', 'NODES']);
  if (typeof text !== 'string') throw new Error('CLUSTER NODES did not return text');
  const masters: ClusterMaster[] = [];
  for (const line of text.trim().split('\n')) {
    const [id = '', addr = '', flags = '', , , , , state, ...ranges] = line.trim().split(' ');
    const f = flags.split(',');
    if (!f.includes('master') || f.includes('fail') || state !== 'connected' || ranges.length === 0) continue;
    const hostPort = addr.split('@')[0] ?? '';
    const i = hostPort.lastIndexOf(':');
    masters.push({ id, host: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)), slots: countSlots(ranges) });
  }
  return masters.sort((a, b) => a.port - b.port);
}

/** True when `port` reports cluster_state:ok, all slots, `knownNodes` nodes, and (replica) a synced link. */
export async function clusterNodeReady(host: string, port: number, knownNodes: number): Promise<boolean> {
  const info = parseInfo(await tryCommand(host, port, ['CLUSTER', 'INFO']));
  if (info.cluster_state !== 'ok' || info.cluster_slots_assigned !== String(CLUSTER_SLOTS)) return false;
  if (info.cluster_known_nodes !== String(knownNodes)) return false;
  const repl = parseInfo(await tryCommand(host, port, ['INFO', 'replication']));
  return repl.role === 'master' || (repl.role === 'slave' && repl.master_link_status === 'up');
}

/** Starts a Redis Cluster on free ports; cleans up everything if it fails to become ready. */
export async function startCluster(opts: ClusterOptions = {}): Promise<RedisClusterTopology> {
  const masterCount = opts.masters ?? 3;
  const replicasPerMaster = opts.replicasPerMaster ?? 1;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  const total = masterCount * (1 + replicasPerMaster);
  const dir = makeTempDir('cluster');
  const nodes: TopologyNode[] = [];

  const stop = async () => {
    await settleAll(nodes.map((n) => n.kill()));
    removeDir(dir);
  };

  try {
    // A block below the ephemeral range, bus ports (+10000) included: an
    // OS-picked port can have its bus port taken by any outgoing connection.
    const base = await freePortBlock(total, true);
    await Promise.all(
      Array.from({ length: total }, async (_, i) => {
        const ndir = join(dir, `node-${i + 1}`);
        mkdirSync(ndir);
        const node = await startDataNode(ndir, {
          'cluster-enabled': 'yes',
          'cluster-config-file': 'nodes.conf',
          'cluster-node-timeout': opts.nodeTimeoutMs ?? 2000,
          'cluster-require-full-coverage': 'no',
          'repl-diskless-sync-delay': 0,
          logfile: join(ndir, 'redis.log'),
          loglevel: 'notice',
          ...opts.config,
        }, base + i);
        nodes.push(node);
      }),
    );
    nodes.sort((a, b) => a.port - b.port);

    await execFileAsync(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((n) => `${n.host}:${n.port}`), '--cluster-replicas', String(replicasPerMaster), '--cluster-yes'],
      { timeout: readyTimeoutMs },
    ).catch((err: Error & { stdout?: string }) => {
      throw new Error(`redis-cli --cluster create failed: ${err.message}\n${err.stdout ?? ''}`);
    });

    const node = (port: number): TopologyNode => {
      const n = nodes.find((x) => x.port === port);
      if (!n) throw new Error(`no cluster node on port ${port}`);
      return n;
    };
    const waitUntilReady = (timeoutMs = readyTimeoutMs) =>
      waitFor(
        `cluster_state:ok on every running node (logs in ${dir})`,
        async () => {
          for (const n of nodes) {
            if (n.isRunning() && !(await clusterNodeReady(n.host, n.port, total))) return false;
          }
          return true;
        },
        timeoutMs,
      );

    await waitUntilReady();
    return {
      nodes,
      dir,
      node,
      redisTarget: () => ({ cluster: { nodes: nodes.map((n) => ({ host: n.host, port: n.port })) } }),
      killNode: (port) => node(port).kill(),
      restartNode: (port) => node(port).restart(),
      async masters() {
        const live = nodes.find((n) => n.isRunning());
        if (!live) throw new Error('no cluster node is running');
        return clusterMasters(HOST, live.port);
      },
      waitUntilReady,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
