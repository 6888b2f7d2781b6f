/** Health: is Redis answering, how fast, how full, and what the topology looks like. */
import type { Cluster, Redis } from 'ioredis';
import type { HealthReport, TopologyNode } from '../types.js';
import type { RedisConnection } from '../redis/connection.js';

export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

function addressOf(client: Redis): string {
  const stream = (client as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
  if (stream?.remoteAddress) return `${stream.remoteAddress}:${stream.remotePort}`;
  return `${client.options.host ?? '127.0.0.1'}:${client.options.port ?? 6379}`;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.finally(() => clearTimeout(t)).then(resolve, reject);
  });
}

function num(v: string | undefined): number | null {
  return v === undefined || v === '' || Number.isNaN(Number(v)) ? null : Number(v);
}

/** A report with nothing known yet: the start of every check, and the answer when Redis does not reply. */
export function unhealthyReport(mode: HealthReport['topology']['mode'], reason?: string): HealthReport {
  const report: HealthReport = {
    status: 'unhealthy',
    redis_connected: false,
    latency_ms: null,
    used_memory: null,
    used_memory_human: null,
    connected_clients: null,
    uptime_seconds: null,
    redis_version: null,
    maxmemory_policy: null,
    topology: { mode, master: null, nodes: [] },
  };
  if (reason !== undefined) report.reason = reason;
  return report;
}

export async function checkHealth(conn: RedisConnection, timeoutMs: number): Promise<HealthReport> {
  const base = unhealthyReport(conn.mode);
  try {
    const started = process.hrtime.bigint();
    await withTimeout(conn.client.ping(), timeoutMs, 'PING');
    base.latency_ms = Number(process.hrtime.bigint() - started) / 1e6;
    base.redis_connected = true;
    if (conn.mode === 'cluster') await clusterDetails(conn.client as Cluster, base, timeoutMs);
    else await nodeDetails(conn.client as Redis, base, timeoutMs);
    base.status = base.topology.cluster_state && base.topology.cluster_state !== 'ok' ? 'unhealthy' : 'healthy';
    if (base.status === 'unhealthy') base.reason = `cluster_state is ${base.topology.cluster_state}`;
  } catch (err) {
    base.status = 'unhealthy';
    // a class of failure, never the raw error text (it can name hosts and ports)
    base.reason = `Redis is not answering (${failureKind(err)})`;
  }
  return base;
}

async function nodeDetails(client: Redis, report: HealthReport, timeoutMs: number): Promise<void> {
  const info = parseInfo(await withTimeout(client.info(), timeoutMs, 'INFO'));
  fillFromInfo(report, info);
  const role = info.role === 'master' ? 'master' : info.role === 'slave' ? 'replica' : 'unknown';
  const self = addressOf(client);
  report.topology.master = role === 'master' ? self : info.master_host ? `${info.master_host}:${info.master_port}` : null;
  const nodes: TopologyNode[] = [{ address: self, role, connected: true }];
  for (const [k, v] of Object.entries(info)) {
    const m = /^slave\d+$/.test(k) ? /ip=([^,]+),port=(\d+),state=([^,]+)/.exec(v) : null;
    if (m) nodes.push({ address: `${m[1]}:${m[2]}`, role: 'replica', connected: m[3] === 'online' });
  }
  const sentinels = (client.options as { sentinels?: Array<{ host?: string; port?: number }> }).sentinels;
  for (const s of sentinels ?? []) nodes.push({ address: `${s.host}:${s.port}`, role: 'sentinel', connected: true });
  report.topology.nodes = nodes;
}

async function clusterDetails(cluster: Cluster, report: HealthReport, timeoutMs: number): Promise<void> {
  const clusterInfo = parseInfo(String(await withTimeout(cluster.cluster('INFO'), timeoutMs, 'CLUSTER INFO')));
  report.topology.cluster_state = clusterInfo.cluster_state;
  const masters = new Set(cluster.nodes('master'));
  const nodes = cluster.nodes('all');
  report.topology.nodes = nodes.map((n) => ({
    address: `${n.options.host}:${n.options.port}`,
    role: masters.has(n) ? 'master' : 'replica',
    connected: n.status === 'ready',
  }));
  report.topology.master = null;
  // memory and clients summed over masters
  const infos = await Promise.all(
    [...masters].map((m) => withTimeout(m.info(), timeoutMs, 'INFO').then(parseInfo).catch(() => null)),
  );
  let used = 0;
  let clients = 0;
  for (const info of infos) {
    if (!info) continue;
    used += Number(info.used_memory ?? 0);
    clients += Number(info.connected_clients ?? 0);
  }
  const first = infos.find((i) => i !== null);
  if (first) fillFromInfo(report, first);
  report.used_memory = used;
  report.used_memory_human = `${(used / 1024 / 1024).toFixed(2)}M`;
  report.connected_clients = clients;
}

function fillFromInfo(report: HealthReport, info: Record<string, string>): void {
  report.used_memory = num(info.used_memory);
  report.used_memory_human = info.used_memory_human ?? null;
  report.connected_clients = num(info.connected_clients);
  report.uptime_seconds = num(info.uptime_in_seconds);
  report.redis_version = info.redis_version ?? null;
  report.maxmemory_policy = info.maxmemory_policy ?? null;
}

function failureKind(err: unknown): string {
  const text = `${(err as Error)?.message ?? ''} ${(err as { code?: string })?.code ?? ''}`;
  if (/timed out|ETIMEDOUT/i.test(text)) return 'timeout';
  if (/ECONNREFUSED/.test(text)) return 'connection refused';
  if (/Connection is closed|ECONNRESET|EPIPE|isn't writeable/i.test(text)) return 'connection lost';
  if (/LOADING/.test(text)) return 'loading its data';
  if (/CLUSTERDOWN|MASTERDOWN/.test(text)) return 'cluster or master down';
  return 'error';
}
