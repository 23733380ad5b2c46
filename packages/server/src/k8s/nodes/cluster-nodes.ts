import type { Logger } from '../../informer/logger.js';
import type { JsonObject } from '../../schema/validate.js';
import type { ClusterUpstreams } from '../upstream.js';
import { ClusterObjects } from '../watch-cache/cluster-objects.js';

/** Every watched cluster's Kubernetes Nodes, live; `data` is the Node itself plus its `clusterId`. */
export class ClusterNodes extends ClusterObjects {
  constructor(upstreams: ClusterUpstreams, logger: Logger) {
    super(
      {
        resource: 'node',
        path: '/api/v1/nodes',
        toObject: (clusterId, node) => ({
          kind: 'kubenode',
          id: `${clusterId}:${node.metadata.name}`,
          resourceVersion: Number(node.metadata.resourceVersion ?? 0),
          created: node.metadata.creationTimestamp ?? '',
          data: { ...(node as unknown as JsonObject), clusterId },
        }),
      },
      upstreams,
      logger,
    );
  }
}
