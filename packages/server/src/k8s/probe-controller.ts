import { Controller } from '../informer/controller.js';
import type { Informer } from '../informer/informer.js';
import type { Logger } from '../informer/logger.js';
import type { ClusterData } from '../resources/clusters/schema.js';
import type { TunnelRegistry } from '../tunnel/registry.js';
import { KubeconfigError } from './kubeconfig.js';
import { probeCluster, type ClusterProbe } from './probe.js';
import { ClusterUnreachableError, type ClusterUpstreams } from './upstream.js';

export interface ProbeControllerDeps {
  clusters: Informer<ClusterData>;
  upstreams: ClusterUpstreams;
  /** A cluster agent connecting or going is a reason to ask its cluster again at once. */
  registry: TunnelRegistry;
  /** Where results go; the cluster controller folds them into the cluster's status. */
  probes: Map<string, ClusterProbe>;
  /** Called when a cluster's probe result changed. */
  onChange: (clusterId: string) => void;
  logger: Logger;
  now: () => Date;
  intervalMs?: number;
}

const DEFAULT_INTERVAL_MS = 30_000;
const FAILED_RETRY_MS = 10_000;

/** What about a probe is worth a status write: everything but its time. */
const meaning = (p: ClusterProbe | undefined) => (p ? JSON.stringify({ ...p, at: undefined }) : '');

/**
 * Asks every cluster Paddock can reach for its version, nodes, resources and component health, every
 * interval (sooner after a failure), and hands changed results to the cluster controller.
 */
export function probeController(deps: ProbeControllerDeps): Controller {
  const { clusters, upstreams, probes } = deps;
  const interval = deps.intervalMs ?? DEFAULT_INTERVAL_MS;
  const record = (id: string, probe: ClusterProbe | undefined) => {
    const changed = meaning(probes.get(id)) !== meaning(probe);
    if (probe) probes.set(id, probe);
    else probes.delete(id);
    if (changed) deps.onChange(id);
  };
  const controller: Controller = new Controller({
    name: 'cluster-probe',
    informers: [clusters],
    logger: deps.logger,
    async sync(id) {
      if (!clusters.get(id)) return record(id, undefined);
      let upstream;
      try {
        upstream = upstreams.get(id);
      } catch (err) {
        if (err instanceof ClusterUnreachableError) return record(id, undefined);
        if (err instanceof KubeconfigError) {
          record(id, { at: deps.now().toISOString(), reachable: false, error: `invalid kubeconfig: ${err.message}` });
          return;
        }
        throw err;
      }
      const probe = await probeCluster(upstream, deps.now());
      record(id, probe);
      controller.enqueueAfter(id, probe.reachable ? interval : FAILED_RETRY_MS);
    },
  });
  controller.watch(clusters);
  deps.registry.on('change', (sessionId) => {
    if (clusters.get(sessionId)) controller.enqueue(sessionId);
  });
  return controller;
}
