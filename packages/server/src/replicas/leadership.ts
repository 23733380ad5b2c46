import { once } from 'node:events';

/**
 * What a replica learns about its leadership. `term` is a fencing token: every new leadership has a
 * larger one than any before it (on etcd, the revision that created the election key).
 */
export type LeadershipEvent =
  | { type: 'elected'; term: number }
  | { type: 'lost'; term: number; reason: string };

export type LeadershipListener = (event: LeadershipEvent) => void;

/**
 * Leadership among Paddock replicas: at most one replica at a time is leader, and only the leader runs
 * the controllers. {@link LocalLeadership} (one process on SQLite) and `LeaderElection` (etcd leases)
 * implement it.
 *
 * Contract:
 * - `campaign(signal)` makes this replica a candidate until `signal` aborts or `resign()` is called, and
 *   resolves then, once leadership (if held) has been given up. One campaign at a time per instance.
 * - Listeners hear `elected` when this replica becomes leader and `lost` (same term) when it stops;
 *   the two alternate, starting with `elected`. Listeners are called synchronously and must not throw.
 * - `isLeader()` is exact at the moment it is called: it compares the clock with the deadline the
 *   leadership is known to be valid until. A replica that was paused (SIGSTOP, a long GC, a blocked event
 *   loop) past that deadline answers false as soon as it runs again, before any timer or I/O callback,
 *   and the `lost` event is emitted from within that call.
 * - `resign()` gives leadership up at once (another replica may take over without waiting for a lease to
 *   expire), ends the campaign, and resolves when both are done. Idempotent.
 */
export interface Leadership {
  /** This replica's name in the election (host, pid and a random suffix unless given). */
  readonly identity: string;
  campaign(signal: AbortSignal): Promise<void>;
  isLeader(): boolean;
  /** The term while leader; undefined otherwise. */
  term(): number | undefined;
  /** Adds a listener; returns a function that removes it. */
  onChange(listener: LeadershipListener): () => void;
  resign(): Promise<void>;
}

/** Listener bookkeeping shared by the implementations: one `elected` / `lost` alternation. */
export class LeadershipEvents {
  readonly #listeners = new Set<LeadershipListener>();
  #term: number | undefined;

  get term(): number | undefined {
    return this.#term;
  }

  add(listener: LeadershipListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  elected(term: number): void {
    if (this.#term !== undefined) throw new Error(`elected for term ${term} while leader of term ${this.#term}`);
    this.#term = term;
    this.#emit({ type: 'elected', term });
  }

  /** Emits `lost` when leader; a no-op otherwise. */
  lost(reason: string): void {
    const term = this.#term;
    if (term === undefined) return;
    this.#term = undefined;
    this.#emit({ type: 'lost', term, reason });
  }

  #emit(event: LeadershipEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }
}

/**
 * One campaign at a time, run until the caller's signal aborts or `stop()` is called; both implementations
 * keep their campaign in one. `start` rejects while a campaign runs, and resolves at once for an aborted signal.
 */
export class CampaignRunner {
  #stop: AbortController | undefined;
  #running: Promise<void> | undefined;

  start(signal: AbortSignal, run: (stop: AbortSignal) => Promise<void>): Promise<void> {
    if (this.#running) return Promise.reject(new Error('already campaigning'));
    if (signal.aborted) return Promise.resolve();
    const stop = new AbortController();
    this.#stop = stop;
    const onAbort = (): void => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.#running = run(stop.signal).finally(() => {
      signal.removeEventListener('abort', onAbort);
      this.#running = undefined;
      this.#stop = undefined;
    });
    return this.#running;
  }

  /** Ends the campaign and resolves once it has ended. Idempotent. */
  async stop(): Promise<void> {
    const running = this.#running;
    this.#stop?.abort();
    await running;
  }
}

/**
 * The leadership of a replica that is alone by construction (the SQLite store belongs to one process):
 * elected (term 1) as soon as it campaigns, until the campaign ends.
 */
export class LocalLeadership implements Leadership {
  readonly identity: string;
  readonly #events = new LeadershipEvents();
  readonly #campaign = new CampaignRunner();

  constructor(identity = 'local') {
    this.identity = identity;
  }

  campaign(signal: AbortSignal): Promise<void> {
    return this.#campaign.start(signal, async (stop) => {
      this.#events.elected(1);
      await once(stop, 'abort');
      this.#events.lost('resigned');
    });
  }

  isLeader(): boolean {
    return this.#events.term !== undefined;
  }

  term(): number | undefined {
    return this.#events.term;
  }

  onChange(listener: LeadershipListener): () => void {
    return this.#events.add(listener);
  }

  resign(): Promise<void> {
    return this.#campaign.stop();
  }
}
