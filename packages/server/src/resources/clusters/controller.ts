import { Controller } from '../../informer/controller.js';
import type { Informer } from '../../informer/informer.js';
import type { Logger } from '../../informer/logger.js';
import type { JsonObject } from '../../schema/validate.js';
import { tolerate } from '../../store/tolerate.js';
import { StoreAlreadyExistsError, StoreNotFoundError, type ResourceStore } from '../../store/types.js';
import { newRegistrationToken } from '../clusterregistrationtokens/hooks.js';
import type { ClusterRegistrationTokenData } from '../clusterregistrationtokens/schema.js';
import type { ClusterData } from './schema.js';
import { clusterDriver, desiredConditions } from './status.js';

export interface ClusterControllerDeps {
  store: ResourceStore;
  clusters: Informer<ClusterData>;
  registrationTokens: Informer<ClusterRegistrationTokenData>;
  logger: Logger;
  now: () => Date;
}

export const BY_CLUSTER = 'clusterId';
export const defaultTokenId = (clusterId: string) => `${clusterId}:default-token`;

/**
 * Keeps each cluster's status honest and its children in place: a default registration token exists for
 * every cluster, the conditions say what the cluster waits for, and when a cluster is gone its registration
 * tokens go too (the garbage collection Kubernetes does with owner references).
 */
export function clusterController(deps: ClusterControllerDeps): Controller {
  const { store, clusters, registrationTokens } = deps;
  registrationTokens.addIndex(BY_CLUSTER, (o) => [String(o.data.clusterId)]);

  async function removeChildren(clusterId: string) {
    for (const child of registrationTokens.byIndex(BY_CLUSTER, clusterId)) {
      await tolerate(StoreNotFoundError, store.delete('clusterRegistrationToken', child.id));
    }
  }

  async function ensureDefaultToken(clusterId: string) {
    if (registrationTokens.get(defaultTokenId(clusterId))) return;
    const data = { ...newRegistrationToken(clusterId), name: 'default-token' };
    await tolerate(StoreAlreadyExistsError, store.create('clusterRegistrationToken', defaultTokenId(clusterId), data));
  }

  async function updateStatus(id: string) {
    const cluster = clusters.get(id);
    if (!cluster) return;
    const data = structuredClone(cluster.data) as ClusterData & JsonObject;
    data.driver = clusterDriver(data);
    data.conditions = desiredConditions(data, { nodeCount: 0 }, deps.now().toISOString());
    data.nodeCount = 0;
    if (JSON.stringify(data) === JSON.stringify(cluster.data)) return;
    await store.update('cluster', id, data, cluster.resourceVersion);
  }

  const controller = new Controller({
    name: 'cluster',
    informers: [clusters, registrationTokens],
    logger: deps.logger,
    async sync(id) {
      if (!clusters.get(id)) return removeChildren(id);
      await ensureDefaultToken(id);
      await updateStatus(id);
    },
  });
  controller.watch(clusters);
  controller.watchRelated(registrationTokens, (o) => [String(o.data.clusterId)]);
  return controller;
}
