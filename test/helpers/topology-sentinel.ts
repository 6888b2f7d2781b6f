/**
 * A real Sentinel group for tests: one master, N replicas and M sentinels on
 * free ports in a temp dir, ready when replicas are in sync and every sentinel
 * sees the master, every replica and every other sentinel.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/redis/redis-process.js';
import { pairsToObject, parseInfo, redisCommand, tryCommand } from './resp-command.js';
import {
  HOST,
  makeTempDir,
  removeDir,
  settleAll,
  startConfigFileNode,
  startDataNode,
  waitFor,
  type NodeAddress,
  type TopologyNode,
} from './topology-common.js';

export interface SentinelGroupOptions {
  /** Replicas of the master. @default 2 */
  replicas?: number;
  /** Sentinels watching the master. @default 3 */
  sentinels?: number;
  /** Sentinels that must agree the master is down. @default majority of `sentinels` */
  quorum?: number;
  /** @default 'featcache' */
  masterName?: string;
  /** sentinel down-after-milliseconds. @default 1000 */
  downAfterMs?: number;
  /** sentinel failover-timeout. @default 5000 */
  failoverTimeoutMs?: number;
  /** Extra redis-server config for the data nodes. */
  config?: Record<string, string | number>;
  /** Longest wait for the group to become ready. @default 20000 */
  readyTimeoutMs?: number;
}

export interface SentinelGroup {
  masterName: string;
  /** The node started as master (after a failover it may be a replica). */
  master: TopologyNode;
  replicas: TopologyNode[];
  sentinels: TopologyNode[];
  /** Temp dir holding every node's files; removed by stop(). */
  dir: string;
  /** The `redis` option of createFeatureCache for this group. */
  redisTarget(): { sentinel: { name: string; sentinels: Array<{ host: string; port: number }> } };
  /** The master the sentinels report now (SENTINEL GET-MASTER-ADDR-BY-NAME). */
  currentMaster(): Promise<NodeAddress>;
  /** SIGKILLs the current master; resolves with its address. */
  killMaster(): Promise<NodeAddress>;
  /** Waits until every running sentinel reports the same master other than `from`, and it answers as master. */
  waitForFailover(from: NodeAddress, timeoutMs?: number): Promise<NodeAddress>;
  /** Waits until every running node agrees on the current master (see module doc). */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  /** The data node (master or replica) on `port`. */
  dataNode(port: number): TopologyNode;
  /** Kills every process and removes the temp dir. */
  stop(): Promise<void>;
}

const sentinelId = () => randomBytes(20).toString('hex');

