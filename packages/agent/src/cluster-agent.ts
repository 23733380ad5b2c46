import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { allowRuleMatches, type AllowRule } from './allow.js';
import { AgentConfigError } from './config.js';

/** The Kubernetes API of the cluster this agent runs in, as every pod finds it. */
export interface InClusterApi {
  /** `host:port` (KUBERNETES_SERVICE_HOST and _PORT; an IPv6 host in brackets). */
  address: string;
  host: string;
  port: number;
  /** The service account's token. */
  token: string;
  /** The service account's ca.crt: the CA of the API's serving certificate. */
  caPem: string;
}

async function readCredential(dir: string, file: string): Promise<string> {
  try {
    return (await readFile(join(dir, file), 'utf8')).trim();
  } catch (err) {
    throw new AgentConfigError(
      `--cluster-agent needs the pod's service account, but ${join(dir, file)} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ` +
        'mount it there or pass --service-account-dir',
    );
  }
}

/**
 * Reads the API address and service-account credentials from the environment and files Kubernetes gives every
 * pod. Read afresh on every connect, so a rotated token is picked up. Throws AgentConfigError, phrased for the
 * operator, when something is missing.
 */
export async function readInClusterApi(env: NodeJS.ProcessEnv, serviceAccountDir: string): Promise<InClusterApi> {
  const host = env.KUBERNETES_SERVICE_HOST?.trim();
  if (!host) throw new AgentConfigError('--cluster-agent runs inside a Kubernetes pod, but KUBERNETES_SERVICE_HOST is not set');
  const portText = env.KUBERNETES_SERVICE_PORT?.trim() || '443';
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) {
    throw new AgentConfigError(`KUBERNETES_SERVICE_PORT must be a port number, got "${portText}"`);
  }
  // One after the other: the first missing file is the one named, always the same one.
  const token = await readCredential(serviceAccountDir, 'token');
  const caPem = await readCredential(serviceAccountDir, 'ca.crt');
  if (token === '') throw new AgentConfigError(`${join(serviceAccountDir, 'token')} is empty: the service account has no token yet`);
  const address = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  return { address, host, port, token, caPem: `${caPem}\n` };
}

/** The registration params of a cluster agent, as Rancher's sends them. */
export function clusterAgentParams(api: InClusterApi): Record<string, unknown> {
  return { cluster: { address: api.address, token: api.token, caCert: Buffer.from(api.caPem).toString('base64') } };
}

/** A cluster agent lets the server reach its cluster's API and nothing else (besides `--allow` rules). */
export function clusterAgentDialPolicy(api: InClusterApi, rules: AllowRule[]) {
  const allowed: AllowRule[] = [{ kind: 'hostPort', spec: api.address, host: api.host.toLowerCase(), port: api.port }, ...rules];
  return (target: { host: string; port: number }): true | string => {
    if (allowed.some((rule) => allowRuleMatches(rule, target.host, target.port))) return true;
    return `${target.host}:${target.port} is not allowed by this cluster agent (it serves only the Kubernetes API at ${api.address}; add --allow to permit more)`;
  };
}
