import { createHash } from 'node:crypto';
import type { TestServer } from '../../packages/server/src/testing/test-server.js';
import { spawnPaddock } from './server-process.js';

/** A cluster with a registration token, and the agent arguments its nodeCommand carries. */
export interface Registration {
  clusterId: string;
  token: string;
  checksum: string;
}

export async function createCluster(srv: Pick<TestServer, 'request'>, admin: string, name: string): Promise<Registration> {
  const cluster = await srv.request('POST', '/v3/clusters', { token: admin, body: { name, rancherKubernetesEngineConfig: {} } });
  if (cluster.status !== 201) throw new Error(`cluster create failed: ${cluster.text}`);
  const crt = await srv.request('POST', '/v3/clusterregistrationtokens', { token: admin, body: { clusterId: cluster.json.id } });
  const cacerts = (await srv.request('GET', '/v3/settings/cacerts')).json.value as string;
  return { clusterId: cluster.json.id, token: crt.json.token, checksum: createHash('sha256').update(`${cacerts}\n`).digest('hex') };
}

/** `bin/paddock agent` with the registration's server, token and checksum, plus `extra` flags. */
export function startAgent(server: string, reg: Registration, extra: string[], prefix: string[] = []) {
  return spawnPaddock(['agent', '--server', server, '--token', reg.token, '--ca-checksum', reg.checksum, ...extra], {}, prefix);
}
