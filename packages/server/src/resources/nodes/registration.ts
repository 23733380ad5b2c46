import { isIP } from 'node:net';
import { ApiError } from '../../api/errors.js';
import { f } from '../../schema/fields.js';
import { defineSchema } from '../../schema/schema.js';
import { validateCreate, type JsonObject } from '../../schema/validate.js';
import type { NodeData } from './schema.js';

/**
 * What an agent sends when it connects (`X-API-Tunnel-Params`, base64 JSON): its node's facts. Declared
 * with the field DSL like every other input, so it is checked field by field.
 */
export const nodeRegistrationSchema = defineSchema(
  {
    id: 'nodeRegistration',
    fields: {
      nodeName: f.string({ required: true, minLength: 1, maxLength: 253 }),
      hostname: f.string({ maxLength: 253 }),
      address: f.string({ required: true, maxLength: 45 }),
      internalAddress: f.string({ maxLength: 45 }),
      roles: f.array(f.enum(['etcd', 'controlplane', 'worker'] as const)),
      labels: f.map(f.string({ maxLength: 63 })),
      taints: f.array(f.string({ maxLength: 400 }), { description: 'key=value:Effect or key:Effect' }),
      cpuCount: f.int({ min: 0, max: 1_000_000 }),
      memoryKiB: f.int({ min: 0 }),
      operatingSystem: f.string({ maxLength: 256 }),
      kernelVersion: f.string({ maxLength: 256 }),
      architecture: f.string({ maxLength: 32 }),
      agentVersion: f.string({ maxLength: 64 }),
      machineId: f.string({ maxLength: 64 }),
      /** On reconnects: the node id the server gave at registration. */
      nodeId: f.string({ maxLength: 64 }),
    },
  },
  { embedded: true },
);

export interface NodeRegistration {
  nodeName: string;
  hostname?: string;
  address: string;
  internalAddress?: string;
  roles?: ('etcd' | 'controlplane' | 'worker')[];
  labels?: Record<string, string>;
  taints?: string[];
  cpuCount?: number;
  memoryKiB?: number;
  operatingSystem?: string;
  kernelVersion?: string;
  architecture?: string;
  agentVersion?: string;
  machineId?: string;
  nodeId?: string;
}

export const MAX_PARAMS_BYTES = 8 * 1024;
const NODE_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Decodes the params header (base64 JSON) without checking its fields. Throws ApiError when malformed. */
export function decodeParams(header: string | undefined): unknown {
  if (!header) throw new ApiError('MissingRequired', 'missing X-API-Tunnel-Params header (base64 JSON node facts)');
  if (header.length > MAX_PARAMS_BYTES) throw new ApiError('InvalidBodyContent', `X-API-Tunnel-Params is larger than ${MAX_PARAMS_BYTES} bytes`);
  try {
    return JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch (err) {
    throw new ApiError('InvalidBodyContent', `X-API-Tunnel-Params is not base64 JSON: ${(err as Error).message}`);
  }
}

/** Decodes and checks the params header. Throws ApiError (InvalidBodyContent / InvalidFormat) when bad. */
export function parseRegistration(header: string | undefined): NodeRegistration {
  return checkRegistration(decodeParams(header));
}

/** Checks decoded node facts field by field. Throws ApiError (InvalidBodyContent / InvalidFormat) when bad. */
export function checkRegistration(parsed: unknown): NodeRegistration {
  const reg = validateCreate(nodeRegistrationSchema.fields, parsed) as unknown as NodeRegistration;
  if (!NODE_NAME.test(reg.nodeName)) {
    throw new ApiError('InvalidFormat', `node name "${reg.nodeName}" must be lower-case letters, digits, '-' and '.'`, 'nodeName');
  }
  for (const [field, value] of [['address', reg.address], ['internalAddress', reg.internalAddress]] as const) {
    if (value !== undefined && value !== null && isIP(value) === 0) throw new ApiError('InvalidFormat', `${field} "${value}" is not an IP address`, field);
  }
  reg.taints?.forEach((t, i) => parseTaint(t, `taints[${i}]`));
  return reg;
}

const TAINT = /^([A-Za-z0-9][-A-Za-z0-9_./]{0,252})(?:=([-A-Za-z0-9_.]{0,63}))?:(NoSchedule|PreferNoSchedule|NoExecute)$/;

/** `key=value:Effect` (or `key:Effect`) as a Kubernetes taint. */
export function parseTaint(text: string, field = 'taints'): { key: string; value: string; effect: string } {
  const m = TAINT.exec(text);
  if (!m) throw new ApiError('InvalidFormat', `taint "${text}" must be key=value:Effect with Effect NoSchedule, PreferNoSchedule or NoExecute`, field);
  return { key: m[1] ?? '', value: m[2] ?? '', effect: m[3] ?? '' };
}

/** The node's stored data from a registration, keeping what the server or users own (conditions, cordon, name). */
export function nodeDataFrom(clusterId: string, reg: NodeRegistration, existing: NodeData | undefined): NodeData & JsonObject {
  const roles = new Set(reg.roles ?? []);
  return {
    ...(existing ?? { name: reg.nodeName, unschedulable: false, conditions: [{ type: 'Ready', status: 'Unknown', reason: 'AgentConnecting', message: 'agent connecting' }] }),
    clusterId,
    nodeName: reg.nodeName,
    requestedHostname: reg.nodeName,
    hostname: reg.hostname ?? reg.nodeName,
    ipAddress: reg.address,
    internalIpAddress: reg.internalAddress ?? reg.address,
    etcd: roles.has('etcd'),
    controlPlane: roles.has('controlplane'),
    worker: roles.has('worker') || roles.size === 0,
    labels: { ...(existing?.labels ?? {}), ...(reg.labels ?? {}) },
    taints: (reg.taints ?? []).map((t) => parseTaint(t)),
    imported: true,
    info: {
      cpu: { count: reg.cpuCount ?? 0 },
      memory: { memTotalKiB: reg.memoryKiB ?? 0 },
      os: { operatingSystem: reg.operatingSystem ?? '', kernelVersion: reg.kernelVersion ?? '', architecture: reg.architecture ?? '' },
      agent: { version: reg.agentVersion ?? '' },
    },
    ...(reg.machineId ? { machineId: reg.machineId } : {}),
  } as NodeData & JsonObject;
}
