/**
 * scripts/start-redis.sh and scripts/stop-redis.sh for real, on free port
 * blocks in a temp runtime dir: the topology comes up ready, a second start is
 * a no-op, stop leaves nothing listening, a second stop is fine.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { pingRaw } from '../../src/redis/redis-process.js';
import { pairsToObject, parseInfo, redisCommand } from '../helpers/resp-command.js';
import { CLUSTER_SLOTS, clusterMasters, freePortBlock } from '../helpers/topology.js';
import { makeTempDir, removeDir } from '../helpers/topology-common.js';

const exec = promisify(execFile);
const bash = execFileSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim();
const root = join(import.meta.dirname, '..', '..');
const HOST = '127.0.0.1';
const runDirs: string[] = [];

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function runScript(script: string, args: string[], env: Record<string, string>): Promise<RunResult> {
  try {
    const { stdout, stderr } = await exec(bash, [join(root, 'scripts', script), ...args], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** pid file contents per port dir, to prove a second start spawned nothing. */
function pids(runDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of readdirSync(runDir)) {
    const f = join(runDir, d, 'pid');
    if (existsSync(f)) out[d] = readFileSync(f, 'utf8').trim();
  }
  return out;
}

function newRunDir(): string {
  const dir = makeTempDir('scripts');
  runDirs.push(dir);
  return join(dir, 'redis');
}

afterAll(async () => {
  // Whatever a failed test left behind: stop it through the script, then drop the dirs.
  for (const dir of runDirs) {
    await runScript('stop-redis.sh', [], { FEATCACHE_RUN_DIR: join(dir, 'redis') });
    removeDir(dir);
  }
});

