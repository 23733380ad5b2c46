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
 * The leadership of a replica that is alone by construction (the SQLite store belongs to one process):
 * elected (term 1) as soon as it campaigns, until the campaign ends.
 */
export class LocalLeadership implements Leadership {
  readonly identity: string;
  readonly #events = new LeadershipEvents();
  #stop: AbortController | undefined;
  #campaign: Promise<void> | undefined;

  constructor(identity = 'local') {
    this.identity = identity;
  }

  campaign(signal: AbortSignal): Promise<void> {
    if (this.#campaign) return Promise.reject(new Error('already campaigning'));
    if (signal.aborted) return Promise.resolve();
    const stop = new AbortController();
    this.#stop = stop;
    const onAbort = (): void => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.#events.elected(1);
    this.#campaign = new Promise<void>((resolve) => {
      stop.signal.addEventListener(
        'abort',
        () => {
          signal.removeEventListener('abort', onAbort);
          this.#events.lost('resigned');
          this.#campaign = undefined;
          this.#stop = undefined;
          resolve();
        },
        { once: true },
      );
    });
    return this.#campaign;
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

  async resign(): Promise<void> {
    const campaign = this.#campaign;
    this.#stop?.abort();
    await campaign;
  }
}
