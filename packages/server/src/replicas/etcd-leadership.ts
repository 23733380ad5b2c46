import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import type { Etcd3 } from 'etcd3';
import type { Logger } from '../informer/logger.js';
import { waitForKeyChange } from './key-watch.js';
import { EtcdLease } from './lease.js';
import { CampaignRunner, LeadershipEvents, type Leadership, type LeadershipListener } from './leadership.js';

export interface EtcdLeadershipOptions {
  client: Etcd3;
  /** The election's key; outside the store's own prefix (the store owns every key under it). */
  key: string;
  identity?: string;
  /** Lease TTL: how long a dead leader holds the controllers (default 3 s). */
  ttlSeconds?: number;
  requestTimeoutMs?: number;
  logger: Logger;
  /** Monotonic milliseconds (the lease's deadline clock). */
  now?: () => number;
}

const DEFAULT_TTL_SECONDS = 3;
const RETRY_DELAY_MS = 500;

/**
 * Leadership on etcd: the leader is the replica whose lease holds the election key (written only if absent,
 * so one at a time); its term is the revision that created the key. Candidates watch the key and try again
 * the moment it goes (the leader resigned, or its lease expired). Leadership ends when the lease is lost,
 * which the lease knows from its own clock: a leader paused past its lease stands down as soon as it runs.
 */
export class EtcdLeadership implements Leadership {
  readonly identity: string;
  readonly #events = new LeadershipEvents();
  readonly #options: EtcdLeadershipOptions;
  readonly #key: Buffer;
  #lease: EtcdLease | undefined;
  readonly #campaign = new CampaignRunner();

  constructor(options: EtcdLeadershipOptions) {
    this.#options = options;
    this.#key = Buffer.from(options.key);
    this.identity = options.identity ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  }

  campaign(signal: AbortSignal): Promise<void> {
    return this.#campaign.start(signal, (stop) => this.#run(stop));
  }

  isLeader(): boolean {
    // The lease's clock decides, now: a replica paused past its lease is no longer leader when it wakes.
    if (this.#events.term !== undefined && !(this.#lease?.alive() ?? false)) this.#events.lost(this.#lease?.lostReason ?? 'lease lost');
    return this.#events.term !== undefined;
  }

  term(): number | undefined {
    return this.isLeader() ? this.#events.term : undefined;
  }

  onChange(listener: LeadershipListener): () => void {
    return this.#events.add(listener);
  }

  resign(): Promise<void> {
    return this.#campaign.stop();
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { logger } = this.#options;
    while (!signal.aborted) {
      try {
        const lease = await this.#grant();
        this.#lease = lease;
        await this.#holdOrWait(lease, signal).catch(async (err: unknown) => {
          // A lease left alive could hold the key for ever (a txn that timed out here may still have been applied).
          this.#events.lost('etcd unavailable');
          await lease.revoke();
          throw err;
        });
      } catch (err) {
        if (signal.aborted) break;
        logger.warn({ err, identity: this.identity }, 'leader election: etcd unavailable; trying again');
        // An abort ends the wait early; the loop condition then ends the campaign.
        await sleep(RETRY_DELAY_MS, undefined, { signal }).catch((e: unknown) => {
          if (!signal.aborted) throw e;
        });
      }
    }
    this.#events.lost('resigned');
    // Resigning deletes the key with the lease: another replica takes over without waiting for a TTL.
    const error = await this.#lease?.revoke();
    if (error) logger.debug({ err: error }, 'leader election: the lease could not be revoked; it expires by itself');
    this.#lease = undefined;
  }

  #grant(): Promise<EtcdLease> {
    const ttlSeconds = this.#options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    return EtcdLease.grant({
      client: this.#options.client,
      ttlSeconds,
      keepaliveIntervalMs: Math.max(100, Math.floor((ttlSeconds * 1000) / 3)),
      requestTimeoutMs: this.#options.requestTimeoutMs ?? 2_000,
      now: this.#options.now,
    });
  }

  /** With a live lease: take the key if it is free, else wait for it to change; returns when the lease is lost. */
  async #holdOrWait(lease: EtcdLease, signal: AbortSignal): Promise<void> {
    const { client } = this.#options;
    while (!signal.aborted && lease.alive()) {
      const response = await client.kv.txn({
        compare: [{ key: this.#key, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key: this.#key, value: Buffer.from(this.identity), lease: lease.id } }],
        failure: [{ request_range: { key: this.#key } }],
      });
      if (response.succeeded) {
        await this.#lead(lease, Number(response.header.revision), signal);
        return;
      }
      const holder = response.responses[0]?.response_range?.kvs[0];
      if (holder && holder.lease === lease.id) {
        // Our own lease holds the key: an earlier attempt was applied though its answer was lost.
        await this.#lead(lease, Number(holder.create_revision), signal);
        return;
      }
      const revision = Number(holder?.mod_revision ?? response.header.revision);
      // Woken when the key goes (or at least once per TTL, to notice a lost lease of our own).
      await waitForKeyChange(client, this.#key, revision, lease.ttlSeconds * 1000, signal);
    }
  }

  /** Leader from now until the lease is lost or the campaign ends. */
  async #lead(lease: EtcdLease, term: number, signal: AbortSignal): Promise<void> {
    const { logger } = this.#options;
    this.#events.elected(term);
    logger.info({ identity: this.identity, term }, 'elected leader: running the controllers');
    await this.#untilLost(lease, signal);
    if (!signal.aborted) logger.warn({ identity: this.identity, term, reason: lease.lostReason }, 'lost leadership: controllers stopped');
    this.#events.lost(lease.lostReason ?? 'resigned');
  }

  /** Resolves when the lease is lost or the campaign ends, including when either happened already. */
  #untilLost(lease: EtcdLease, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      // A stop that came while the election's txn was in flight has already fired: its event will not come again.
      if (signal.aborted) return resolve();
      let removeLost: () => void = () => undefined;
      const done = (): void => {
        signal.removeEventListener('abort', done);
        removeLost();
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      // Called at once when the lease is already lost.
      removeLost = lease.onLost(done);
    });
  }
}
