import type { Duplex } from 'node:stream';
import type { Etcd3, IDuplexStream, ILeaseKeepAliveRequest, ILeaseKeepAliveResponse } from 'etcd3';

/** etcd3 types the keepalive stream narrowly; at run time it is a grpc-js ClientDuplexStream. */
type KeepAliveStream = IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse> & Pick<Duplex, 'writable'>;

export interface EtcdLeaseOptions {
  client: Etcd3;
  /** Requested time to live; etcd may raise it to its minimum (1.5 x its election timeout). */
  ttlSeconds: number;
  /** How often a keepalive is sent. Should be at most a third of the TTL. */
  keepaliveIntervalMs: number;
  /** Deadline of the grant and revoke calls, in ms. */
  requestTimeoutMs: number;
  /** Monotonic milliseconds; it keeps running while the process is stopped. Default performance.now. */
  now?: () => number;
}

/** A keepalive stream that has not answered for this many intervals is replaced. */
const STALE_INTERVALS = 2;
/** Delay before reopening a keepalive stream that failed (another member may answer). */
const REOPEN_DELAY_MS = 100;

/**
 * One etcd lease kept alive over a LeaseKeepAlive stream, with a deadline known locally.
 *
 * Contract:
 * - The deadline is `sentAt + TTL` of the newest answered keepalive (or of the grant), where `sentAt`
 *   is when the request left this process: etcd received it later, so the lease lives at least until
 *   then in etcd too (clock rates being equal). It never moves back.
 * - `alive()` compares the monotonic clock with the deadline at the moment it is called; past it, the
 *   lease is lost then and there (listeners called synchronously), before the expiry timer fires. A
 *   process that was paused past its deadline thus learns it from its first `alive()` call.
 * - The lease is lost (once, with a reason) when etcd answers a keepalive with TTL 0 (expired or
 *   revoked), when the deadline passes without an answer, or when `stop()`/`revoke()` is called.
 * - A keepalive stream that errors, ends, or leaves a keepalive unanswered for two intervals is
 *   replaced (on any member); nothing is retried past the deadline.
 */
export class EtcdLease {
  readonly id: string;
  /** The TTL etcd granted, in seconds. */
  readonly ttlSeconds: number;
  readonly #client: Etcd3;
  readonly #intervalMs: number;
  readonly #requestTimeoutMs: number;
  readonly #now: () => number;
  readonly #listeners = new Set<(reason: string) => void>();
  #deadline: number;
  #lostReason: string | undefined;
  #stream: KeepAliveStream | undefined;
  #opening = false;
  /** When each unanswered keepalive on the current stream was sent, oldest first. */
  #pending: number[] = [];
  #ticker: NodeJS.Timeout | undefined;
  #expiry: NodeJS.Timeout | undefined;
  #reopen: NodeJS.Timeout | undefined;

  private constructor(options: EtcdLeaseOptions, id: string, ttlSeconds: number, sentAt: number) {
    this.#client = options.client;
    this.#intervalMs = options.keepaliveIntervalMs;
    this.#requestTimeoutMs = options.requestTimeoutMs;
    this.#now = options.now ?? (() => performance.now());
    this.id = id;
    this.ttlSeconds = ttlSeconds;
    this.#deadline = sentAt + ttlSeconds * 1000;
  }

  /** Grants a lease and starts keeping it alive. Throws when etcd does not answer. */
  static async grant(options: EtcdLeaseOptions): Promise<EtcdLease> {
    const now = options.now ?? (() => performance.now());
    const sentAt = now();
    const response = await options.client.leaseClient.leaseGrant(
      { TTL: options.ttlSeconds },
      { deadline: Date.now() + options.requestTimeoutMs },
    );
    if (response.error) throw new Error(`etcd refused a lease: ${response.error}`);
    const lease = new EtcdLease(options, response.ID, Number(response.TTL), sentAt);
    lease.#start();
    return lease;
  }

  /** The local deadline (monotonic ms, as `now`). */
  get deadline(): number {
    return this.#deadline;
  }

  /** Why the lease was lost; undefined while it is alive (as of the last check). */
  get lostReason(): string | undefined {
    return this.#lostReason;
  }

