/**
 * Keeps `cached_images` exact when Redis itself removes records (TTL expiry,
 * maxmemory eviction), which no write path sees. Redis publishes those removals
 * as keyspace notifications (`notify-keyspace-events Exe`); exactly one
 * instance per prefix — the holder of a lease in Redis — subscribes and
 * decrements the counter of each removed record's version. Other instances
 * stand by and take over when the lease lapses.
 *
 * Pub/Sub is at-most-once: events published while no instance listens (a
 * leader change, a dropped connection) are lost and the count drifts up by
 * that many. Nothing recounts yet (a SCAN-based recount is racy against
 * concurrent writes); docs/ARCHITECTURE.md says so.
 */
import { randomUUID } from 'node:crypto';
import { Redis, type Cluster } from 'ioredis';
import type { Logger } from '../types.js';
import type { KeySchema } from '../redis/keys.js';
import { slotOf } from '../redis/slot-tags.js';

// Renews the lease, or re-takes it when it vanished (the lease key has a TTL, so
// volatile-* eviction may remove it); fails only when another instance holds it.
const RENEW = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if holder == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface ExpiryTrackerOptions {
  leaseMs?: number;
  /** Decrements are batched and sent this often. */
  flushMs?: number;
  /** Told which images of which version Redis removed (expiry, eviction). */
  onRemoved?: (version: string, imageIds: string[]) => Promise<void>;
}

