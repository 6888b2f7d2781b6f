/**
 * Lua scripts of the similarity index. Each touches one key (a table shard or a
 * dictionary shard), so they are Cluster-safe; they are registered with
 * ioredis's defineCommand (EVALSHA with EVAL fallback).
 */
import type { Cluster, Redis } from 'ioredis';

/**
 * Upserts entries into packed buckets of one table shard.
 * ARGV: width, cap, then (bucket, entry) pairs. An entry with the same ordinal
 * is replaced in place; a bucket holding `cap` entries gets a sentinel entry
 * (ordinal 0xffffffff) instead of new ones. Returns the number of entries refused.
 */
const BUCKET_ADD = `
local w = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local sentinel = '\\255\\255\\255\\255'
local refused = 0
for i = 3, #ARGV, 2 do
  local f, e = ARGV[i], ARGV[i + 1]
  local v = redis.call('HGET', KEYS[1], f) or ''
  local ord = string.sub(e, 1, 4)
  local n = #v / w
  local found = false
  for j = 0, n - 1 do
    if string.sub(v, j * w + 1, j * w + 4) == ord then
      v = string.sub(v, 1, j * w) .. e .. string.sub(v, (j + 1) * w + 1)
      found = true
      break
    end
  end
  if not found then
    if n > 0 and string.sub(v, (n - 1) * w + 1, (n - 1) * w + 4) == sentinel then
      refused = refused + 1
    elseif n >= cap then
      v = v .. sentinel .. string.rep('\\0', w - 4)
      refused = refused + 1
    else
      v = v .. e
    end
  end
  redis.call('HSET', KEYS[1], f, v)
end
return refused
`;

/** Removes entries by ordinal. ARGV: width, then (bucket, ordinal) pairs. Returns entries removed. */
const BUCKET_REMOVE = `
local w = tonumber(ARGV[1])
local removed = 0
for i = 2, #ARGV, 2 do
  local f, ord = ARGV[i], ARGV[i + 1]
  local v = redis.call('HGET', KEYS[1], f)
  if v then
    local n = #v / w
    for j = 0, n - 1 do
      if string.sub(v, j * w + 1, j * w + 4) == ord then
        v = string.sub(v, 1, j * w) .. string.sub(v, (j + 1) * w + 1)
        removed = removed + 1
        break
      end
    end
    if #v == 0 then redis.call('HDEL', KEYS[1], f) else redis.call('HSET', KEYS[1], f, v) end
  end
end
return removed
`;

/**
 * Assigns (or finds) the slot of each image in one dictionary shard and stores
 * its hash. ARGV: maxSlot, then (imageId, hash8) pairs. Returns, per image,
 * slot (4 bytes) and the previous hash ('' when new).
 */
const DICT_PUT = `
local maxSlot = tonumber(ARGV[1])
local out = {}
for i = 2, #ARGV, 2 do
  local id, h = ARGV[i], ARGV[i + 1]
  local cur = redis.call('HGET', KEYS[1], id)
  if cur then
    local slot = string.sub(cur, 9, 12)
    if string.sub(cur, 1, 8) ~= h then redis.call('HSET', KEYS[1], id, h .. slot) end
    out[#out + 1] = slot
    out[#out + 1] = string.sub(cur, 1, 8)
  else
    local n = tonumber(redis.call('HGET', KEYS[1], '\\0') or '0')
    local slot = n
    if n <= maxSlot then
      redis.call('HSET', KEYS[1], '\\0', n + 1)
    else
      local used = {}
      local all = redis.call('HGETALL', KEYS[1])
      for j = 1, #all, 2 do
        if all[j] ~= '\\0' then used[struct.unpack('>I4', all[j + 1], 9)] = true end
      end
      slot = 0
      while used[slot] do slot = slot + 1 end
      if slot > maxSlot then return redis.error_reply('ERR similarity dictionary shard is full') end
    end
    local sb = struct.pack('>I4', slot)
    redis.call('HSET', KEYS[1], id, h .. sb)
    out[#out + 1] = sb
    out[#out + 1] = ''
  end
end
return out
`;

/** Deletes images whose stored value is still the expected one. ARGV: (imageId, value) pairs. */
const DICT_DELETE = `
local removed = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    removed = removed + redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return removed
`;

/** Slots -> (imageId, hash8) of one dictionary shard ('' , '' when free). ARGV: slots (4 bytes each). */
const DICT_RESOLVE = `
local all = redis.call('HGETALL', KEYS[1])
local bySlot = {}
for j = 1, #all, 2 do
  if all[j] ~= '\\0' then bySlot[string.sub(all[j + 1], 9, 12)] = j end
end
local out = {}
for i = 1, #ARGV do
  local j = bySlot[ARGV[i]]
  if j then
    out[#out + 1] = all[j]
    out[#out + 1] = string.sub(all[j + 1], 1, 8)
  else
    out[#out + 1] = ''
    out[#out + 1] = ''
  end
end
return out
`;

type Arg = string | Buffer | number;

export interface SimilarityScripts {
  fcxBucketAdd(key: string, ...args: Arg[]): Promise<number>;
  fcxBucketRemove(key: string, ...args: Arg[]): Promise<number>;
  fcxDictPutBuffer(key: string, ...args: Arg[]): Promise<Buffer[]>;
  fcxDictDelete(key: string, ...args: Arg[]): Promise<number>;
  fcxDictResolveBuffer(key: string, ...args: Arg[]): Promise<Buffer[]>;
}

/** Registers the scripts on a client (idempotent). */
export function defineSimilarityScripts(client: Redis | Cluster): void {
  if ((client as unknown as Record<string, unknown>).fcxBucketAdd) return;
  client.defineCommand('fcxBucketAdd', { numberOfKeys: 1, lua: BUCKET_ADD });
  client.defineCommand('fcxBucketRemove', { numberOfKeys: 1, lua: BUCKET_REMOVE });
  client.defineCommand('fcxDictPut', { numberOfKeys: 1, lua: DICT_PUT });
  client.defineCommand('fcxDictDelete', { numberOfKeys: 1, lua: DICT_DELETE });
  client.defineCommand('fcxDictResolve', { numberOfKeys: 1, lua: DICT_RESOLVE });
}
