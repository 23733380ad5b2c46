import type { Duplex } from 'node:stream';
import type { AgentSession, TunnelRegistry } from './registry.js';

/** Where to dial from: a given node's agent, or any connected agent of a cluster. */
export type DialVia = { nodeId: string } | { clusterId: string };

export class NoTunnelError extends Error {
  constructor(via: DialVia) {
    super('nodeId' in via ? `node ${via.nodeId} has no connected agent` : `cluster ${via.clusterId} has no connected agent`);
    this.name = 'NoTunnelError';
  }
}

/**
 * Opens TCP streams through agent tunnels: what the Kubernetes proxy and provisioning use to reach
 * addresses only agents can reach. A cluster dial prefers the cluster agent, then control-plane nodes'
 * agents, then the longest connected.
 */
export class Dialer {
  constructor(
    private readonly registry: TunnelRegistry,
    private readonly roleOf: (nodeId: string) => { controlPlane: boolean } | undefined,
  ) {}

  dial(via: DialVia, host: string, port: number, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Duplex> {
    const entry = 'nodeId' in via ? this.registry.get(via.nodeId) : this.#pick(via.clusterId);
    if (!entry) return Promise.reject(new NoTunnelError(via));
    return entry.session.open({ host, port }, options);
  }

  #pick(clusterId: string) {
    const sessions = this.registry.byCluster(clusterId);
    const rank = (s: AgentSession) => (s.kind === 'cluster' ? 0 : this.roleOf(s.nodeId)?.controlPlane ? 1 : 2);
    return sessions.sort((a, b) => rank(a) - rank(b) || a.connectedAt.getTime() - b.connectedAt.getTime())[0];
  }
}
