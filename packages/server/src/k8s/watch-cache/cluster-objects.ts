import { setTimeout as sleep } from 'node:timers/promises';
import type { EventHandler } from '../../informer/informer.js';
import type { Logger } from '../../informer/logger.js';
import type { StoredObject } from '../../store/types.js';
import type { JsonObject } from '../../schema/validate.js';
import type { ClusterUpstreams, Upstream } from '../upstream.js';
import { waitUntil } from '../../util/wait-until.js';
import { listObjects, watchObjects, WatchExpiredError, type KubeObject } from './watch.js';

const MAX_BACKOFF_MS = 30_000;

/** Which Kubernetes objects a cache holds, and how each looks to Paddock (id `<clusterId>:<name>`). */
export interface ClusterObjectsSpec {
  /** What they are, for logs: `namespace`, `node`. */
  resource: string;
  /** The collection's API path, e.g. `/api/v1/namespaces`. */
  path: string;
  toObject: (clusterId: string, object: KubeObject) => StoredObject<JsonObject>;
}

/**
 * One kind of every cluster's Kubernetes objects, kept current by one watch per reachable cluster (list, then
 * watch from that version; relist when the version expires; reconnect with backoff when the cluster or its tunnel
 * drops). Reads come from memory; changes are reported to handlers (v3 subscriptions, controllers).
 */
export class ClusterObjects {
  readonly #objects = new Map<string, StoredObject<JsonObject>>();
  readonly #watches = new Map<string, AbortController>();
  readonly #handlers = new Set<EventHandler<JsonObject>>();
  /** Clusters whose objects have been listed since they were (re)watched: their absence means something. */
  readonly #listed = new Set<string>();
  readonly #listedListeners = new Set<(clusterId: string) => void>();

  constructor(
    private readonly spec: ClusterObjectsSpec,
    private readonly upstreams: ClusterUpstreams,
    private readonly logger: Logger,
  ) {}

  get(id: string): StoredObject<JsonObject> | undefined {
    return this.#objects.get(id);
  }

  list(): StoredObject<JsonObject>[] {
    return [...this.#objects.values()];
  }

  /** A cluster's objects, and whether they were listed yet (false: unknown, not none). */
  ofCluster(clusterId: string): { listed: boolean; objects: StoredObject<JsonObject>[] } {
    return { listed: this.#listed.has(clusterId), objects: this.list().filter((o) => o.data.clusterId === clusterId) };
  }

  /** Writes are confirmed by the watch (see `seen`), not by a store revision. */
  waitForRevision(): Promise<void> {
    return Promise.resolve();
  }

  addHandler(handler: EventHandler<JsonObject>): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  /** Calls `listener` with the cluster's id after each listing of its objects. */
  onListed(listener: (clusterId: string) => void): () => void {
    this.#listedListeners.add(listener);
    return () => this.#listedListeners.delete(listener);
  }

  /** Resolves once the watch shows `id` as `check` wants it (a write confirmed), or after `timeoutMs`. */
  async seen(id: string, check: (obj: StoredObject<JsonObject> | undefined) => boolean, timeoutMs = 10_000): Promise<void> {
    await waitUntil(() => check(this.#objects.get(id)), [this], timeoutMs);
  }

  /** Starts watching a cluster (idempotent). */
  watch(clusterId: string): void {
    if (this.#watches.has(clusterId)) return;
    const stop = new AbortController();
    this.#watches.set(clusterId, stop);
    void this.#run(clusterId, stop.signal);
  }

  /** Stops watching a cluster and forgets its objects. */
  forget(clusterId: string): void {
    this.#watches.get(clusterId)?.abort();
    this.#watches.delete(clusterId);
    this.#listed.delete(clusterId);
    for (const [id, obj] of this.#objects) if (obj.data.clusterId === clusterId) this.#remove(id);
  }

  close(): void {
    for (const id of [...this.#watches.keys()]) this.forget(id);
  }

  #put(obj: StoredObject<JsonObject>): void {
    const old = this.#objects.get(obj.id);
    this.#objects.set(obj.id, obj);
    for (const h of this.#handlers) (old ? h.update?.(old, obj) : h.add?.(obj));
  }

  #remove(id: string): void {
    const old = this.#objects.get(id);
    if (!old) return;
    this.#objects.delete(id);
    for (const h of this.#handlers) h.delete?.(old);
  }

  async #run(clusterId: string, signal: AbortSignal): Promise<void> {
    let backoff = 500;
    let version: string | undefined;
    while (!signal.aborted) {
      try {
        const upstream = this.upstreams.get(clusterId);
        if (version === undefined) version = await this.#relist(clusterId, upstream);
        let last = version;
        await watchObjects(
          upstream,
          this.spec.path,
          version,
          (e) => {
            last = e.object.metadata.resourceVersion ?? last;
            if (e.type === 'BOOKMARK') return;
            const obj = this.spec.toObject(clusterId, e.object);
            if (e.type === 'DELETED') this.#remove(obj.id);
            else this.#put(obj);
          },
          signal,
        );
        version = last;
        backoff = 500;
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof WatchExpiredError) {
          version = undefined;
          continue;
        }
        this.logger.debug({ clusterId, err, resource: this.spec.resource }, 'watch failed; retrying');
        // An abort ends the wait early; the loop condition then ends the watch.
        await sleep(backoff, undefined, { signal }).catch((e: unknown) => {
          if (!signal.aborted) throw e;
        });
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  async #relist(clusterId: string, upstream: Upstream): Promise<string> {
    const { items, resourceVersion } = await listObjects(upstream, this.spec.path);
    const present = new Set(items.map((o) => `${clusterId}:${o.metadata.name}`));
    for (const [id, obj] of this.#objects) if (obj.data.clusterId === clusterId && !present.has(id)) this.#remove(id);
    for (const o of items) this.#put(this.spec.toObject(clusterId, o));
    this.#listed.add(clusterId);
    // A listing may change nothing (a cluster with no objects) and still be news: now absence means none.
    for (const listener of this.#listedListeners) listener(clusterId);
    return resourceVersion;
  }
}