describe('start-redis.sh / stop-redis.sh (sentinel topology)', () => {
  it('starts master + 2 synced replicas + 3 agreeing sentinels, idempotently, and stops them all', async () => {
    const redisPort = await freePortBlock(3);
    let sentinelPort = await freePortBlock(3);
    while (Math.abs(sentinelPort - redisPort) < 3) sentinelPort = await freePortBlock(3);
    const runDir = newRunDir();
    const env = {
      FEATCACHE_RUN_DIR: runDir,
      FEATCACHE_REDIS_PORT: String(redisPort),
      FEATCACHE_SENTINEL_PORT: String(sentinelPort),
    };
    const dataPorts = [redisPort, redisPort + 1, redisPort + 2];
    const sentinelPorts = [sentinelPort, sentinelPort + 1, sentinelPort + 2];

    const first = await runScript('start-redis.sh', [], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`REDIS_SENTINELS=${sentinelPorts.map((p) => `${HOST}:${p}`).join(',')}`);
    expect(first.stdout).toContain('REDIS_SENTINEL_NAME=featcache');
    expect(first.stdout).toContain(`REDIS_URL=redis://${HOST}:${redisPort}`);

    // Ready means ready: replicas in sync, a write reaches both, sentinels agree.
    const master = parseInfo(await redisCommand(HOST, redisPort, ['INFO', 'replication']));
    expect(master.role).toBe('master');
    expect(master.connected_slaves).toBe('2');
    await redisCommand(HOST, redisPort, ['SET', 'fc:script-probe', 'ok']);
    expect(await redisCommand(HOST, redisPort, ['WAIT', 2, 2000])).toBe(2);
    for (const p of dataPorts.slice(1)) {
      const info = parseInfo(await redisCommand(HOST, p, ['INFO', 'replication']));
      expect(info.master_link_status, `replica ${p}`).toBe('up');
      expect(info.master_port).toBe(String(redisPort));
      expect(await redisCommand(HOST, p, ['GET', 'fc:script-probe'])).toBe('ok');
    }
    for (const p of sentinelPorts) {
      const view = pairsToObject(await redisCommand(HOST, p, ['SENTINEL', 'MASTER', 'featcache']));
      expect(view.port, `sentinel ${p}`).toBe(String(redisPort));
      expect(view['num-slaves']).toBe('2');
      expect(view['num-other-sentinels']).toBe('2');
      expect(view.quorum).toBe('2');
    }
    // The sentinels run the repo's config (down-after 5 s, failover-timeout 60 s).
    expect(readFileSync(join(runDir, String(sentinelPort), 'sentinel.conf'), 'utf8')).toMatch(
      /sentinel down-after-milliseconds featcache 5000/,
    );

    const before = pids(runDir);
    expect(Object.keys(before)).toHaveLength(6);
    const second = await runScript('start-redis.sh', [], env);
    expect(second.code).toBe(0);
    expect(second.stdout.match(/ already running \(pid \d+\)/g)).toHaveLength(6);
    expect(pids(runDir)).toEqual(before);

    const stop = await runScript('stop-redis.sh', [], env);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain('6 process(es) stopped');
    for (const p of [...dataPorts, ...sentinelPorts]) expect(await pingRaw(HOST, p), `port ${p}`).toBe(false);
    expect(pids(runDir)).toEqual({});

    const again = await runScript('stop-redis.sh', [], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 process(es) stopped');
  }, 60_000);
});

describe('start-redis.sh --cluster / stop-redis.sh --cluster', () => {
  it('creates 3 masters + 3 replicas covering all slots, idempotently, and stops them all', async () => {
    const clusterPort = await freePortBlock(6, true);
    const runDir = newRunDir();
    const env = { FEATCACHE_RUN_DIR: runDir, FEATCACHE_CLUSTER_PORT: String(clusterPort) };
    const ports = Array.from({ length: 6 }, (_, i) => clusterPort + i);

    const first = await runScript('start-redis.sh', ['--cluster'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`REDIS_CLUSTER_NODES=${ports.map((p) => `${HOST}:${p}`).join(',')}`);

    for (const p of ports) {
      const info = parseInfo(await redisCommand(HOST, p, ['CLUSTER', 'INFO']));
      expect(info.cluster_state, `node ${p}`).toBe('ok');
      expect(info.cluster_known_nodes).toBe('6');
    }
    const masters = await clusterMasters(HOST, clusterPort);
    expect(masters).toHaveLength(3);
    expect(masters.reduce((sum, m) => sum + m.slots, 0)).toBe(CLUSTER_SLOTS);
    const replicaOf = await Promise.all(
      ports.map(async (p) => parseInfo(await redisCommand(HOST, p, ['INFO', 'replication']))),
    );
    expect(replicaOf.filter((r) => r.role === 'slave' && r.master_link_status === 'up')).toHaveLength(3);

    const before = pids(runDir);
    const second = await runScript('start-redis.sh', ['--cluster'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).not.toContain('creating the cluster');
    expect(pids(runDir)).toEqual(before);

    const stop = await runScript('stop-redis.sh', ['--cluster'], env);
    expect(stop.code).toBe(0);
    for (const p of ports) expect(await pingRaw(HOST, p), `port ${p}`).toBe(false);
    expect((await runScript('stop-redis.sh', ['--cluster'], env)).code).toBe(0);
  }, 60_000);
});

describe('start-redis.sh --cluster with a bus port taken', () => {
  it('says which node aborted and why at once, instead of waiting out its timeout', async () => {
    const clusterPort = await freePortBlock(6, true);
    const runDir = newRunDir();
    // Something else holds the third node's cluster bus port (+10000).
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(clusterPort + 2 + 10000, HOST, resolve));
    try {
      const env = { FEATCACHE_RUN_DIR: runDir, FEATCACHE_CLUSTER_PORT: String(clusterPort), FEATCACHE_WAIT_SECONDS: '50' };
      const started = Date.now();
      const r = await runScript('start-redis.sh', ['--cluster'], env);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`redis-server on port ${clusterPort + 2} aborted at start`);
      expect(r.stderr).toContain('Address already in use');
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      squatter.close();
      await runScript('stop-redis.sh', ['--cluster'], { FEATCACHE_RUN_DIR: runDir, FEATCACHE_CLUSTER_PORT: String(clusterPort) });
    }
    for (let i = 0; i < 6; i++) expect(await pingRaw(HOST, clusterPort + i), `port ${clusterPort + i}`).toBe(false);
  }, 60_000);
});

describe('start-redis.sh without Redis installed', () => {
  it('exits non-zero and says how to install redis-server', async () => {
    const bin = join(makeTempDir('nobin'), 'bin');
    runDirs.push(join(bin, '..'));
    mkdirSync(bin);
    const dirname = execFileSync('sh', ['-c', 'command -v dirname'], { encoding: 'utf8' }).trim();
    symlinkSync(dirname, join(bin, 'dirname'));
    const r = await runScript('start-redis.sh', [], { PATH: bin, FEATCACHE_RUN_DIR: join(bin, '..', 'run') });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('redis-server not found');
    expect(r.stderr).toContain('apt-get install');
  });
});
