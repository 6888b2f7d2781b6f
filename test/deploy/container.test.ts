/**
 * The container files agree with the service, the scripts and the docs: the
 * Dockerfile (multi-stage, Node 20 slim, non-root, HEALTHCHECK on /readyz, the
 * start command of `npm start`), .dockerignore, docker-compose.yml (service +
 * Redis) and the service of docker-compose.redis.yml (through Sentinel). No Docker
 * engine exists here: the files are parsed, and every environment a container
 * would get is validated by the service's own loadConfig.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_SCHEMAS, loadConfig } from '../../src/config.js';
import { envRows } from '../../src/env.js';
import { copyArgs, dockerIgnored, envPairs, execForm, parseDockerfile, type Stage } from '../helpers/dockerfile.js';

const root = join(import.meta.dirname, '..', '..');
const read = (rel: string) => readFileSync(join(root, rel), 'utf8');

interface Service {
  build?: string | { context: string };
  image?: string;
  network_mode?: string;
  profiles?: string[];
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
}
type Compose = { services: Record<string, Service> };

const dockerfile = parseDockerfile(read('Dockerfile'));
const [build, runtime] = dockerfile.stages as [Stage, Stage];
const ops = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op);
const one = (stage: Stage, op: string) => {
  const found = ops(stage, op);
  expect(found, op).toHaveLength(1);
  return found[0]!.args;
};
const imageEnv = Object.assign({}, ...ops(runtime, 'ENV').map((i) => envPairs(i.args))) as Record<string, string>;
const compose = parse(read('docker-compose.yml'), { merge: true }) as Compose;
const redisCompose = parse(read('docker-compose.redis.yml'), { merge: true }) as Compose;
const readme = read('README.md');
const deployDoc = read('docs/DEPLOY.md');

/** Every variable the service reads (src/config.ts's schemas). */
const KNOWN_VARIABLES = new Set(ENV_SCHEMAS.flatMap((schema) => envRows(schema).map((r) => r.variable)));
/** A key the service accepts beyond loopback (16+ characters), standing for the operator's. */
const SAMPLE_KEYS = 'sample-read-key-0123456789:read,sample-write-key-0123456789:write';

/** Compose's interpolation of one value: ${VAR:?msg}, ${VAR:-default}, ${VAR}, from `shell`. */
function interpolate(value: string, shell: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([?-])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
    const v = shell[name];
    if (v !== undefined && v !== '') return v;
    if (kind === '?') throw new Error(`${name} is required: ${rest}`);
    return kind === '-' ? (rest ?? '') : '';
  });
}

/** The environment of a compose service's container: the image's ENV, then the service's. */
function containerEnv(s: Service, shell: Record<string, string> = {}): Record<string, string> {
  const env = Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), shell)]));
  return { ...imageEnv, ...env };
}

