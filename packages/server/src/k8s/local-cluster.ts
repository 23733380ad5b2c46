import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKubeconfig, type ClusterCredentials } from './kubeconfig.js';

/** Where a pod finds its service account (Kubernetes' convention). */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The credentials of the Kubernetes a process runs in, the way client-go's in-cluster config reads them:
 * KUBERNETES_SERVICE_HOST/PORT and the service account's token and CA. Undefined when not in a pod.
 * `dir` can point elsewhere (tests run "pods" as plain processes).
 */
export function inClusterCredentials(env: NodeJS.ProcessEnv, dir = SERVICE_ACCOUNT_DIR): ClusterCredentials | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = join(dir, 'token');
  if (!host || !port || !existsSync(tokenFile)) return undefined;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return { server, token: readFileSync(tokenFile, 'utf8').trim(), caPem: readFileSync(join(dir, 'ca.crt'), 'utf8') };
}

/** The `local` cluster's API: `--kubeconfig` if given, else the pod's own cluster if Paddock runs in one. */
export function localClusterCredentials(kubeconfigPath: string | undefined, env: NodeJS.ProcessEnv): ClusterCredentials | undefined {
  if (kubeconfigPath) return parseKubeconfig(readFileSync(kubeconfigPath, 'utf8'));
  return inClusterCredentials(env);
}
