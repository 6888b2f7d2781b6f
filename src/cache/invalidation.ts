/**
 * The connection that keeps the near tier exact: Redis's server-assisted client
 * side caching (CLIENT TRACKING) in broadcast mode for the cache's key prefix,
 * redirected to this same connection, which is subscribed to
 * `__redis__:invalidate`. Redis then names every key under the prefix that is
 * written, deleted, expired or evicted, whoever did it (featcache, a script,
 * redis-cli), and sends null on FLUSHALL/FLUSHDB.
 *
 * RESP2 on purpose: ioredis 6 speaks RESP3 by default but drops RESP3
 * `invalidate` push frames, while the RESP2 redirect form arrives as a plain
 * pub/sub message. The tracking is bound to the connection: after any
 * reconnect it is enabled again before the tier serves anything, and whenever
 * the connection closes, or stops answering the heartbeat, the tier is flushed
 * and bypassed first (`onDown`), so no read is served from a tier that may have
 * missed a message. Through Sentinel the connection follows the master like the
 * cache's own: a failover is a reconnect, hence a flush.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../types.js';

export const INVALIDATE_CHANNEL = '__redis__:invalidate';
/** Pause before retrying a refused CLIENT TRACKING on a new connection. */
const RETRY_SETUP_MS = 5000;

export interface InvalidationHandlers {
  /** Keys written or removed; null: the whole database was flushed. */
  onInvalidate(keys: string[] | null): void;
  /** Messages are delivered from now on (tracking on, channel subscribed). */
  onUp(): void;
  /** Messages may be lost from now on. Called before anything else can run. */
  onDown(reason: string): void;
}

export class InvalidationListener {
  private readonly sub: Redis;
  /** Incremented on every close: a setup that raced a close must not report up. */
  private epoch = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private stopped = false;
  private id: number | null = null;

  constructor(
    client: Redis,
    private readonly prefix: string,
    private readonly h: InvalidationHandlers,
    private readonly logger: Logger,
    private readonly heartbeatMs: number,
  ) {
    // same address, credentials and Sentinel settings as the cache's client
    this.sub = client.duplicate({ protocol: 2, autoResubscribe: false, lazyConnect: true, enableOfflineQueue: true });
    this.sub.on('error', () => {});
    this.sub.on('close', () => this.lost('connection closed'));
    this.sub.on('ready', () => void this.setup());
    this.sub.on('messageBuffer', (channel: Buffer, payload: Buffer[] | Buffer | null) => {
      if (channel.toString() !== INVALIDATE_CHANNEL) return;
      if (payload === null || !Array.isArray(payload)) this.h.onInvalidate(null);
      else this.h.onInvalidate(payload.map((k) => k.toString()));
    });
  }

  /**
   * Connects and enables tracking; resolves once messages are delivered, or
   * after `waitMs` (Redis refusing CLIENT TRACKING, e.g. by ACL, must not stop
   * the cache: the tier then stays bypassed while the listener keeps retrying).
   */
  async start(waitMs: number): Promise<void> {
    const up = new Promise<void>((resolve) => {
      const timer = setTimeout(done, waitMs);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.sub.once('tracking-up', done);
      this.sub.once('end', done);
    });
    await this.sub.connect().catch((err: Error) => this.logger.warn({ err: err.message }, 'near tier: invalidation connection failed; tier bypassed until it connects'));
    await up;
  }

  /** True while messages are delivered (tracking on, channel subscribed). */
  get isUp(): boolean {
    return this.id !== null;
  }

  /** This connection's client id while tracking is on (for CLIENT KILL drills), else null. */
  get clientId(): number | null {
    return this.id;
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.stopHeartbeat();
    this.lost('closed');
    this.sub.disconnect();
    return Promise.resolve();
  }

  private async setup(): Promise<void> {
    const epoch = this.epoch;
    let id: string;
    try {
      id = String(await this.sub.call('CLIENT', 'ID'));
      await this.sub.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', id, 'BCAST', 'PREFIX', this.prefix);
      await this.sub.subscribe(INVALIDATE_CHANNEL);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'near tier: could not enable tracking; tier bypassed, retrying on reconnect');
      // try again on a fresh connection, slowly: a refusal (ACL) will likely repeat
      if (epoch === this.epoch && !this.stopped) setTimeout(() => epoch === this.epoch && !this.stopped && this.sub.disconnect(true), RETRY_SETUP_MS).unref();
      return;
    }
    if (epoch !== this.epoch || this.stopped) return;
    this.id = Number(id);
    this.h.onUp();
    this.sub.emit('tracking-up');
    this.startHeartbeat();
  }

  /**
   * A connection whose peer vanished without a FIN delivers nothing and reports
   * nothing: a PING that is not answered in time counts as a drop.
   */
  private startHeartbeat(): void {
    this.stopHeartbeat();
    const epoch = this.epoch;
    this.heartbeat = setInterval(() => {
      const timer = setTimeout(() => {
        if (epoch !== this.epoch || this.stopped) return;
        this.lost('heartbeat unanswered');
        this.sub.disconnect(true);
      }, this.heartbeatMs);
      timer.unref();
      this.sub.ping().then(
        () => clearTimeout(timer),
        () => {},
      );
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private lost(reason: string): void {
    this.epoch++;
    this.id = null;
    this.stopHeartbeat();
    this.h.onDown(reason);
  }
}