export class ExpiryTracker {
  private readonly token = randomUUID();
  private readonly leaseMs: number;
  private readonly flushMs: number;
  private subscribers: Array<Redis> = [];
  private leaseTimer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private pending = new Map<string, number>();
  private removedIds = new Map<string, string[]>();
  private readonly onRemovedIds: ((version: string, imageIds: string[]) => Promise<void>) | undefined;
  private leader = false;
  private stopped = false;
  /** False when Redis refused to enable notifications (managed Redis, ACLs). */
  enabled = true;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly keys: KeySchema,
    private readonly logger: Logger,
    opts: ExpiryTrackerOptions = {},
  ) {
    this.leaseMs = opts.leaseMs ?? 10_000;
    this.flushMs = opts.flushMs ?? 50;
    this.onRemovedIds = opts.onRemoved;
  }

  async start(): Promise<void> {
    await this.ensureNotifications();
    await this.tick();
    this.leaseTimer = setInterval(() => void this.tick(), Math.floor(this.leaseMs / 3));
    this.leaseTimer.unref();
  }

  private isCluster(): boolean {
    return 'slots' in this.client && typeof (this.client).nodes === 'function';
  }

  /** The nodes whose notification settings are checked at start: every master. */
  private watchedNodes(): Redis[] {
    return this.isCluster() ? (this.client as Cluster).nodes('master') : [this.client as Redis];
  }

  /**
   * One subscriber connection per node to watch. On a Cluster that is every node
   * of the slot table, replicas included: a replica publishes no `expired` or
   * `evicted` events (it applies its master's DELs), but once promoted it does,
   * and its subscription is then already in place. (ioredis keeps no connection
   * to replicas when reads go to masters, so they are opened here.) Nodes added
   * to the cluster later are watched once the lease changes hands.
   */
  private async subscriberConnections(): Promise<Redis[]> {
    const extra = { enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null };
    if (!this.isCluster()) return [(this.client as Redis).duplicate(extra)];
    const cluster = this.client as Cluster;
    // CLUSTER NODES lists replicas too (ioredis's slot table holds only masters when reads go to masters)
    const text = String(await cluster.cluster('NODES'));
    const addresses = new Set<string>();
    for (const line of text.split('\n')) {
      const [, address, flags] = line.split(' ');
      if (!address || !flags || /fail|noaddr|handshake/.test(flags)) continue;
      addresses.add(address.split('@')[0]!);
    }
    const base = cluster.options.redisOptions ?? {};
    return [...addresses].map((key) => {
      const sep = key.lastIndexOf(':');
      return new Redis({ ...base, ...extra, host: key.slice(0, sep), port: Number(key.slice(sep + 1)) });
    });
  }

  private async ensureNotifications(): Promise<void> {
    for (const node of this.watchedNodes()) {
      try {
        const policy = ((await node.config('GET', 'maxmemory-policy')))[1] ?? '';
        if (policy.startsWith('allkeys')) {
          // Redis's LRU clock has a 1 s resolution: under allkeys-* a counter is as
          // evictable as any record written in the same second.
          this.enabled = false;
          this.logger.warn(
            { policy },
            'maxmemory-policy is allkeys-*: eviction may remove featcache bookkeeping keys, so cached_images is approximate; use volatile-lru or volatile-lfu',
          );
        }
        const reply = (await node.config('GET', 'notify-keyspace-events'));
        const flags = reply[1] ?? '';
        const has = (c: string) => flags.includes(c) || (flags.includes('A') && c !== 'E' && c !== 'K');
        if (!(flags.includes('E') && has('x') && has('e'))) {
          const next = Array.from(new Set((flags + 'Exe').split(''))).join('');
          await node.config('SET', 'notify-keyspace-events', next);
        }
      } catch (err) {
        this.enabled = false;
        this.logger.warn(
          { err: (err as Error).message },
          'cannot enable keyspace notifications (CONFIG is refused); cached_images will not see TTL expiry or eviction — set notify-keyspace-events Exe in redis.conf',
        );
      }
    }
  }

  /** The lease check in flight, so stop() can wait for it. */
  private ticking: Promise<void> | null = null;

  private tick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.ticking ??= this.checkLease().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async checkLease(): Promise<void> {
    try {
      if (this.leader) {
        const renewed = await this.client.eval(RENEW, 1, this.keys.leader, this.token, this.leaseMs);
        if (Number(renewed) !== 1) await this.stepDown();
      } else {
        const got = await this.client.set(this.keys.leader, this.token, 'PX', this.leaseMs, 'NX');
        // stop() may have run while the SET was in flight: then do not subscribe
        if (got === 'OK' && !this.stopped) await this.becomeLeader();
        else if (got === 'OK') await this.client.eval(RELEASE, 1, this.keys.leader, this.token).catch(() => {});
      }
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'expiry tracker lease check failed');
    }
  }

  private async becomeLeader(): Promise<void> {
    this.leader = true;
    let subs: Redis[];
    try {
      subs = await this.subscriberConnections();
    } catch (err) {
      // no subscribers, no leadership: give the lease back so another instance can take it
      this.leader = false;
      await this.client.eval(RELEASE, 1, this.keys.leader, this.token).catch(() => {});
      throw err;
    }
    this.subscribers = subs;
    const subscribed: Array<Promise<void>> = [];
    for (const sub of subs) {
      sub.on('error', () => {});
      sub.on('message', (_channel: string, key: string) => this.onRemoved(key));
      const db = (sub.options.db ?? 0);
      // ioredis subscribes once it connects and re-subscribes after reconnects
      const done = (async () => {
        if (this.isCluster()) await enableEvents(sub).catch(() => {}); // replicas too: they may be promoted
        await sub.subscribe(`__keyevent@${db}__:expired`, `__keyevent@${db}__:evicted`);
      })().catch((err: unknown) => this.logger.debug({ err: (err as Error).message }, 'expiry subscription failed'));
      subscribed.push(done);
    }
    // normally every node is subscribed before start() returns; a node that is down
    // must not hold up the others (or close()), so the wait is bounded
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(subscribed), new Promise<void>((r) => (timer = setTimeout(r, 1000)))]);
    clearTimeout(timer);
    this.flushTimer = setInterval(() => void this.flush(), this.flushMs);
    this.flushTimer.unref();
    this.logger.debug({}, 'expiry tracker: leader');
  }

  private async stepDown(): Promise<void> {
    this.leader = false;
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = null;
    await this.flush();
    for (const sub of this.subscribers) sub.disconnect();
    this.subscribers = [];
  }

  private onRemoved(key: string): void {
    const parsed = this.keys.parseRecordKey(key);
    if (!parsed) return;
    const counter = this.keys.countOf(parsed.version, this.keys.perSlotCounters ? slotOf(key) : 0);
    this.pending.set(counter, (this.pending.get(counter) ?? 0) + 1);
    if (this.onRemovedIds) {
      const list = this.removedIds.get(parsed.version);
      if (list) list.push(parsed.imageId);
      else this.removedIds.set(parsed.version, [parsed.imageId]);
    }
  }

  /** Sends the pending decrements. Resolves when they are in Redis. */
  async flush(): Promise<void> {
    if (this.removedIds.size > 0 && this.onRemovedIds) {
      const batch = this.removedIds;
      this.removedIds = new Map();
      for (const [version, ids] of batch) await this.onRemovedIds(version, ids);
    }
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await Promise.all([...batch].map(([counter, n]) => this.client.decrby(counter, n)));
    } catch (err) {
      for (const [counter, n] of batch) this.pending.set(counter, (this.pending.get(counter) ?? 0) + n);
      this.logger.debug({ err: (err as Error).message }, 'expiry tracker flush failed');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    await this.ticking;
    if (this.leader) {
      await this.stepDown();
      await this.client.eval(RELEASE, 1, this.keys.leader, this.token).catch(() => {});
    }
  }
}

/** Makes a node publish expiry and eviction events (keeps whatever else is enabled). */
async function enableEvents(node: Redis): Promise<void> {
  const flags = ((await node.config('GET', 'notify-keyspace-events')))[1] ?? '';
  if (flags.includes('E') && (flags.includes('A') || (flags.includes('x') && flags.includes('e')))) return;
  await node.config('SET', 'notify-keyspace-events', Array.from(new Set((flags + 'Exe').split(''))).join(''));
}
