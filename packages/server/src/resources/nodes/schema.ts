import { f } from '../../schema/fields.js';
import { defineSchema, type Resource } from '../../schema/schema.js';
import { conditionsField } from '../conditions.js';

const readOnly = { create: false, update: false } as const;

export const taintField = f.object('taint', {
  key: f.string({ required: true, maxLength: 316 }),
  value: f.string({ maxLength: 63 }),
  effect: f.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const, { required: true }),
});

/** What the agent reports about its machine (Rancher's node `info`). */
export const nodeInfoField = f.object(
  'nodeInfo',
  {
    cpu: f.object('cpuInfo', { count: f.int({ min: 0 }) }),
    memory: f.object('memoryInfo', { memTotalKiB: f.int({ min: 0 }) }),
    os: f.object('osInfo', {
      operatingSystem: f.string({ maxLength: 256 }),
      kernelVersion: f.string({ maxLength: 256 }),
      architecture: f.string({ maxLength: 32 }),
    }),
    agent: f.object('agentInfo', { version: f.string({ maxLength: 64 }) }),
    kubernetes: f.object('kubernetesInfo', { kubeletVersion: f.string({ maxLength: 64 }), kubeProxyVersion: f.string({ maxLength: 64 }) }),
  },
  readOnly,
);

/**
 * `/v3/nodes`: machines registered by their agents, and the nodes of imported clusters as their Kubernetes API
 * reports them (ids `<cluster>:machine-xxxx`). Nodes are created by registration or by that sync, not by POST.
 */
export const nodeSchema = defineSchema({
  id: 'node',
  collectionMethods: ['GET'],
  resourceMethods: ['GET', 'PUT', 'DELETE'],
  resourceActions: { cordon: {}, uncordon: {} },
  fields: {
    clusterId: f.ref('cluster', { ...readOnly, required: true }),
    name: f.string({ maxLength: 253, filterable: true, description: 'display name' }),
    description: f.string({ maxLength: 1024 }),
    nodeName: f.string({ ...readOnly, filterable: true }),
    hostname: f.string({ ...readOnly, filterable: true }),
    requestedHostname: f.string({ ...readOnly, filterable: true }),
    ipAddress: f.string({ ...readOnly, filterable: true }),
    internalIpAddress: f.string({ ...readOnly, filterable: true }),
    etcd: f.boolean({ ...readOnly, default: false, filterable: true }),
    controlPlane: f.boolean({ ...readOnly, default: false, filterable: true }),
    worker: f.boolean({ ...readOnly, default: false, filterable: true }),
    info: nodeInfoField,
    taints: f.array(taintField),
    unschedulable: f.boolean({ ...readOnly, default: false, filterable: true }),
    imported: f.boolean({ ...readOnly, default: true }),
    capacity: f.map(f.string(), { ...readOnly, description: 'what the node has, as Kubernetes reports it (imported clusters)' }),
    allocatable: f.map(f.string(), { ...readOnly, description: 'what pods may use of it (imported clusters)' }),
    conditions: conditionsField,
  },
});

export type NodeData = Resource<typeof nodeSchema.fields> & {
  /** The agent's machine id, when it reports one. Internal. */
  machineId?: string;
  /** `kubernetes` for a node mirrored from an imported cluster (see kube-node.ts). Internal. */
  source?: string;
  /** The node's Kubernetes labels. Internal. */
  labels?: Record<string, string>;
};
