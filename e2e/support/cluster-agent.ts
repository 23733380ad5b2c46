import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { until } from '../../packages/server/src/testing/wait.js';
import { kubectl, type K8sTestEnv } from './k8s-testenv.js';
import { spawnPaddock } from './server-process.js';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } };
}

/** Runs a shell command line (a registration token's own `insecureCommand`) with KUBECONFIG set. */
export function shell(line: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-o', 'pipefail', '-c', line], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * The `cattle-cluster-agent` Deployment that the import manifest applied to `k8s`, run as a process exactly as in
 * its pod: its env resolved as the kubelet would (Secret refs read), KUBERNETES_SERVICE_HOST/PORT set to the API,
 * and the `cattle` service account's token and ca.crt written to `dir/serviceaccount` (what the kubelet mounts).
 * There is no kubelet here to run the pod itself.
 */
export async function runClusterAgentPod(k8s: K8sTestEnv, dir: string) {
  const secret = await until(
    'the cattle service-account token',
    async () => {
      const r = await kubectl(k8s, ['get', 'secret', 'cattle-token', '-n', 'cattle-system', '-o', 'json']);
      const data = r.code === 0 ? (JSON.parse(r.stdout) as { data?: Record<string, string> }).data : undefined;
      return data?.token ? data : undefined;
    },
    30_000,
  );
  const saDir = join(dir, 'serviceaccount');
  await mkdir(saDir, { recursive: true });
  for (const key of ['token', 'ca.crt', 'namespace']) await writeFile(join(saDir, key), Buffer.from(secret[key] ?? '', 'base64'));

  const deployment = JSON.parse((await kubectl(k8s, ['get', 'deployment', 'cattle-cluster-agent', '-n', 'cattle-system', '-o', 'json'])).stdout);
  const container = deployment.spec.template.spec.containers[0] as { args: string[]; env: EnvVar[] };
  const env: NodeJS.ProcessEnv = {};
  for (const v of container.env) {
    if (v.value !== undefined) env[v.name] = v.value;
    else if (v.valueFrom) {
      const r = await kubectl(k8s, ['get', 'secret', v.valueFrom.secretKeyRef.name, '-n', 'cattle-system', '-o', `jsonpath={.data.${v.valueFrom.secretKeyRef.key}}`]);
      env[v.name] = Buffer.from(r.stdout, 'base64').toString('utf8');
    }
  }
  const api = new URL(k8s.url);
  return spawnPaddock(container.args, {
    ...env,
    KUBERNETES_SERVICE_HOST: api.hostname,
    KUBERNETES_SERVICE_PORT: api.port,
    PADDOCK_AGENT_SERVICE_ACCOUNT_DIR: saDir,
  });
}
