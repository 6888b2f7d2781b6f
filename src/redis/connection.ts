/**
 * One connection factory per topology: standalone URL or options, Sentinel,
 * Cluster, or the embedded default. Every client gets the settings that make a
 * dead Redis fail fast — without them ioredis queues commands and retries for
 * ever while Redis is down, so callers hang instead of getting REDIS_UNAVAILABLE:
 * a command timeout, one retry per request, and a bounded reconnect backoff.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import type { EmbeddedRedisOptions, Logger, RedisTarget } from '../types.js';
import { startEmbeddedRedis } from './embedded.js';
import type { RedisProcess } from './redis-process.js';
import { timeCommands, type CommandObserver } from './command-timing.js';

export type TopologyMode = 'standalone' | 'sentinel' | 'cluster' | 'embedded';

export interface RedisConnection {
  readonly mode: TopologyMode;
  /** Writes, and reads unless `reader` differs. */
  readonly client: Redis | Cluster;
  /** Reads (a replica connection when Sentinel readFromReplicas is on). */
  readonly reader: Redis | Cluster;
  readonly embedded: RedisProcess | undefined;
  /** Closes the clients, then stops the embedded server if there is one. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  commandTimeoutMs: number;
  /** How long createFeatureCache waits for the first connection. @default 5000 */
  connectTimeoutMs?: number;
  embedded?: EmbeddedRedisOptions;
  /** Told about the embedded server's life (a leftover shut down, a crash, a restart). */
  logger?: Logger;
  /** Told the latency of every command (src/redis/command-timing.ts). */
  onCommand?: CommandObserver;
}

function commonOptions(o: ConnectOptions): RedisOptions {
  return {
    commandTimeout: o.commandTimeoutMs,
    connectTimeout: Math.max(1000, o.commandTimeoutMs),
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 1000),
    // A cache must not take the process down when Redis restarts or is busy loading.
    reconnectOnError: (err: Error) => err.message.startsWith('READONLY'),
  };
}

function isClusterTarget(t: RedisTarget): t is Extract<RedisTarget, { cluster: unknown }> {
  return typeof t === 'object' && t !== null && 'cluster' in t;
}

function isSentinelTarget(t: RedisTarget): t is Extract<RedisTarget, { sentinel: unknown }> {
  return typeof t === 'object' && t !== null && 'sentinel' in t;
}

async function waitReady(client: Redis | Cluster, timeoutMs: number, where: string): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    let lastError: Error | undefined;
    const onError = (err: Error) => {
      lastError = err;
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new FeatureCacheError(
          ErrorCodes.REDIS_UNAVAILABLE,
          `could not connect to Redis (${where}) within ${timeoutMs} ms${lastError ? `: ${lastError.message}` : ''}`,
          { cause: lastError },
        ),
      );
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
    };
    client.on('ready', onReady);
    client.on('error', onError);
  });
}

/** Describes where a target points without credentials (for logs and errors). */
export function describeTarget(target: RedisTarget | undefined): string {
  if (target === undefined) return 'embedded';
  if (typeof target === 'string') {
    try {
      const u = new URL(target);
      return `${u.protocol}//${u.hostname}:${u.port || 6379}`;
    } catch {
      return 'invalid URL';
    }
  }
  if (isClusterTarget(target)) return `cluster of ${target.cluster.nodes.length} seed nodes`;
  if (isSentinelTarget(target)) return `sentinel master ${target.sentinel.name}`;
  const o = target;
  return `${o.host ?? '127.0.0.1'}:${o.port ?? 6379}`;
}

export async function connectRedis(target: RedisTarget | undefined, o: ConnectOptions): Promise<RedisConnection> {
  const common = commonOptions(o);
  const timeout = o.connectTimeoutMs ?? 5000;
  let embedded: RedisProcess | undefined;
  let client: Redis | Cluster;
  let reader: Redis | Cluster | undefined;
  let mode: TopologyMode;

  if (target === undefined) {
    embedded = await startEmbeddedRedis(o.embedded, o.logger);
    client = new Redis({ ...common, host: embedded.host, port: embedded.port });
    mode = 'embedded';
  } else if (typeof target === 'string') {
    if (!/^rediss?:\/\//.test(target)) {
      throw new FeatureCacheError(ErrorCodes.INVALID_OPTIONS, 'redis URL must start with redis:// or rediss://');
    }
    client = new Redis(target, common);
    mode = 'standalone';
  } else if (isClusterTarget(target)) {
    const nodes = target.cluster.nodes;
    client = new Cluster(nodes, {
      scaleReads: 'master',
      enableOfflineQueue: true,
      // retryDelayOnFailover x maxRedirections (10 s) must exceed cluster-node-timeout
      // (5 s in redis/cluster/cluster-node.conf) so a failover completes within the retries
      retryDelayOnFailover: 500,
      retryDelayOnClusterDown: 500,
      retryDelayOnTryAgain: 200,
      maxRedirections: 20,
      slotsRefreshTimeout: Math.max(1000, o.commandTimeoutMs),
      clusterRetryStrategy: (times: number) => Math.min(100 * times, 2000),
      ...target.cluster.options,
      redisOptions: { ...common, ...(target.cluster.tls && { tls: target.cluster.tls }), ...target.cluster.options?.redisOptions },
    });
    mode = 'cluster';
  } else if (isSentinelTarget(target)) {
    const s = target.sentinel;
    const base: RedisOptions = {
      ...common,
      sentinels: s.sentinels,
      name: s.name,
      password: s.password,
      username: s.username,
      sentinelPassword: s.sentinelPassword,
      db: s.db,
      sentinelRetryStrategy: (times: number) => Math.min(100 * times, 1000),
      // after a failover the old master may answer READONLY: reconnect to the new one
      failoverDetector: true,
      // one TLS setting for both hops: the sentinels, and the data node they name
      ...(s.tls && { sentinelTLS: s.tls, tls: s.tls, enableTLSForSentinelMode: true }),
    };
    client = new Redis({ ...base, role: 'master' });
    if (s.readFromReplicas) reader = new Redis({ ...base, role: 'slave', preferredSlaves: undefined });
    mode = 'sentinel';
  } else {
    client = new Redis({ ...common, ...(target) });
    mode = 'standalone';
  }

  // Errors are surfaced per command; the 'error' event must still have a listener
  // or Node would treat a lost connection as an unhandled error.
  const swallow = () => {};
  client.on('error', swallow);
  reader?.on('error', swallow);
  if (o.onCommand) {
    timeCommands(client, o.onCommand);
    if (reader) timeCommands(reader, o.onCommand);
  }

  const close = async () => {
    await Promise.allSettled([quit(client), reader ? quit(reader) : Promise.resolve()]);
    if (embedded) await embedded.stop();
  };

  try {
    await waitReady(client, timeout, describeTarget(target));
    if (reader) await waitReady(reader, timeout, `${describeTarget(target)} replicas`);
  } catch (err) {
    await close();
    throw err;
  }
  return { mode, client, reader: reader ?? client, embedded, close };
}

async function quit(client: Redis | Cluster): Promise<void> {
  try {
    if (client.status === 'ready') {
      await Promise.race([client.quit(), new Promise((r) => setTimeout(r, 1000))]);
    }
  } catch {
    // already gone
  }
  client.disconnect();
}
