import type { JsonObject } from '../../schema/validate.js';
import { tolerate } from '../../store/tolerate.js';
import { StoreAlreadyExistsError, type ResourceStore } from '../../store/types.js';
import type { ClusterData } from './schema.js';

export const LOCAL_CLUSTER_ID = 'local';

/** The built-in cluster `local` stands for the Paddock server itself. */
export async function ensureLocalCluster(store: ResourceStore): Promise<void> {
  if (await store.get('cluster', LOCAL_CLUSTER_ID)) return;
  const data: ClusterData & JsonObject = {
    name: 'local',
    description: 'The cluster of this Paddock server',
    internal: true,
    driver: 'local',
    dockerRootDir: '/var/lib/docker',
    enableNetworkPolicy: false,
    nodeCount: 0,
  };
  await tolerate(StoreAlreadyExistsError, store.create('cluster', LOCAL_CLUSTER_ID, data));
}
