/**
 * Cluster fast path: one request per master for a whole batch chunk (reads
 * and writes). Redis
 * Cluster forbids MGET across hash slots, and a batch of 100 random image IDs
 * touches ~100 slots, so the portable path is a pipeline of ~33 GETs per
 * node. Redis 7 lets a script flagged `allow-cross-slot-keys` read keys of
 * every slot its node serves; one EVALSHA per master then replaces the 33 GETs
 * (measured: ~2.5x the batch-read throughput of the pipeline on a 3-master
 * cluster, bench/cluster-bench.ts).
 *
 * The keys travel as ARGV (that is what the flag is for), so Redis cannot
 * redirect the call: when a slot moved, the script fails with "non local key"
 * and the caller falls back to the pipeline path, which follows MOVED/ASK and
 * refreshes ioredis's slot map. On Redis < 7 (no script flags) the fast path
 * switches itself off after the first failure.
 */
import type { Cluster, Redis } from 'ioredis';
import { mapRedisError } from './map-error.js';

const READ_RECORDS = `#!lua flags=no-writes,allow-cross-slot-keys
local out = {}
for i = 1, #ARGV do out[i] = redis.call('GET', ARGV[i]) end
return out
`;

/** READ_RECORDS with each key's PTTL after its value (the near tier's fills). */
const READ_RECORDS_TTL = `#!lua flags=no-writes,allow-cross-slot-keys
local out = {}
for i = 1, #ARGV do
  out[2 * i - 1] = redis.call('GET', ARGV[i])
  out[2 * i] = redis.call('PTTL', ARGV[i])
end
return out
`;

/**
 * fcSetRecords for many slots of one node. ARGV: bucketCount, then per bucket:
 * counter key, n, then n x (record key, value, ttlMs). Returns records newly
 * created. Idempotent like fcSetRecords: a retry after a partial run (a key that
 * turned out not to be local) does not count a record twice.
 */
const SET_RECORDS = `#!lua flags=allow-cross-slot-keys
local pos = 2
local total = 0
for b = 1, tonumber(ARGV[1]) do
  local counter = ARGV[pos]
  local n = tonumber(ARGV[pos + 1])
  pos = pos + 2
  local added = 0
  for i = 1, n do
    local key = ARGV[pos]
    local ttl = tonumber(ARGV[pos + 2])
    if redis.call('EXISTS', key) == 0 then added = added + 1 end
    if ttl > 0 then
      redis.call('SET', key, ARGV[pos + 1], 'PX', ttl)
    else
      redis.call('SET', key, ARGV[pos + 1])
    end
    pos = pos + 3
  end
  if added > 0 then redis.call('INCRBY', counter, added) end
  total = total + added
end
return total
`;

/** Sums integer string keys (the per-slot record counters) of one node. ARGV: keys. */
const SUM_COUNTERS = `#!lua flags=no-writes,allow-cross-slot-keys
local sum = 0
for i = 1, #ARGV do
  local v = redis.call('GET', ARGV[i])
  if v then sum = sum + tonumber(v) end
end
return sum
`;

/** A master connection with the node-local scripts defined on it. */
export type LocalNode = Redis & {
  fcLocalGetBuffer(numKeys: number, ...keys: string[]): Promise<Array<Buffer | null>>;
  fcLocalGetTtlBuffer(numKeys: number, ...keys: string[]): Promise<Array<Buffer | number | null>>;
  fcLocalSet(numKeys: number, ...args: Array<string | Buffer | number>): Promise<number>;
  fcLocalSum(numKeys: number, ...keys: string[]): Promise<number>;
};

export class NodeLocal {
  private readonly defined = new WeakSet<Redis>();
  private readonly masters = new Map<string, Redis>();
  private enabled = true;

  constructor(private readonly cluster: Cluster) {}

  /**
   * Reads `keys` (all served by one master, e.g. one KeyRouter group) with one
   * script call on that master. Resolves null when the fast path cannot be used
   * or failed; the caller then uses the portable pipeline.
   */
  async read(keys: string[], slot: number): Promise<Array<Buffer | null> | null> {
    const node = this.node(slot);
    if (!node) return null;
    try {
      return await node.fcLocalGetBuffer(0, ...keys);
    } catch (err) {
      this.failed(err);
      return null;
    }
  }

  /** Values and PTTLs of `keys`, interleaved (value, ttl, value, ttl ...); null as for read(). */
  async readWithTtl(keys: string[], slot: number): Promise<Array<Buffer | number | null> | null> {
    const node = this.node(slot);
    if (!node) return null;
    try {
      return await node.fcLocalGetTtlBuffer(0, ...keys);
    } catch (err) {
      this.failed(err);
      return null;
    }
  }

  /** Sum of the integer values of `keys` (all on the master of `slot`); null as for read(). */
  async sum(keys: string[], slot: number): Promise<number | null> {
    const node = this.node(slot);
    if (!node) return null;
    try {
      return Number(await node.fcLocalSum(0, ...keys));
    } catch (err) {
      this.failed(err);
      return null;
    }
  }

  /**
   * The ready connection of the master that ioredis maps `slot` to, with the
   * scripts defined; null when the fast path is off or the node is not ready.
   */
  node(slot: number): LocalNode | null {
    if (!this.enabled) return null;
    const owner = this.cluster.slots[slot]?.[0];
    if (!owner) return null;
    let node = this.masters.get(owner);
    if (node === undefined || node.status === 'end') {
      // ioredis's master connections, by address; rebuilt when an address is new
      this.masters.clear();
      for (const m of this.cluster.nodes('master')) this.masters.set(`${m.options.host}:${m.options.port}`, m);
      node = this.masters.get(owner);
    }
    if (node === undefined || node.status !== 'ready') return null;
    if (!this.defined.has(node)) {
      node.defineCommand('fcLocalGet', { lua: READ_RECORDS });
      node.defineCommand('fcLocalGetTtl', { lua: READ_RECORDS_TTL });
      node.defineCommand('fcLocalSet', { lua: SET_RECORDS });
      node.defineCommand('fcLocalSum', { lua: SUM_COUNTERS });
      this.defined.add(node);
    }
    return node as LocalNode;
  }

  /**
   * Notes a fast-path failure: the master map is rebuilt on the next call (a
   * failover may have turned a master into a replica), and on Redis < 7 (no
   * script flags) the fast path switches off for good. A timeout is thrown on
   * instead of answered with a fallback: the node is slow, not moved, and the
   * pipeline would wait out a second timeout on the same node.
   */
  failed(err: unknown): void {
    if (err instanceof Error && err.message.includes('Command timed out')) throw mapRedisError(err, 'cluster fast path');
    this.masters.clear();
    if (/shebang|Error compiling|Unknown lua/i.test(String((err as Error)?.message))) this.enabled = false;
  }
}
