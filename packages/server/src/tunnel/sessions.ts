import type { TunnelRegistry } from './registry.js';

/** Where agents' tunnels are, as node liveness needs to know it. */
export interface NodeSessions {
  isConnected(nodeId: string): boolean;
  /** When the node was last seen disconnecting, if known. */
  disconnectedAt(nodeId: string): Date | undefined;
  /** Calls `listener` with a node id whenever its connectedness may have changed. */
  onChange(listener: (nodeId: string) => void): void;
}

/** One server alone: the tunnels it holds are all there are. */
export function localSessions(registry: TunnelRegistry): NodeSessions {
  return {
    isConnected: (nodeId) => registry.get(nodeId) !== undefined,
    disconnectedAt: (nodeId) => registry.disconnectedAt(nodeId),
    onChange: (listener) => void registry.on('change', listener),
  };
}
