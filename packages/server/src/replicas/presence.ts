import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../informer/logger.js';
import { tolerate } from '../store/tolerate.js';
import { StoreAlreadyExistsError, StoreNotFoundError, type ResourceStore } from '../store/types.js';
import type { TunnelRegistry } from '../tunnel/registry.js';

/** Where each replica says it is alive and which agents' tunnels it holds (never served by the API). */
export const REPLICA_KIND = 'replica';

export interface ReplicaData {
  /** Node ids (and cluster ids, for cluster agents) whose tunnels this replica holds. */
  sessions: string[];
  /** Wall-clock ms of the last write; older than `staleMs` and the replica counts as gone. */
  heartbeatAt: number;
  staleMs: number;
  /** `host:port` where other replicas reach this one (see peer-protocol.ts); unset until it listens. */
  address?: string;
}

export interface ReplicaPresenceOptions {
  store: ResourceStore;
  identity: string;
  registry: TunnelRegistry;
  logger: Logger;
  /** How often the record is written at the latest (sooner when the sessions change). Default 3 s. */
  intervalMs?: number;
  /** Where other replicas reach this one, once known. */
  address?: () => string | undefined;
}

const DEFAULT_INTERVAL_MS = 3_000;
/** A change of sessions is written this soon (changes in between are written together). */
const CHANGE_DELAY_MS = 200;

/**
 * Keeps this replica's record current: its live tunnels, and a heartbeat. The leader's node liveness reads the
 * records of every replica (see tunnel/sessions.ts), so a node whose agent is connected to any live replica is
 * active. The record is removed on a clean stop; a crashed replica's goes stale after three intervals.
 */
export class ReplicaPresence {
  readonly #options: ReplicaPresenceOptions;
  readonly #interval: number;
  #wake: (() => void) | undefined;
  #changed = true;
  #exists = false;

  constructor(options: ReplicaPresenceOptions) {
    this.#options = options;
    this.#interval = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    options.registry.on('change', () => this.touch());
  }

  /** Writes the record soon (something in it changed). */
  touch(): void {
    this.#changed = true;
    this.#wake?.();
  }

  /** Writes until `signal` aborts, then removes the record. */
  async run(signal: AbortSignal): Promise<void> {
    const { store, identity, logger } = this.#options;
    while (!signal.aborted) {
      try {
        await this.#write();
      } catch (err) {
        if (signal.aborted) break;
        logger.warn({ err }, 'could not write this replica\'s presence; trying again');
      }
      await this.#nextChange(signal);
    }
    await tolerate(StoreNotFoundError, store.delete(REPLICA_KIND, identity)).catch((err: unknown) => logger.debug({ err }, 'replica presence not removed; it goes stale'));
  }

  async #write(): Promise<void> {
    const { store, identity, registry } = this.#options;
    this.#changed = false;
    const address = this.#options.address?.();
    const data: ReplicaData = { sessions: registry.ids(), heartbeatAt: Date.now(), staleMs: 3 * this.#interval, ...(address ? { address } : {}) };
    // Created once, then updated: no read before each heartbeat.
    if (this.#exists) {
      await store.update(REPLICA_KIND, identity, data).catch(async (err: unknown) => {
        if (!(err instanceof StoreNotFoundError)) throw err;
        await store.create(REPLICA_KIND, identity, data);
      });
    } else {
      await store.create(REPLICA_KIND, identity, data).catch(async (err: unknown) => {
        // A record left by an earlier process with this identity.
        if (!(err instanceof StoreAlreadyExistsError)) throw err;
        await store.update(REPLICA_KIND, identity, data);
      });
      this.#exists = true;
    }
  }

  /** Waits for the interval, or for a change of sessions (then a moment more, to write several together). */
  async #nextChange(signal: AbortSignal): Promise<void> {
    const changed = new Promise<void>((resolve) => (this.#wake = resolve));
    const waits = [sleep(this.#interval, undefined, { signal }), changed.then(() => sleep(CHANGE_DELAY_MS, undefined, { signal }))];
    if (this.#changed) waits.push(sleep(CHANGE_DELAY_MS, undefined, { signal }));
    // An abort ends the wait early; the caller's loop then ends.
    await Promise.race(waits).catch((e: unknown) => {
      if (!signal.aborted) throw e;
    });
    this.#wake = undefined;
  }
}
