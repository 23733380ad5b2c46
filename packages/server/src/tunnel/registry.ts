import { EventEmitter } from 'node:events';
import type { TunnelSession } from '@paddock/tunnel';

/** A node's agent, or a cluster agent (one per cluster, running inside it, the way to its API). */
export type SessionKind = 'node' | 'cluster';

/** A live agent tunnel: which node of which cluster holds it, since when. */
export interface AgentSession {
  /** The node's id; for a cluster agent, the cluster's id (Rancher's session key). */
  nodeId: string;
  clusterId: string;
  kind: SessionKind;
  session: TunnelSession;
  connectedAt: Date;
}

/**
 * The agent tunnels this server process holds, by node id. One session per node: a newer connection from
 * the same node replaces (closes) the older one. Emits `change` with the node id whenever a node's
 * session appears or goes, which is what the node controller reacts to.
 */
export class TunnelRegistry extends EventEmitter<{ change: [nodeId: string] }> {
  readonly #sessions = new Map<string, AgentSession>();
  /** The same sessions by cluster: a dial by cluster must not scan every agent of the server. */
  readonly #byCluster = new Map<string, Set<AgentSession>>();
  readonly #disconnectedAt = new Map<string, Date>();

  constructor(private readonly now: () => Date = () => new Date()) {
    super();
  }

  add(entry: AgentSession): void {
    const previous = this.#sessions.get(entry.nodeId);
    if (previous) this.#unindex(previous);
    this.#sessions.set(entry.nodeId, entry);
    let members = this.#byCluster.get(entry.clusterId);
    if (!members) this.#byCluster.set(entry.clusterId, (members = new Set()));
    members.add(entry);
    this.#disconnectedAt.delete(entry.nodeId);
    entry.session.once('close', () => this.#remove(entry));
    if (previous) previous.session.close('replaced by a newer connection from the same node');
    this.emit('change', entry.nodeId);
  }

  get(nodeId: string): AgentSession | undefined {
    return this.#sessions.get(nodeId);
  }

  /** Live sessions of a cluster's nodes. */
  byCluster(clusterId: string): AgentSession[] {
    return [...(this.#byCluster.get(clusterId) ?? [])];
  }

  /** When the node's last session of this process ended (undefined: live, or never connected here). */
  disconnectedAt(nodeId: string): Date | undefined {
    return this.#disconnectedAt.get(nodeId);
  }

  /** The ids of every live session (node ids; cluster ids for cluster agents). */
  ids(): string[] {
    return [...this.#sessions.keys()];
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Closes one node's session (e.g. the node was deleted), with a reason the agent sees. */
  closeNode(nodeId: string, reason: string, code?: number): void {
    this.#sessions.get(nodeId)?.session.close(reason, code);
  }

  closeAll(reason: string): void {
    for (const entry of [...this.#sessions.values()]) entry.session.close(reason);
  }

  #unindex(entry: AgentSession): void {
    const members = this.#byCluster.get(entry.clusterId);
    members?.delete(entry);
    if (members?.size === 0) this.#byCluster.delete(entry.clusterId);
  }

  #remove(entry: AgentSession): void {
    if (this.#sessions.get(entry.nodeId) !== entry) return;
    this.#sessions.delete(entry.nodeId);
    this.#unindex(entry);
    this.#disconnectedAt.set(entry.nodeId, this.now());
    this.emit('change', entry.nodeId);
  }
}