describe('Dockerfile', () => {
  it('builds in one stage and runs in another, both on the Node 20 Debian slim image', () => {
    expect(dockerfile.stages).toHaveLength(2);
    for (const stage of dockerfile.stages) expect(stage.image).toMatch(/^node:20(\.\d+)*-(bookworm-)?slim$/);
    expect(build.image).toBe(runtime.image); // same glibc and Node ABI: the native binaries built for one load in the other
    expect(build.name).toBe('build');
  });

  it('installs with npm ci, builds, and prunes the dev dependencies in the build stage', () => {
    const runs = ops(build, 'RUN').map((i) => i.args).join(' && ');
    expect(runs).toMatch(/npm ci\b/);
    expect(runs).toContain('npm run build');
    expect(runs).toMatch(/npm prune --omit=dev/);
    expect(runs.indexOf('npm run build')).toBeLessThan(runs.indexOf('npm prune'));
  });

  it('copies dist and the production node_modules from the build stage, and checks sharp and lz4 load', () => {
    const fromBuild = ops(runtime, 'COPY').map((i) => copyArgs(i.args)).filter((c) => c.from === 'build');
    const copied = fromBuild.flatMap((c) => c.sources);
    expect(copied).toEqual(expect.arrayContaining(['/app/dist', '/app/node_modules', '/app/package.json']));
    const check = ops(runtime, 'RUN').map((i) => i.args).join(' ');
    expect(check).toContain("from 'sharp'");
    expect(check).toContain("from 'lz4-napi'");
    // the check runs before USER: a failing import fails the build
    const order = runtime.instructions.map((i) => i.op);
    expect(order.lastIndexOf('RUN')).toBeLessThan(order.indexOf('USER'));
  });

  it('runs as the non-root user node', () => {
    expect(one(runtime, 'USER')).toBe('node');
    expect(ops(build, 'USER')).toHaveLength(0);
  });

  it('starts the service the way npm start does, with node as PID 1', () => {
    const cmd = execForm(one(runtime, 'CMD'));
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start!;
    expect(start).toBe(`exec ${cmd.join(' ')}`);
    expect(ops(runtime, 'ENTRYPOINT')).toHaveLength(0);
  });

  it('exposes the port the service listens on, which is the documented default', () => {
    const exposed = one(runtime, 'EXPOSE');
    expect(imageEnv.PORT).toBe(exposed);
    expect(String(loadConfig({}).port)).toBe(exposed);
    expect(readme).toContain(`-p ${exposed}:${exposed}`);
  });

  it('sets only variables the service reads, and they are a valid configuration once keys are given', () => {
    for (const name of Object.keys(imageEnv)) expect(KNOWN_VARIABLES.has(name), name).toBe(true);
    expect(imageEnv.HOST).toBe('0.0.0.0');
    // beyond loopback the service refuses to start without keys: the image cannot run keyless by accident
    expect(() => loadConfig({ ...imageEnv, REDIS_URL: 'redis://redis:6379' })).toThrow(/FEATCACHE_API_KEYS/);
    const config = loadConfig({ ...imageEnv, REDIS_URL: 'redis://redis:6379', FEATCACHE_API_KEYS: SAMPLE_KEYS });
    expect(config.host).toBe('0.0.0.0');
  });

  it('checks health on /readyz at the configured port', () => {
    const hc = one(runtime, 'HEALTHCHECK');
    const cmd = execForm(hc);
    expect(hc).toMatch(/^--interval=\S+ --timeout=\S+ --start-period=\S+ --retries=\d+ CMD /);
    expect(cmd[0]).toBe('node');
    expect(cmd.join(' ')).toContain("'http://127.0.0.1:' + (process.env.PORT || 8000) + '/readyz'");
    expect(cmd.join(' ')).toMatch(/r\.ok \? 0 : 1/);
  });

  it('copies from the build context only files that exist and .dockerignore lets through', () => {
    const ignore = read('.dockerignore');
    const sources = dockerfile.stages.flatMap((s) => ops(s, 'COPY').map((i) => copyArgs(i.args)).filter((c) => c.from === undefined).flatMap((c) => c.sources));
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'src']));
    for (const src of sources) {
      expect(existsSync(join(root, src)), src).toBe(true);
      expect(dockerIgnored(ignore, src), src).toBe(false);
    }
    for (const kept of ['src/server.ts', 'redis/redis.conf']) expect(dockerIgnored(ignore, kept), kept).toBe(false);
    for (const out of ['node_modules', 'node_modules/sharp/package.json', 'dist', '.git', '.featcache', '.env', 'clients/python/featcache_client/__pycache__', 'test']) {
      expect(dockerIgnored(ignore, out), out).toBe(true);
    }
  });
});

