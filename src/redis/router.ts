/**
 * Groups the keys of a batch into one bucket per (node, hash slot), so a batch
 * costs one pipeline per node, sent to all nodes in parallel, and every
 * multi-key command stays inside one slot (no CROSSSLOT). On a single node
 * there is one node and one bucket.
 */
import type { Cluster, Redis } from 'ioredis';
import { slotOf } from './slot-tags.js';

export interface SlotBucket {
  slot: number;
  /** Positions in the input array. */
  indices: number[];
}

export interface NodeGroup {
  buckets: SlotBucket[];
}

export class KeyRouter {
  readonly isCluster: boolean;

  constructor(private readonly client: Redis | Cluster) {
    this.isCluster = 'slots' in client && Array.isArray((client).slots);
  }

  /**
   * The joined node list of a slot, cached per list: ioredis gives every slot of
   * a range the same array, so a batch joins a handful of lists, not one per
   * slot. ioredis may rewrite a list's master in place (on MOVED), so an entry
   * is used only while the list still starts with the master it was made for.
   */
  private readonly owners = new WeakMap<string[], { master: string | undefined; length: number; joined: string }>();

  private ownerOf(nodes: string[]): string {
    const hit = this.owners.get(nodes);
    if (hit !== undefined && hit.master === nodes[0] && hit.length === nodes.length) return hit.joined;
    const joined = nodes.join(',');
    this.owners.set(nodes, { master: nodes[0], length: nodes.length, joined });
    return joined;
  }

  route(keys: readonly string[]): NodeGroup[] {
    if (!this.isCluster) {
      return [{ buckets: [{ slot: 0, indices: keys.map((_, i) => i) }] }];
    }
    const slots = (this.client as Cluster).slots;
    const bySlot = new Map<number, number[]>();
    keys.forEach((key, i) => {
      const slot = slotOf(key);
      const list = bySlot.get(slot);
      if (list) list.push(i);
      else bySlot.set(slot, [i]);
    });
    const byNode = new Map<string, SlotBucket[]>();
    for (const [slot, indices] of bySlot) {
      // the same grouping ioredis uses to accept a cluster pipeline
      const nodes = slots[slot];
      const owner = nodes ? this.ownerOf(nodes) : `unknown:${slot}`;
      const list = byNode.get(owner);
      if (list) list.push({ slot, indices });
      else byNode.set(owner, [{ slot, indices }]);
    }
    return [...byNode.values()].map((buckets) => ({ buckets }));
  }
}
