import { Controller } from '../../informer/controller.js';
import type { Informer } from '../../informer/informer.js';
import type { Logger } from '../../informer/logger.js';
import type { JsonObject } from '../../schema/validate.js';
import { StoreNotFoundError, type ResourceStore } from '../../store/types.js';
import { tolerate } from '../../store/tolerate.js';
import type { TunnelRegistry } from '../../tunnel/registry.js';
import type { NodeSessions } from '../../tunnel/sessions.js';
import { isSyncedNode } from './kube-node.js';
import { setCondition, type Condition } from '../conditions.js';
import type { NodeData } from './schema.js';

/** Close code the agent reads as "your node was deleted: stop" (exit 0). */
export const NODE_REMOVED_CLOSE_CODE = 4001;

export interface NodeControllerDeps {
  store: ResourceStore;
  nodes: Informer<NodeData>;
  /** This server's tunnels: a deleted node's is closed here. */
  registry: TunnelRegistry;
  /** Where tunnels are, on this server or (with replicas) any live one. */
  sessions: NodeSessions;
  logger: Logger;
  now: () => Date;
  /** When this server process started: nodes with no tunnel since then have been unreachable at least as long. */
  startedAt: Date;
}

/** The Ready condition a node should have, given whether this server holds its tunnel. */
export function readyCondition(live: boolean, current: Condition | undefined, since: Date | undefined, startedAt: Date): Omit<Condition, 'lastUpdateTime' | 'lastTransitionTime'> {
  if (live) return { type: 'Ready', status: 'True', reason: 'AgentConnected', message: '' };
  // Keep the first "since": a node already known to be down stays down since then, across restarts.
  if (current && current.status === 'False' && current.reason === 'AgentDisconnected') {
    return { type: 'Ready', status: 'False', reason: 'AgentDisconnected', message: current.message ?? '' };
  }
  const when = (since ?? startedAt).toISOString();
  return { type: 'Ready', status: 'False', reason: 'AgentDisconnected', message: `agent not connected since ${when}` };
}

/**
 * Node liveness: a node is Ready while this server holds its agent's tunnel and not Ready (state
 * `unavailable`, saying since when) otherwise, including after a server restart until the agent is back.
 * A deleted node's tunnel is closed, which tells its agent to exit.
 */
export function nodeController(deps: NodeControllerDeps): Controller {
  const { store, nodes, registry, sessions } = deps;
  const controller = new Controller({
    name: 'node',
    informers: [nodes],
    logger: deps.logger,
    async sync(id) {
      const node = nodes.get(id);
      // A node mirrored from a cluster's Kubernetes is as ready as Kubernetes says (node-sync); it has no agent.
      if (!node || isSyncedNode(node.data)) return;
      const conditions = (node.data.conditions ?? []) as Condition[];
      const current = conditions.find((c) => c.type === 'Ready');
      const wanted = readyCondition(sessions.isConnected(id), current, sessions.disconnectedAt(id), deps.startedAt);
      const next = setCondition(conditions, wanted, deps.now().toISOString());
      if (next === conditions) return;
      await tolerate(StoreNotFoundError, store.update<JsonObject>('node', id, { ...node.data, conditions: next }, node.resourceVersion));
    },
  });
  controller.watch(nodes);
  sessions.onChange((nodeId) => controller.enqueue(nodeId));
  nodes.addHandler({ delete: (obj) => registry.closeNode(obj.id, 'node removed from Paddock', NODE_REMOVED_CLOSE_CODE) });
  return controller;
}
