/**
 * Lua scripts of the provenance index's image-number maps; each touches one
 * key (Cluster-safe). The posting buckets use the similarity index's bucket
 * scripts (src/search/scripts.ts: packed fixed-width entries, one copy
 * removed per removal, a cap per bucket).
 */
import type { Cluster, Redis } from 'ioredis';

/**
 * Sets fields of one hash and answers their previous values. ARGV: field,
 * value pairs. Returns one blob: per field a length byte (0 = absent) and the
 * previous value (values are at most 255 bytes).
 */
const SWAP = `
local out = {}
for i = 1, #ARGV, 2 do
  local old = redis.call('HGET', KEYS[1], ARGV[i])
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  if old then out[#out + 1] = string.char(#old) .. old else out[#out + 1] = '\\0' end
end
return table.concat(out)
`;

/** Deletes hash fields whose value is still the expected one. ARGV: field, value pairs. Returns how many were deleted. */
const DELETE_IF = `
local n = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    n = n + redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return n
`;

type Arg = string | Buffer | number;

export interface ProvenanceScripts {
  fcoSwapBuffer(key: string, ...args: Arg[]): Promise<Buffer>;
  fcoDeleteIf(key: string, ...args: Arg[]): Promise<number>;
}

/** Registers the scripts on a client (idempotent). */
export function defineProvenanceScripts(client: Redis | Cluster): void {
  if ((client as unknown as Record<string, unknown>).fcoSwap) return;
  client.defineCommand('fcoSwap', { numberOfKeys: 1, lua: SWAP });
  client.defineCommand('fcoDeleteIf', { numberOfKeys: 1, lua: DELETE_IF });
}
