/**
 * The backend of a CLI command, opened through the composition root
 * (src/backend.ts): the environment, with the command's options laid over it
 * as the variables they stand for, -> loadBackendConfig -> openBackend. So a
 * command honours every variable the service honours (REDIS_SENTINELS,
 * REDIS_PASSWORD, FEATCACHE_TTL_SECONDS ...) and never reads one itself.
 */
import { openBackend, type Backend, type BackendOptions } from '../backend.js';
import { DEFAULT_CACHE_OPTIONS } from '../cache/options.js';
import { DEFAULT_EMBEDDED_DIR } from '../redis/embedded.js';
import { ConfigError, loadBackendConfig, type BackendConfig } from '../config.js';
import type { Env } from '../env.js';
import { type RecordSource, type RecordSources, type SourceChoice } from '../sources.js';
import type { FeatureCache } from '../types.js';
import { UsageError } from './usage.js';

/** The options every command with a backend takes, each standing for a variable. */
export const BACKEND_OPTIONS = {
  redis: { type: 'string' },
  'data-dir': { type: 'string' },
  prefix: { type: 'string' },
  'feature-version': { type: 'string' },
} as const;

/** Their help lines. */
export const BACKEND_HELP = `  --redis <url>             redis:// or rediss:// URL    [REDIS_URL; else
                            REDIS_SENTINELS, REDIS_CLUSTER_NODES or embedded]
  --data-dir <dir>          embedded Redis data  [FEATCACHE_DATA_DIR, ${DEFAULT_EMBEDDED_DIR}]
  --prefix <p>              key prefix      [FEATCACHE_PREFIX, ${DEFAULT_CACHE_OPTIONS.prefix}]
  --feature-version <v>     base version    [FEATCACHE_FEATURE_VERSION, ${DEFAULT_CACHE_OPTIONS.featureVersion}]
  Every other variable of docs/HTTP.md applies too (credentials, TTL, ...).`;

/** Option name -> the variable it overrides. */
const VARIABLE_OF: Readonly<Record<string, string>> = {
  redis: 'REDIS_URL',
  'data-dir': 'FEATCACHE_DATA_DIR',
  prefix: 'FEATCACHE_PREFIX',
  'feature-version': 'FEATCACHE_FEATURE_VERSION',
  ttl: 'FEATCACHE_TTL_SECONDS',
  workers: 'FEATCACHE_EXTRACT_WORKERS',
  'max-pixels': 'FEATCACHE_MAX_IMAGE_PIXELS',
  'max-bytes': 'FEATCACHE_MAX_IMAGE_BYTES',
};

/**
 * The environment with the given options laid over it. `--redis` stands for
 * REDIS_URL and so replaces a Sentinel or Cluster setting.
 */
export function commandEnv(values: Readonly<Record<string, unknown>>, env: Env = process.env): Env {
  const out: Record<string, string | undefined> = { ...env };
  for (const [option, variable] of Object.entries(VARIABLE_OF)) {
    const v = values[option];
    if (typeof v !== 'string') continue;
    out[variable] = v;
    if (option === 'redis') {
      delete out.REDIS_SENTINELS;
      delete out.REDIS_CLUSTER_NODES;
    }
  }
  return out;
}

/** loadBackendConfig; an invalid variable or option is a usage error (exit code 2) naming it. */
export function commandConfig(values: Readonly<Record<string, unknown>>, env: Env = process.env): BackendConfig {
  try {
    return loadBackendConfig(commandEnv(values, env));
  } catch (err) {
    if (err instanceof ConfigError) {
      const option = Object.entries(VARIABLE_OF).find(([, variable]) => variable === err.variable)?.[0];
      throw new UsageError(option && typeof values[option] === 'string' ? `--${option}: ${err.message.slice(err.variable.length + 2)}` : err.message);
    }
    throw err;
  }
}

/** Opens the backend of a command; closes it after `use`, whatever happens. */
export async function withBackend<T>(config: BackendConfig, use: (b: Backend) => Promise<T>, opts: BackendOptions = {}): Promise<T> {
  const backend = await openBackend(config, opts);
  try {
    return await use(backend);
  } finally {
    await backend.close();
  }
}

/** `--source`: which records a command reads, one of `allowed`. */
export function sourceOption<S extends SourceChoice>(value: string | undefined, fallback: S, allowed: readonly S[]): S {
  const s = value ?? fallback;
  if (!(allowed as readonly string[]).includes(s)) throw new UsageError(`--source must be ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return s as S;
}

/** The sources a command that reads one index (search, compare) accepts. */
export const ONE_SOURCE: readonly RecordSource[] = ['extracted', 'stored'];

/** The record sources of a backend. */
export function sourcesOfBackend(b: Backend): RecordSources {
  return { stored: b.cache, extracted: b.extracted };
}

/** The cache of one source. */
export function cacheOfSource(b: Backend, source: RecordSource): FeatureCache {
  return source === 'stored' ? b.cache : b.extracted;
}
