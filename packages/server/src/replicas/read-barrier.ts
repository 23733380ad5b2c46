/** The revision of each kind's last write, read linearizably (EtcdStore.kindRevisions). */
export interface KindRevisions {
  kindRevisions(): Promise<Map<string, number>>;
}

/** A kind's watched cache (an Informer). */
export interface RevisionCache {
  readonly kind: string;
  waitForRevision(revision: number, signal?: AbortSignal): Promise<void>;
}

export class ReadBarrierTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`this replica's caches did not catch up with the datastore within ${timeoutMs} ms`);
    this.name = 'ReadBarrierTimeoutError';
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Replicas serve reads from their watch caches, which trail the writes other replicas acknowledged by a few
 * milliseconds. Before a request is served, `wait()` reads each kind's last write revision from etcd and waits
 * until this replica's caches have it, as Kubernetes' consistent reads from cache do: no client then reads
 * anything older than a write acknowledged before its request, whichever replica took the write (a token made
 * by a login on one replica works at once on the others). Requests arriving while a read is in flight share the
 * next one, so a busy replica makes about one etcd read per round trip, not one per request.
 */
export class ReadBarrier {
  readonly #caches: RevisionCache[];
  #inFlight: Promise<void> | undefined;
  #next: Promise<void> | undefined;

  constructor(
    private readonly source: KindRevisions,
    caches: Iterable<RevisionCache>,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    this.#caches = [...caches];
  }

  wait(): Promise<void> {
    if (!this.#inFlight) {
      this.#inFlight = this.#catchUp().finally(() => (this.#inFlight = undefined));
      return this.#inFlight;
    }
    // The read in flight may have started before this request's writes were acknowledged: wait for the next.
    this.#next ??= this.#inFlight
      .catch(() => undefined) // its failure is its own requests'; this one reads again
      .then(() => {
        this.#next = undefined;
        return this.wait();
      });
    return this.#next;
  }

  async #catchUp(): Promise<void> {
    const revisions = await this.source.kindRevisions();
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new ReadBarrierTimeoutError(this.timeoutMs)), this.timeoutMs);
    const waits = this.#caches.flatMap((cache) => {
      const revision = revisions.get(cache.kind);
      return revision === undefined ? [] : [cache.waitForRevision(revision, timeout.signal)];
    });
    try {
      await Promise.all(waits);
    } catch (err) {
      throw timeout.signal.aborted ? timeout.signal.reason : err;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Runs `serve` once the caches have caught up (at once without a barrier, alone on SQLite), or `refuse` with
 * why they could not. Both must handle their own errors.
 */
export function afterCatchingUp(barrier: ReadBarrier | undefined, serve: () => void, refuse: (err: unknown) => void): void {
  if (!barrier) return serve();
  barrier.wait().then(serve, refuse);
}
