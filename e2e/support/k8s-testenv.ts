import { execFile } from 'node:child_process';
import {
  ensureKubeApiserver as ensureBinary,
  startK8sTestEnv as startEnv,
  KUBERNETES_VERSION,
  type K8sTestEnv,
} from '../../scripts/k8s/testenv.mjs';

export { KUBERNETES_VERSION, type K8sTestEnv };

/** `controllerManager: false` skips kube-controller-manager (about 1 s faster to ready); `apiserverArgs` adds flags. */
export type StartOptions = Pick<NonNullable<Parameters<typeof startEnv>[0]>, 'controllerManager' | 'apiserverArgs'>;

/**
 * A real Kubernetes API for e2e tests: Debian's etcd, and kube-apiserver plus kube-controller-manager built from
 * k8s.io/kubernetes at KUBERNETES_VERSION, on free loopback ports, with generated certificates, a service-account
 * key pair, `--authorization-mode=Node,RBAC` and a static token for user `admin` in `system:masters`. There is no
 * kubelet, scheduler or container runtime: pods are stored but never run.
 *
 * The binaries are built once into ${XDG_CACHE_HOME:-~/.cache}/paddock/kube-apiserver/<version>/. A cold build takes
 * longer than the 180 s per-test timeout, so `npm test` builds them before any test runs
 * (`node scripts/k8s-testenv.mjs build`); `startK8sTestEnv` builds them too when missing, which only fits a test's
 * time limit when run by hand with a longer `--test-timeout`.
 *
 * Resolves when /readyz is 200 and the controller manager is working (aggregated ClusterRoles such as `view` have
 * their rules). RBAC reads bindings through an informer, so a binding just created may take a moment to apply.
 *
 * Always `stop()` (in `after`); as a fallback, the test process's exit kills every server and removes the directory.
 */
export function startK8sTestEnv(options: StartOptions = {}): Promise<K8sTestEnv> {
  return startEnv({ log: (line) => process.stderr.write(`${line}\n`), ...options });
}

/** Builds the pinned kube-apiserver into the cache if missing and returns its path (instant when cached). */
export function ensureKubeApiserver(): Promise<string> {
  return ensureBinary({ log: (line) => process.stderr.write(`${line}\n`) });
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs Debian's kubectl against the env's kubeconfig; never throws on a non-zero exit. */
export function kubectl(env: Pick<K8sTestEnv, 'kubeconfigPath'>, args: string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile('kubectl', ['--kubeconfig', env.kubeconfigPath, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') reject(err);
      else resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}
