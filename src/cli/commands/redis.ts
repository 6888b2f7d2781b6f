/** `featcache redis start|stop`: the native Redis topology scripts (scripts/*-redis.sh). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { ExitCode, UsageError, parse, type Command } from '../usage.js';

const HELP = `Usage: featcache redis <start|stop> [options]

Runs scripts/start-redis.sh or scripts/stop-redis.sh (native redis-server
processes, no Docker; runtime files under .featcache/redis/).

  start             master + 2 replicas + 3 sentinels, waits until ready and
                    prints the environment variables featcache reads
  start --cluster   a 6-node Redis Cluster (3 masters + 3 replicas) instead
  stop              stops everything the start script started
  stop --cluster    only the cluster nodes
  stop --purge      ... and deletes their data
  -h, --help        this help

Ports and folders: FEATCACHE_REDIS_PORT [6379], FEATCACHE_SENTINEL_PORT
[26379], FEATCACHE_CLUSTER_PORT [7001], FEATCACHE_RUN_DIR.
Exit codes: the script's (0 ok, non-zero failure); 2 usage error.
`;

const OPTIONS = {
  cluster: { type: 'boolean' },
  purge: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(argv, OPTIONS);
  if (v.help) {
    process.stdout.write(HELP);
    return ExitCode.OK;
  }
  const action = positionals[0];
  if (positionals.length !== 1 || (action !== 'start' && action !== 'stop')) throw new UsageError('redis takes start or stop');
  if (v.purge && action !== 'stop') throw new UsageError('--purge applies to stop only');
  const args: string[] = [];
  if (v.cluster) args.push('--cluster');
  if (v.purge) args.push('--purge');
  const script = join(packageRoot(), 'scripts', `${action}-redis.sh`);
  return new Promise<number>((resolve) => {
    const child = spawn('bash', [script, ...args], { stdio: 'inherit' });
    child.on('error', (err) => {
      process.stderr.write(`featcache redis: cannot run ${script}: ${err.message}\n`);
      resolve(ExitCode.FAILURE);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? ExitCode.FAILURE : ExitCode.OK)));
  });
}

export const redisCommand: Command = { name: 'redis', summary: 'start or stop the local Redis topology (sentinel or --cluster)', help: HELP, run };