describe('docker-compose.yml: the service beside one Redis', () => {
  const redis = compose.services.redis!;
  const service = compose.services.featcache!;

  it('builds the image of ./Dockerfile under the name the docs build it with', () => {
    expect(service.build).toBe('.');
    expect(service.image).toBe('featcache');
    expect(readme).toContain('docker build -t featcache .');
  });

  it('starts the service only once Redis is healthy', () => {
    expect(redis.healthcheck?.test.join(' ')).toContain('redis-cli -p 6379 ping');
    expect(service.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
  });

  it('points REDIS_URL at the redis service on the port it listens on, reachable from the compose network', () => {
    const env = containerEnv(service, { FEATCACHE_API_KEYS: SAMPLE_KEYS });
    const url = new URL(env.REDIS_URL!);
    expect(url.hostname).toBe('redis');
    const cmd = redis.command!;
    expect(cmd[cmd.indexOf('--port') + 1]).toBe(url.port);
    expect(cmd[cmd.indexOf('--bind') + 1]).toBe('0.0.0.0'); // redis.conf binds 127.0.0.1
    expect(redis.ports).toBeUndefined(); // protected mode is off: Redis must not be published
  });

  it('publishes the exposed port, and gives a configuration the service accepts', () => {
    const exposed = one(runtime, 'EXPOSE');
    expect(service.ports).toEqual([`${exposed}:${exposed}`]);
    const env = containerEnv(service, { FEATCACHE_API_KEYS: SAMPLE_KEYS });
    for (const name of Object.keys(env)) expect(KNOWN_VARIABLES.has(name), name).toBe(true);
    const config = loadConfig(env);
    expect(config.redis.kind).toBe('url');
    expect(String(config.port)).toBe(exposed);
    expect(config.apiKeys.map((k) => k.scope)).toEqual(['read', 'write']);
  });

  it('refuses to start without keys (compose stops at the missing variable)', () => {
    expect(() => containerEnv(service, {})).toThrow(/FEATCACHE_API_KEYS is required/);
  });

  it('gives in-flight requests their shutdown time before SIGKILL', () => {
    const grace = Number(/^(\d+)s$/.exec(service.stop_grace_period ?? '')?.[1]);
    expect(grace * 1000).toBeGreaterThan(loadConfig({}).shutdownTimeoutMs);
  });
});

describe('docker-compose.redis.yml: the service through Sentinel (profile "service")', () => {
  const service = redisCompose.services.featcache!;
  const sentinels = Object.entries(redisCompose.services).filter(([name]) => name.startsWith('redis-sentinel-'));

  it('uses the same image, host networking and a profile of its own', () => {
    expect(service.build).toBe('.');
    expect(service.image).toBe('featcache');
    expect(service.network_mode).toBe('host');
    expect(service.profiles).toEqual(['service']);
  });

  it('starts once every sentinel is healthy, i.e. knows the master of the group the service asks for', () => {
    expect(Object.keys(service.depends_on ?? {}).sort()).toEqual(sentinels.map(([n]) => n).sort());
    for (const dep of Object.values(service.depends_on ?? {})) expect(dep.condition).toBe('service_healthy');
    const env = containerEnv(service);
    for (const [name, s] of sentinels) expect(s.healthcheck?.test.join(' '), name).toContain(`get-master-addr-by-name ${env.REDIS_SENTINEL_NAME}`);
    expect(read('redis/sentinel.conf')).toMatch(new RegExp(`^sentinel monitor ${env.REDIS_SENTINEL_NAME} `, 'm'));
  });

  it('lists the sentinels of the file, and its default (loopback, no keys) is a configuration the service accepts', () => {
    const env = containerEnv(service);
    for (const name of Object.keys(env)) expect(KNOWN_VARIABLES.has(name), name).toBe(true);
    const config = loadConfig(env);
    expect(config.host).toBe('127.0.0.1');
    expect(config.redis.kind).toBe('sentinel');
    const ports = config.redis.kind === 'sentinel' ? config.redis.sentinels.map((s) => String(s.port)) : [];
    expect(ports).toEqual(sentinels.map(([, s]) => s.environment?.SENTINEL_PORT));
    // beyond loopback it needs keys, like the image
    expect(() => loadConfig(containerEnv(service, { HOST: '0.0.0.0' }))).toThrow(/FEATCACHE_API_KEYS/);
    expect(loadConfig(containerEnv(service, { HOST: '0.0.0.0', FEATCACHE_API_KEYS: SAMPLE_KEYS })).host).toBe('0.0.0.0');
  });
});

describe('the docs', () => {
  it('show how to build and run the image and the compose files', () => {
    for (const doc of [readme, deployDoc]) {
      expect(doc).toContain('docker build -t featcache .');
      expect(doc).toContain('docker compose up');
      expect(doc).toContain('/readyz');
      expect(doc).toContain('FEATCACHE_API_KEYS');
    }
    expect(deployDoc).toContain('--profile service');
    expect(deployDoc).toMatch(/estimate/i);
  });
});