  /** True while the deadline has not passed and nothing ended the lease; see the class contract. */
  alive(): boolean {
    if (this.#lostReason !== undefined) return false;
    if (this.#now() < this.#deadline) return true;
    this.#lose(`no keepalive answered within the lease's ${this.ttlSeconds} s`);
    return false;
  }

  /** Calls `listener` once when the lease is lost (at once if it already is); returns a remover. */
  onLost(listener: (reason: string) => void): () => void {
    if (this.#lostReason !== undefined) {
      listener(this.#lostReason);
      return () => undefined;
    }
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Stops keeping the lease alive; etcd expires it (and deletes its keys) after its TTL. */
  stop(reason = 'stopped'): void {
    this.#lose(reason);
  }

  /**
   * Stops and revokes the lease, deleting its keys at once. Best effort: when etcd cannot be told (the lease
   * already expired, or etcd is unreachable) the lease expires by itself within its TTL; the error is returned.
   */
  async revoke(): Promise<Error | undefined> {
    this.#lose('revoked');
    try {
      await this.#client.leaseClient.leaseRevoke({ ID: this.id }, { deadline: Date.now() + this.#requestTimeoutMs });
      return undefined;
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  #start(): void {
    this.#armExpiry();
    this.#ticker = setInterval(() => this.#keepalive(), this.#intervalMs);
    this.#keepalive();
  }

  #keepalive(): void {
    if (!this.alive()) return;
    const stream = this.#stream;
    if (!stream) {
      this.#open();
      return;
    }
    const oldest = this.#pending[0];
    if (oldest !== undefined && this.#now() - oldest > STALE_INTERVALS * this.#intervalMs) {
      this.#drop(stream);
      this.#open();
      return;
    }
    this.#pending.push(this.#now());
    stream.write({ ID: this.id });
  }

  #open(): void {
    if (this.#opening || this.#lostReason !== undefined) return;
    this.#opening = true;
    this.#client.leaseClient.leaseKeepAlive().then(
      (opened) => {
        this.#opening = false;
        const stream = opened as KeepAliveStream;
        if (this.#lostReason !== undefined) return closeStream(stream);
        this.#stream = stream;
        this.#pending = [];
        stream.on('data', (response: ILeaseKeepAliveResponse) => this.#answered(stream, response));
        stream.on('error', () => this.#broken(stream));
        stream.on('end', () => this.#broken(stream));
        this.#keepalive();
      },
      () => {
        this.#opening = false;
        this.#scheduleReopen();
      },
    );
  }

  #answered(stream: KeepAliveStream, response: ILeaseKeepAliveResponse): void {
    if (stream !== this.#stream || this.#lostReason !== undefined) return;
    const sentAt = this.#pending.shift();
    if (sentAt === undefined) return;
    if (Number(response.TTL) <= 0) {
      this.#lose('etcd reports the lease expired');
      return;
    }
    const deadline = sentAt + Number(response.TTL) * 1000;
    if (deadline > this.#deadline) {
      this.#deadline = deadline;
      this.#armExpiry();
    }
  }

  #broken(stream: KeepAliveStream): void {
    if (stream !== this.#stream) return;
    this.#drop(stream);
    this.#scheduleReopen();
  }

  #scheduleReopen(): void {
    if (this.#reopen || this.#lostReason !== undefined) return;
    this.#reopen = setTimeout(() => {
      this.#reopen = undefined;
      this.#keepalive();
    }, REOPEN_DELAY_MS);
  }

  #drop(stream: KeepAliveStream): void {
    if (this.#stream === stream) this.#stream = undefined;
    this.#pending = [];
    closeStream(stream);
  }

  #armExpiry(): void {
    clearTimeout(this.#expiry);
    // +1: a timer may fire a hair early; alive() decides by the clock.
    this.#expiry = setTimeout(() => void this.alive(), Math.max(0, this.#deadline - this.#now()) + 1);
  }

  #lose(reason: string): void {
    if (this.#lostReason !== undefined) return;
    this.#lostReason = reason;
    clearInterval(this.#ticker);
    clearTimeout(this.#expiry);
    clearTimeout(this.#reopen);
    if (this.#stream) this.#drop(this.#stream);
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) listener(reason);
  }
}

/**
 * Ends a stream. The writable side is ended first: etcd3 resets every connection to a member when a
 * still-writable stream reports an error, and cancel() reports CANCELLED.
 */
export function closeStream(stream: { writable: boolean; end(): unknown; on(event: 'error', listener: () => void): unknown; cancel(): void }): void {
  stream.on('error', () => undefined);
  if (stream.writable) stream.end();
  stream.cancel();
}
