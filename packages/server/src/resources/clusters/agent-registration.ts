import { isIP } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { ApiError } from '../../api/errors.js';
import type { AgentApiAccess } from '../../k8s/upstream.js';
import { f } from '../../schema/fields.js';
import { defineSchema } from '../../schema/schema.js';
import { validateCreate } from '../../schema/validate.js';

/**
 * What a cluster agent sends when it connects (`X-API-Tunnel-Params` = base64 of
 * `{"cluster":{"address":..,"token":..,"caCert":..}}`, as Rancher's cluster agent sends): how to reach the
 * Kubernetes API inside its cluster, as its pod sees it.
 */
export const clusterAgentParamsSchema = defineSchema(
  {
    id: 'clusterAgentRegistration',
    fields: {
      address: f.string({ required: true, minLength: 3, maxLength: 300, description: 'host:port of the API (KUBERNETES_SERVICE_HOST:PORT)' }),
      token: f.string({ required: true, minLength: 1, maxLength: 4096, description: "the agent's service-account token" }),
      caCert: f.string({ required: true, minLength: 1, maxLength: 6144, description: "base64 of the service account's ca.crt" }),
    },
  },
  { embedded: true },
);

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

function checkAddress(address: string): void {
  const m = HOST_PORT.exec(address);
  const host = m?.[1]?.replace(/^\[|\]$/g, '') ?? '';
  const port = Number(m?.[2]);
  const hostOk = isIP(host) !== 0 || /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/.test(host);
  if (!m || !hostOk || port < 1 || port > 65535) {
    throw new ApiError('InvalidFormat', `cluster.address "${address}" must be host:port of the Kubernetes API`, 'address');
  }
}

/** The CA bundle as PEM; throws unless it holds at least one certificate. */
function caPemOf(caCert: string): string {
  const pem = Buffer.from(caCert, 'base64').toString('utf8');
  const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  try {
    if (!first) throw new Error('no PEM certificate in it');
    new X509Certificate(first);
  } catch (err) {
    throw new ApiError('InvalidFormat', `cluster.caCert must be the base64 of a PEM CA certificate: ${(err as Error).message}`, 'caCert');
  }
  return pem;
}

/** Checks decoded cluster-agent params (the object under `cluster`). Throws ApiError when bad. */
export function checkClusterAgentParams(parsed: unknown): AgentApiAccess {
  const params = validateCreate(clusterAgentParamsSchema.fields, parsed) as { address: string; token: string; caCert: string };
  checkAddress(params.address);
  if (/[\s\x00-\x1f\x7f]/.test(params.token)) throw new ApiError('InvalidFormat', 'cluster.token must not contain spaces or control characters', 'token');
  return { address: params.address, token: params.token, caPem: caPemOf(params.caCert) };
}
