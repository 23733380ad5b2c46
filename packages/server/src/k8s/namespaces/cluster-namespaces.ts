import { setTimeout as sleep } from 'node:timers/promises';
import type { EventHandler } from '../../informer/informer.js';
import type { Logger } from '../../informer/logger.js';
import type { StoredObject } from '../../store/types.js';
import type { JsonObject } from '../../schema/validate.js';
import { PROJECT_ANNOTATION } from '../rbac-sync/desired.js';
import type { ClusterUpstreams } from '../upstream.js';
import { waitUntil } from '../../util/wait-until.js';
import { listObjects, watchObjects, WatchExpiredError, type KubeObject } from './watch.js';

const DESCRIPTION_ANNOTATION = 'field.cattle.io/description';
const MAX_BACKOFF_MS = 30_000;

/** A namespace as the v3 API shows it: id `<clusterId>:<name>`. */
export function toNamespace(clusterId: string, ns: KubeObject): StoredObject<JsonObject> {
  const { name, annotations = {}, labels = {}, creationTimestamp, resourceVersion, uid } = ns.metadata;
  const terminating = ns.status?.phase === 'Terminating';
  return {
    kind: 'namespace',
    id: `${clusterId}:${name}`,
    resourceVersion: Number(resourceVersion ?? 0),
    created: creationTimestamp ?? '',
    data: {
      name,
      clusterId,
      projectId: annotations[PROJECT_ANNOTATION] ?? null,
      description: annotations[DESCRIPTION_ANNOTATION] ?? '',
      labels,
      annotations,
      uuid: uid ?? '',
      conditions: [{ type: 'Ready', status: terminating ? 'False' : 'True', reason: terminating ? 'Terminating' : '', message: terminating ? 'namespace is being deleted' : '' }],
      ...(terminating ? { removed: creationTimestamp ?? new Date(0).toISOString() } : {}),
    },
  };
}

/**
 * Every cluster's namespaces, kept current by one Kubernetes watch per reachable cluster (list, then watch
 * from that version; relist when the version expires; reconnect with backoff when the cluster or its
 * tunnel drops). Reads come from memory; changes are reported to handlers (the v3 subscription).
 */
export class ClusterNamespaces {
  readonly #objects = new Map<string, StoredObject<JsonObject>>();
  readonly #watches = new Map<string, AbortController>();
  readonly #handlers = new Set<EventHandler<JsonObject>>();

  constructor(
    private readonly upstreams: ClusterUpstreams,
    private readonly logger: Logger,
  ) {}

  get(id: string): StoredObject<JsonObject> | undefined {
    return this.#objects.get(id);
  }

  list(): StoredObject<JsonObject>[] {
    return [...this.#objects.values()];
  }

  /** Writes are confirmed by the watch (see `seen`), not by a store revision. */
  waitForRevision(): Promise<void> {
    return Promise.resolve();
  }

  addHandler(handler: EventHandler<JsonObject>): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
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

  /** Stops watching a cluster and forgets its namespaces. */
  forget(clusterId: string): void {
    this.#watches.get(clusterId)?.abort();
    this.#watches.delete(clusterId);
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
          '/api/v1/namespaces',
          version,
          (e) => {
            last = e.object.metadata.resourceVersion ?? last;
            if (e.type === 'BOOKMARK') return;
            const obj = toNamespace(clusterId, e.object);
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
        this.logger.debug({ clusterId, err }, 'namespace watch failed; retrying');
        // An abort ends the wait early; the loop condition then ends the watch.
        await sleep(backoff, undefined, { signal }).catch((e: unknown) => {
          if (!signal.aborted) throw e;
        });
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  async #relist(clusterId: string, upstream: Parameters<typeof listObjects>[0]): Promise<string> {
    const { items, resourceVersion } = await listObjects(upstream, '/api/v1/namespaces');
    const present = new Set(items.map((ns) => `${clusterId}:${ns.metadata.name}`));
    for (const [id, obj] of this.#objects) if (obj.data.clusterId === clusterId && !present.has(id)) this.#remove(id);
    for (const ns of items) this.#put(toNamespace(clusterId, ns));
    return resourceVersion;
  }
}
