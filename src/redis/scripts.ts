/**
 * Lua scripts. Each keeps a record and the counter of its version consistent in
 * one atomic step, so `cached_images` stays exact under overwrites and deletes
 * without an extra round trip. Scripts are registered with ioredis's
 * defineCommand (EVALSHA, falling back to EVAL after a failover or SCRIPT FLUSH).
 *
 * Key layout of every script: KEYS[1] is the counter, the rest are records of
 * the same hash slot (on a Cluster) or of any slot (standalone/Sentinel).
 */
import type { Cluster, Redis } from 'ioredis';

/** ARGV: value1, ttlMs1, value2, ttlMs2, ... (ttl 0 = no expiry). Returns records newly created. */
const SET_RECORDS = `
local added = 0
for i = 2, #KEYS do
  local value = ARGV[2 * i - 3]
  local ttl = tonumber(ARGV[2 * i - 2])
  if redis.call('EXISTS', KEYS[i]) == 0 then added = added + 1 end
  if ttl > 0 then
    redis.call('SET', KEYS[i], value, 'PX', ttl)
  else
    redis.call('SET', KEYS[i], value)
  end
end
if added > 0 then redis.call('INCRBY', KEYS[1], added) end
return added
`;

/** Unlinks the records; returns how many existed. */
const DELETE_RECORDS = `
local removed = 0
for i = 2, #KEYS do
  removed = removed + redis.call('UNLINK', KEYS[i])
end
if removed > 0 then redis.call('DECRBY', KEYS[1], removed) end
return removed
`;

/**
 * Compare-and-set of one record, for merge().
 * ARGV: expected bytes ('' = must not exist), new bytes, ttlMs, keepTtl ('1' keeps the current TTL).
 * Returns 1 on success, 0 when the record changed since it was read.
 */
const CAS_RECORD = `
local current = redis.call('GET', KEYS[2])
if current == false then current = '' end
if current ~= ARGV[1] then return 0 end
local ttl = tonumber(ARGV[3])
if current ~= '' and ARGV[4] == '1' then
  redis.call('SET', KEYS[2], ARGV[2], 'KEEPTTL')
elseif ttl > 0 then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
else
  redis.call('SET', KEYS[2], ARGV[2])
end
if current == '' then redis.call('INCR', KEYS[1]) end
return 1
`;

/**
 * Adds members to a group set and keeps the set alive at least as long as its
 * longest-lived member. KEYS[1]: group set. ARGV: ttlMs (0 = no expiry), ids...
 */
const GROUP_ADD = `
local existed = redis.call('EXISTS', KEYS[1])
redis.call('SADD', KEYS[1], unpack(ARGV, 2))
local ttl = tonumber(ARGV[1])
if ttl == 0 then
  redis.call('PERSIST', KEYS[1])
else
  local current = redis.call('PTTL', KEYS[1])
  if existed == 0 or (current >= 0 and current < ttl) then
    redis.call('PEXPIRE', KEYS[1], ttl)
  end
end
return 1
`;

/**
 * A read under the sliding TTL strategy: returns the record and restarts its
 * TTL, but only if it has one. A record written with ttl 0 is pinned and stays
 * pinned (GETEX PX would give it an expiry). KEYS[1]: record. ARGV[1]: ttlMs.
 */
const SLIDE_GET = `
local value = redis.call('GET', KEYS[1])
if value and redis.call('PTTL', KEYS[1]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return value
`;

export interface ScriptCommands {
  fcSetRecords(numKeys: number, ...args: Array<string | Buffer | number>): Promise<number>;
  fcDeleteRecords(numKeys: number, ...args: string[]): Promise<number>;
  fcCasRecord(counter: string, key: string, expected: Buffer | string, next: Buffer, ttlMs: number, keepTtl: string): Promise<number>;
  fcGroupAdd(group: string, ttlMs: number, ...ids: string[]): Promise<number>;
  fcSlideGetBuffer(key: string, ttlMs: number): Promise<Buffer | null>;
}

export function defineScripts(client: Redis | Cluster): void {
  client.defineCommand('fcSetRecords', { lua: SET_RECORDS });
  client.defineCommand('fcDeleteRecords', { lua: DELETE_RECORDS });
  client.defineCommand('fcCasRecord', { numberOfKeys: 2, lua: CAS_RECORD });
  client.defineCommand('fcGroupAdd', { numberOfKeys: 1, lua: GROUP_ADD });
  client.defineCommand('fcSlideGet', { numberOfKeys: 1, lua: SLIDE_GET });
}
