import type { Duplex } from 'node:stream';
import type { AgentSession, TunnelRegistry } from './registry.js';

/** Where to dial from: a given node's agent, or any connected agent of a cluster. */
export type DialVia = { nodeId: string } | { clusterId: string };

export interface DialOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class NoTunnelError extends Error {
  constructor(via: DialVia, detail?: string) {
    super(`${'nodeId' in via ? `node ${via.nodeId}` : `cluster ${via.clusterId}`} has no connected agent${detail ? ` (${detail})` : ''}`);
    this.name = 'NoTunnelError';
  }
}

/** Dials through an agent tunnel another server replica holds (see replicas/peer-dialer.ts). */
export interface RemoteDialer {
  dial(via: DialVia, host: string, port: number, options: DialOptions): Promise<Duplex>;
}

/**
 * Opens TCP streams through agent tunnels: what the Kubernetes proxy and provisioning use to reach
 * addresses only agents can reach. A cluster dial prefers the cluster agent, then control-plane nodes'
 * agents, then the longest connected. A tunnel this process does not hold is reached through `remote`,
 * the replica holding it, when there is one.
 */
export class Dialer {
  constructor(
    private readonly registry: TunnelRegistry,
    private readonly roleOf: (nodeId: string) => { controlPlane: boolean } | undefined,
    private readonly remote?: RemoteDialer,
  ) {}

  dial(via: DialVia, host: string, port: number, options: DialOptions = {}): Promise<Duplex> {
    const entry = 'nodeId' in via ? this.registry.get(via.nodeId) : this.#pick(via.clusterId);
    if (entry) return entry.session.open({ host, port }, options);
    if (this.remote) return this.remote.dial(via, host, port, options);
    return Promise.reject(new NoTunnelError(via));
  }

  #pick(clusterId: string) {
    const sessions = this.registry.byCluster(clusterId);
    const rank = (s: AgentSession) => (s.kind === 'cluster' ? 0 : this.roleOf(s.nodeId)?.controlPlane ? 1 : 2);
    return sessions.sort((a, b) => rank(a) - rank(b) || a.connectedAt.getTime() - b.connectedAt.getTime())[0];
  }
}