/** Starts a Sentinel group on free ports; cleans up everything if it fails to become ready. */
export async function startSentinelGroup(opts: SentinelGroupOptions = {}): Promise<SentinelGroup> {
  const replicaCount = opts.replicas ?? 2;
  const sentinelCount = opts.sentinels ?? 3;
  const quorum = opts.quorum ?? Math.floor(sentinelCount / 2) + 1;
  const masterName = opts.masterName ?? 'featcache';
  const readyTimeoutMs = opts.readyTimeoutMs ?? 20_000;
  const dir = makeTempDir('sentinel');
  const dataNodes: TopologyNode[] = [];
  const sentinels: TopologyNode[] = [];

  const stop = async () => {
    await settleAll([...sentinels, ...dataNodes].map((n) => n.kill()));
    removeDir(dir);
  };

  try {
    const nodeConfig = (name: string): Record<string, string | number> => ({
      // Full sync at once instead of waiting 5 s for more replicas.
      'repl-diskless-sync-delay': 0,
      logfile: join(dir, name, 'redis.log'),
      loglevel: 'notice',
      ...opts.config,
    });
    mkdirSync(join(dir, 'master'));
    const master = await startDataNode(join(dir, 'master'), nodeConfig('master'));
    dataNodes.push(master);
    const replicas = await Promise.all(
      Array.from({ length: replicaCount }, async (_, i) => {
        const name = `replica-${i + 1}`;
        mkdirSync(join(dir, name));
        const node = await startDataNode(join(dir, name), { ...nodeConfig(name), replicaof: `${HOST} ${master.port}` });
        dataNodes.push(node);
        return node;
      }),
    );

    // Sentinels learn about each other from hello messages every 2 s; seeding
    // each config with the others (ids we choose) makes the group ready at
    // once. Discovery still runs and the readiness check below is unchanged.
    const ids = Array.from({ length: sentinelCount }, sentinelId);
    const ports: number[] = [];
    while (ports.length < sentinelCount) {
      const p = await freePort();
      if (!ports.includes(p) && !dataNodes.some((n) => n.port === p)) ports.push(p);
    }
    const started = await Promise.all(
      ports.map(async (port, i) => {
        const sdir = join(dir, `sentinel-${port}`);
        mkdirSync(sdir);
        const lines = [
          `port ${port}`,
          `bind ${HOST}`,
          `dir ${sdir}`,
          `logfile ${join(sdir, 'sentinel.log')}`,
          `sentinel myid ${ids[i]}`,
          `sentinel monitor ${masterName} ${HOST} ${master.port} ${quorum}`,
          `sentinel down-after-milliseconds ${masterName} ${opts.downAfterMs ?? 1000}`,
          `sentinel failover-timeout ${masterName} ${opts.failoverTimeoutMs ?? 5000}`,
          `sentinel parallel-syncs ${masterName} 1`,
          ...replicas.map((r) => `sentinel known-replica ${masterName} ${HOST} ${r.port}`),
          ...ports.flatMap((p, j) => (j === i ? [] : [`sentinel known-sentinel ${masterName} ${HOST} ${p} ${ids[j]}`])),
        ];
        const conf = join(sdir, 'sentinel.conf');
        writeFileSync(conf, `${lines.join('\n')}\n`);
        const node = await startConfigFileNode(conf, port, ['--sentinel']);
        sentinels.push(node);
        return node;
      }),
    );

    const currentMaster = async (): Promise<NodeAddress> => {
      for (const s of sentinels) {
        if (!s.isRunning()) continue;
        const reply = await tryCommand(s.host, s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName]);
        if (Array.isArray(reply) && reply.length === 2) return { host: String(reply[0]), port: Number(reply[1]) };
      }
      throw new Error('no running sentinel knows the master');
    };
    const dataNode = (port: number): TopologyNode => {
      const node = dataNodes.find((n) => n.port === port);
      if (!node) throw new Error(`no data node on port ${port}`);
      return node;
    };
    const role = async (n: NodeAddress) => parseInfo(await tryCommand(n.host, n.port, ['INFO', 'replication']));

    const isReady = async (): Promise<boolean> => {
      const m = await currentMaster();
      if ((await role(m)).role !== 'master') return false;
      for (const n of dataNodes) {
        if (!n.isRunning() || n.port === m.port) continue;
        const info = await role(n);
        if (info.role !== 'slave' || info.master_port !== String(m.port) || info.master_link_status !== 'up') return false;
      }
      const liveSentinels = sentinels.filter((s) => s.isRunning());
      for (const s of liveSentinels) {
        const view = pairsToObject(await redisCommand(s.host, s.port, ['SENTINEL', 'MASTER', masterName]));
        if (view.flags !== 'master' || view.port !== String(m.port)) return false;
        if (view['num-slaves'] !== String(replicaCount) || view['num-other-sentinels'] !== String(sentinelCount - 1)) {
          return false;
        }
        const others = await redisCommand(s.host, s.port, ['SENTINEL', 'SENTINELS', masterName]);
        if (!Array.isArray(others)) return false;
        for (const o of others) {
          const flags = pairsToObject(o).flags ?? '';
          const port = Number(pairsToObject(o).port);
          const expectUp = liveSentinels.some((l) => l.port === port);
          if (expectUp && flags !== 'sentinel') return false;
        }
      }
      return true;
    };
    const waitUntilReady = (timeoutMs = readyTimeoutMs) =>
      waitFor(`sentinel group '${masterName}' to be ready (logs in ${dir})`, isReady, timeoutMs);

    await waitUntilReady();
    return {
      masterName,
      master,
      replicas,
      sentinels: started,
      dir,
      redisTarget: () => ({ sentinel: { name: masterName, sentinels: started.map((s) => ({ host: s.host, port: s.port })) } }),
      currentMaster,
      async killMaster() {
        const m = await currentMaster();
        await dataNode(m.port).kill();
        return m;
      },
      async waitForFailover(from, timeoutMs = 20_000) {
        let next: NodeAddress | undefined;
        await waitFor(`every sentinel to report a master other than ${from.host}:${from.port}`, async () => {
          const views = await Promise.all(
            sentinels.filter((s) => s.isRunning()).map((s) =>
              tryCommand(s.host, s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName]),
            ),
          );
          const ports = new Set(views.map((v) => (Array.isArray(v) ? Number(v[1]) : -1)));
          const [port] = [...ports];
          if (ports.size !== 1 || port === undefined || port === -1 || port === from.port) return false;
          next = { host: HOST, port };
          return (await role(next)).role === 'master';
        }, timeoutMs);
        if (!next) throw new Error('unreachable: failover finished without a master');
        return next;
      },
      waitUntilReady,
      dataNode,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
