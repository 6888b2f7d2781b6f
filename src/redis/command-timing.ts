/**
 * Times every command a client sends, for the service's Redis latency
 * histogram. ioredis has no command hook, but every command — single, or queued
 * in a pipeline or a Cluster's per-node pipelines — passes through the client's
 * `sendCommand` with its Command object, whose promise settles on the reply.
 * The time measured is the client's view: from sending to the reply.
 */
import { performance } from 'node:perf_hooks';
import type { Cluster, Command, Redis } from 'ioredis';

/** Called once per answered (or failed) command; `name` is the lower-case command (get, mget, evalsha...). */
export type CommandObserver = (name: string, seconds: number, failed: boolean) => void;

/** Wraps `client.sendCommand` so each command reports to `observe`. */
export function timeCommands(client: Redis | Cluster, observe: CommandObserver): void {
  const send = client.sendCommand.bind(client) as (command: Command, ...rest: unknown[]) => unknown;
  (client as unknown as { sendCommand: typeof send }).sendCommand = (command, ...rest) => {
    const start = performance.now();
    const name = command.name;
    command.promise.then(
      () => observe(name, (performance.now() - start) / 1000, false),
      () => observe(name, (performance.now() - start) / 1000, true),
    );
    return send(command, ...rest);
  };
}
