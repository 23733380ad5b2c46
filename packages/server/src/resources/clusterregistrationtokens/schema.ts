import { f } from '../../schema/fields.js';
import { defineSchema, type Resource } from '../../schema/schema.js';

const computed = (description: string) => f.string({ create: false, update: false, description });

/** Cluster registration tokens: the secret an agent presents to join a cluster, and the commands that carry it. */
export const clusterRegistrationTokenSchema = defineSchema({
  id: 'clusterRegistrationToken',
  resourceMethods: ['GET', 'DELETE'],
  fields: {
    clusterId: f.ref('cluster', { required: true, update: false }),
    name: f.string({ create: false, update: false, filterable: true }),
    token: f.string({ create: false, update: false }),
    namespaceId: f.ref('namespace', { create: false, update: false }),
    nodeCommand: computed('docker run command that starts the agent on a node; append the roles (--etcd --controlplane --worker)'),
    insecureNodeCommand: computed('like nodeCommand, but takes the CA checksum from whatever the server presents (curl --insecure)'),
    agentCommand: computed('runs the Paddock agent directly, without Docker; append the roles'),
    insecureAgentCommand: computed('like agentCommand, taking the CA checksum from the server (curl --insecure)'),
    command: computed('kubectl command that imports an existing cluster'),
    insecureCommand: computed('like command, fetching the manifest with curl --insecure'),
    manifestUrl: computed('URL of the import manifest'),
  },
});

export type ClusterRegistrationTokenData = Resource<typeof clusterRegistrationTokenSchema.fields>;
