/**
 * For every Redis Cluster hash slot, a short string that hashes to it. A key
 * `...{tag}` then lives in that slot, which lets a record and the counter it is
 * counted in share a slot, so one Lua script can update both atomically.
 */
import calculateSlot from 'cluster-key-slot';

export const SLOT_COUNT = 16384;

let tags: string[] | null = null;

function buildTags(): string[] {
  const table = new Array<string | undefined>(SLOT_COUNT);
  let found = 0;
  for (let i = 0; found < SLOT_COUNT; i++) {
    const candidate = i.toString(36);
    const slot = calculateSlot(candidate);
    if (table[slot] === undefined) {
      table[slot] = candidate;
      found++;
    }
  }
  return table as string[];
}

export function slotTag(slot: number): string {
  tags ??= buildTags();
  const tag = tags[slot];
  if (tag === undefined) throw new RangeError(`slot ${slot} out of range`);
  return tag;
}

export function slotOf(key: string | Buffer): number {
  return calculateSlot(key);
}
