import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Informer } from '../informer/informer.js';
import type { StoredObject } from '../store/types.js';
import type { TunnelRegistry } from '../tunnel/registry.js';
import type { DialVia } from '../tunnel/dialer.js';
import type { NodeSessions } from '../tunnel/sessions.js';
import type { ReplicaData } from './presence.js';

/**
 * Replicas: a node is connected while this replica or any live replica (its presence record fresh, see
 * replicas/presence.ts) holds its tunnel. Freshness is judged by this replica's own clock, from when it last saw a
 * record change (replicas' wall clocks may differ), so a crashed replica's nodes turn unavailable once its record
 * has not changed for its `staleMs`.
 */
export class ReplicaSessions implements NodeSessions {
  readonly #events = new EventEmitter<{ change: [nodeId: string] }>();
  /** Node id (or cluster id, for a cluster agent) -> the other live replicas that list it. */
  readonly #elsewhere = new Map<string, Set<string>>();
  /** Cluster id -> the other live replicas holding a tunnel of it, best first (its cluster agent's first). */
  readonly #clusterHolders = new Map<string, string[]>();
  /** Replica id -> where it is reached (`host:port`), for live replicas that published one. */
  readonly #addresses = new Map<string, string>();
  readonly #lastSeen = new Map<string, Date>();
  /** Replica id -> the record version last seen, and when (this process's monotonic clock). */
  readonly #heard = new Map<string, { version: number; at: number }>();

  constructor(
    private readonly registry: TunnelRegistry,
    private readonly replicas: Informer<ReplicaData>,
    private readonly identity: string,
    private readonly now: () => number = () => performance.now(),
  ) {
    registry.on('change', (nodeId) => this.#events.emit('change', nodeId));
    const refresh = () => void this.#refresh();
    replicas.addHandler({ add: refresh, update: refresh, delete: refresh });
  }

  isConnected(nodeId: string): boolean {
    return this.registry.get(nodeId) !== undefined || (this.#elsewhere.get(nodeId)?.size ?? 0) > 0;
  }

  disconnectedAt(nodeId: string): Date | undefined {
    return this.registry.disconnectedAt(nodeId) ?? this.#lastSeen.get(nodeId);
  }

  onChange(listener: (nodeId: string) => void): void {
    this.#events.on('change', listener);
  }

  /** The other live replicas holding a tunnel to dial `via` through, best first, with where to reach them. */
  holders(via: DialVia): { replica: string; address: string }[] {
    const replicas = 'nodeId' in via ? [...(this.#elsewhere.get(via.nodeId) ?? [])] : (this.#clusterHolders.get(via.clusterId) ?? []);
    return replicas.flatMap((replica) => {
      const address = this.#addresses.get(replica);
      return address ? [{ replica, address }] : [];
    });
  }

  /** Re-reads every record; returns in how many ms the next one may go stale (for the timer). */
  #refresh(): number | undefined {
    const now = this.now();
    const next = new Map<string, Set<string>>();
    const present = new Set<string>();
    const addresses = new Map<string, string>();
    let soonest: number | undefined;
    for (const replica of this.replicas.list() as StoredObject<ReplicaData>[]) {
      if (replica.id === this.identity) continue;
      present.add(replica.id);
      const heard = this.#heard.get(replica.id);
      if (heard?.version !== replica.resourceVersion) this.#heard.set(replica.id, { version: replica.resourceVersion, at: now });
      const dueIn = (this.#heard.get(replica.id)?.at ?? now) + replica.data.staleMs - now;
      if (dueIn <= 0) continue;
      soonest = Math.min(soonest ?? dueIn, dueIn);
      if (replica.data.address) addresses.set(replica.id, replica.data.address);
      for (const nodeId of replica.data.sessions) {
        let holders = next.get(nodeId);
        if (!holders) next.set(nodeId, (holders = new Set()));
        holders.add(replica.id);
      }
    }
    for (const id of [...this.#heard.keys()]) if (!present.has(id)) this.#heard.delete(id);
    const held = (m: Map<string, Set<string>>, id: string) => (m.get(id)?.size ?? 0) > 0;
    const changed = [...new Set([...next.keys(), ...this.#elsewhere.keys()])].filter((id) => held(next, id) !== held(this.#elsewhere, id));
    for (const id of changed) if (!next.has(id)) this.#lastSeen.set(id, new Date());
    this.#elsewhere.clear();
    for (const [id, holders] of next) this.#elsewhere.set(id, holders);
    this.#addresses.clear();
    for (const [id, address] of addresses) this.#addresses.set(id, address);
    this.#indexClusters();
    for (const id of changed) this.#events.emit('change', id);
    return soonest;
  }

  /** Cluster id -> holders: replicas with its cluster agent (session id = cluster id) before those with its nodes'. */
  #indexClusters(): void {
    const ranked = new Map<string, Map<string, number>>();
    for (const [sessionId, replicas] of this.#elsewhere) {
      const [clusterId] = sessionId.split(':');
      if (!clusterId) continue;
      const rank = sessionId === clusterId ? 0 : 1;
      let byReplica = ranked.get(clusterId);
      if (!byReplica) ranked.set(clusterId, (byReplica = new Map()));
      for (const replica of replicas) byReplica.set(replica, Math.min(byReplica.get(replica) ?? rank, rank));
    }
    this.#clusterHolders.clear();
    for (const [clusterId, byReplica] of ranked) {
      this.#clusterHolders.set(clusterId, [...byReplica].sort((a, b) => a[1] - b[1]).map(([replica]) => replica));
    }
  }

  /** Re-checks staleness on a timer until `signal` aborts (records stop changing when their replica dies). */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const dueIn = this.#refresh() ?? 1_000;
      // An abort ends the wait early; the loop condition then ends.
      await sleep(Math.max(100, dueIn + 50), undefined, { signal }).catch((e: unknown) => {
        if (!signal.aborted) throw e;
      });
    }
  }
}
