import type { Logger } from '../../informer/logger.js';
import type { StoredObject } from '../../store/types.js';
import type { JsonObject } from '../../schema/validate.js';
import { PROJECT_ANNOTATION } from '../rbac-sync/desired.js';
import type { ClusterUpstreams } from '../upstream.js';
import { ClusterObjects } from '../watch-cache/cluster-objects.js';
import type { KubeObject } from '../watch-cache/watch.js';

const DESCRIPTION_ANNOTATION = 'field.cattle.io/description';

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

/** Every reachable cluster's namespaces, live (the `/v3/namespaces` kind reads and writes through it). */
export class ClusterNamespaces extends ClusterObjects {
  constructor(upstreams: ClusterUpstreams, logger: Logger) {
    super({ resource: 'namespace', path: '/api/v1/namespaces', toObject: toNamespace }, upstreams, logger);
  }
}
