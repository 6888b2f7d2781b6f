/**
 * docker-compose.redis.yml parses and describes the same topology as the
 * native scripts and the redis/ config files (ports, master name, files).
 * No Docker engine is needed: this checks the file, not containers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '..', '..');
const read = (rel: string) => readFileSync(join(root, rel), 'utf8');

interface Service {
  image?: string;
  network_mode?: string;
  profiles?: string[];
  command?: string[] | string;
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(read('docker-compose.redis.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const service = (name: string): Service => {
  const s = services[name];
  if (!s) throw new Error(`service ${name} missing from docker-compose.redis.yml`);
  return s;
};
const argAfter = (args: string[] | string | undefined, flag: string): string | undefined => {
  const list = Array.isArray(args) ? args : [];
  const i = list.indexOf(flag);
  return i >= 0 ? list[i + 1] : undefined;
};

const startScript = read('scripts/start-redis.sh');
const scriptDefault = (name: string): number => {
  const m = new RegExp(`\\$\\{${name}:-(\\d+)\\}`).exec(startScript);
  if (!m?.[1]) throw new Error(`start-redis.sh has no default for ${name}`);
  return Number(m[1]);
};

describe('docker-compose.redis.yml', () => {
  it('uses the same default ports as scripts/start-redis.sh', () => {
    expect(scriptDefault('FEATCACHE_REDIS_PORT')).toBe(6379);
    expect(scriptDefault('FEATCACHE_SENTINEL_PORT')).toBe(26379);
    expect(scriptDefault('FEATCACHE_CLUSTER_PORT')).toBe(7001);
    expect(scriptDefault('FEATCACHE_COMMANDER_PORT')).toBe(8081);
    expect(startScript).toMatch(/^MASTER_NAME=featcache$/m);
  });

  it('runs a master on 6379 and two replicas of it on 6380 and 6381 by default', () => {
    const master = service('redis-master');
    expect(master.profiles).toBeUndefined();
    expect(argAfter(master.command, '--port')).toBe('6379');
    for (const [name, port] of [['redis-replica-1', '6380'], ['redis-replica-2', '6381']] as const) {
      const replica = service(name);
      expect(replica.profiles).toBeUndefined();
      expect(argAfter(replica.command, '--port')).toBe(port);
      const cmd = replica.command as string[];
      expect(cmd.slice(cmd.indexOf('--replicaof') + 1, cmd.indexOf('--replicaof') + 3)).toEqual(['127.0.0.1', '6379']);
      expect(replica.depends_on?.['redis-master']?.condition).toBe('service_healthy');
    }
  });

  it('runs three sentinels on 26379-26381 from writable copies of redis/sentinel.conf', () => {
    const ports = ['redis-sentinel-1', 'redis-sentinel-2', 'redis-sentinel-3'].map((name) => {
      const s = service(name);
      expect(s.profiles).toBeUndefined();
      expect(s.entrypoint?.join(' ')).toContain('--sentinel');
      expect(s.entrypoint?.join(' ')).toContain('cp /usr/local/etc/redis/sentinel.conf /data/');
      return s.environment?.SENTINEL_PORT;
    });
    expect(ports).toEqual(['26379', '26380', '26381']);
    // The mounted sentinel.conf watches master `featcache` at 6379 with quorum 2.
    expect(read('redis/sentinel.conf')).toMatch(/^sentinel monitor featcache 127\.0\.0\.1 6379 2$/m);
  });

  it('has a cluster profile with six nodes on 7001-7006 and a one-shot create of 3 masters + 3 replicas', () => {
    const nodes = Object.entries(services).filter(([name]) => /^redis-cluster-\d$/.test(name));
    expect(nodes.map(([, s]) => argAfter(s.command, '--port'))).toEqual(['7001', '7002', '7003', '7004', '7005', '7006']);
    for (const [, s] of nodes) {
      expect(s.profiles).toEqual(['cluster']);
      expect(argAfter(s.command, '--include')).toBe('/usr/local/etc/redis/cluster/cluster-node.conf');
    }
    const create = service('redis-cluster-create');
    expect(create.profiles).toEqual(['cluster']);
    const script = Array.isArray(create.command) ? create.command.join(' ') : String(create.command);
    expect(script).toContain('--cluster create 127.0.0.1:7001 127.0.0.1:7002 127.0.0.1:7003');
    expect(script).toContain('127.0.0.1:7004 127.0.0.1:7005 127.0.0.1:7006 --cluster-replicas 1 --cluster-yes');
    expect(Object.keys(create.depends_on ?? {}).sort()).toEqual(nodes.map(([name]) => name).sort());
  });

  it('has a commander profile serving Redis Commander on 8081', () => {
    const commander = service('redis-commander');
    expect(commander.profiles).toEqual(['commander']);
    expect(commander.image).toMatch(/^rediscommander\/redis-commander/);
    expect(commander.environment?.PORT).toBe('8081');
  });

  it('uses host networking everywhere so sentinel answers and MOVED redirects are reachable', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.network_mode, name).toBe('host');
      if (name !== 'redis-commander' && name !== 'featcache') expect(s.image, name).toBe('redis:7');
    }
  });

  it('mounts the redis/ config directory, whose files exist', () => {
    for (const [name, s] of Object.entries(services)) {
      if (name === 'redis-commander' || name === 'redis-cluster-create' || name === 'featcache') continue;
      expect(s.volumes, name).toContain('./redis:/usr/local/etc/redis:ro');
    }
    for (const f of ['redis/redis.conf', 'redis/sentinel.conf', 'redis/cluster/cluster-node.conf']) {
      expect(existsSync(join(root, f)), f).toBe(true);
    }
  });
});
