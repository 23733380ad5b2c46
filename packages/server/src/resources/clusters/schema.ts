import { f } from '../../schema/fields.js';
import { defineSchema, type Resource } from '../../schema/schema.js';
import { conditionsField } from '../conditions.js';

/** The parts of RKE's cluster config we check; everything else in it is stored as given. */
const rkeConfig = f.object(
  'rancherKubernetesEngineConfig',
  {
    ignoreDockerVersion: f.boolean({ default: true }),
    kubernetesVersion: f.string({ maxLength: 64 }),
    sshAgentAuth: f.boolean(),
    sshKeyPath: f.string(),
    addonJobTimeout: f.int({ min: 0 }),
    clusterName: f.string(),
    network: f.object('networkConfig', { plugin: f.string(), options: f.map(f.string()) }, { open: true }),
    authentication: f.object('authnConfig', { strategy: f.string(), sans: f.array(f.string()) }, { open: true }),
    services: f.json(),
    nodes: f.json(),
    addons: f.string(),
    addonsInclude: f.array(f.string()),
    privateRegistries: f.json(),
    ingress: f.json(),
    dns: f.json(),
    monitoring: f.json(),
  },
  { open: true },
);

export const clusterSchema = defineSchema({
  id: 'cluster',
  resourceActions: { generateKubeconfig: { output: 'generateKubeConfigOutput' } },
  fields: {
    name: f.dnsLabel({ required: true, filterable: true }),
    description: f.string({ maxLength: 1024 }),
    rancherKubernetesEngineConfig: rkeConfig,
    importedConfig: f.object('importedClusterConfig', { kubeConfig: f.string({ writeOnly: true }) }),
    driver: f.string({ create: false, update: false, filterable: true }),
    internal: f.boolean({ create: false, update: false, default: false, filterable: true }),
    dockerRootDir: f.string({ default: '/var/lib/docker' }),
    enableNetworkPolicy: f.boolean({ default: false }),
    agentImage: f.string({ create: false, update: false }),
    apiEndpoint: f.string({ create: false, update: false }),
    caCert: f.string({ create: false, update: false }),
    version: f.json({ create: false, update: false }),
    nodeCount: f.int({ create: false, update: false, default: 0 }),
    capacity: f.map(f.string(), { create: false, update: false }),
    componentStatuses: f.json({ create: false, update: false }),
    allocatable: f.map(f.string(), { create: false, update: false }),
    conditions: conditionsField,
  },
});

export type ClusterData = Resource<typeof clusterSchema.fields>;

export const generateKubeConfigOutput = defineSchema(
  { id: 'generateKubeConfigOutput', fields: { config: f.string({ create: false, update: false, description: 'a kubeconfig for this cluster through Paddock' }) } },
  { embedded: true },
);
