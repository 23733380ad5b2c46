// Types for ./testenv.mjs, so TypeScript tests can import it.

/** The pinned k8s.io/kubernetes release the test environment builds and runs. */
export declare const KUBERNETES_VERSION: string;

/** Where the cached kube-apiserver for `version` lives, built or not. */
export declare function kubeApiserverPath(version?: string): string;

/** Where both cached binaries for `version` live, built or not. */
export declare function kubeBinaries(version?: string): { apiserver: string; controllerManager: string };

/**
 * Returns the cached kube-apiserver for `version`, building it and kube-controller-manager with Go first when either
 * is missing (about 6 minutes cold on 2 cores; call it before tests run, not inside a test with a 180 s timeout).
 */
export declare function ensureKubeApiserver(options?: { version?: string; log?: (line: string) => void }): Promise<string>;

export interface K8sTestEnvState {
  version: string;
  /** https://127.0.0.1:<port> of kube-apiserver. */
  url: string;
  /** http://127.0.0.1:<port> of its etcd. */
  etcdUrl: string;
  kubeconfigPath: string;
  /** Bearer token of user `admin` in group `system:masters`. */
  adminToken: string;
  /** The temporary directory holding PKI, logs, etcd data and the kubeconfig; removed by stop(). */
  dir: string;
  /** controllerManager is null when started with `controllerManager: false`. */
  pids: { etcd: number; apiserver: number; controllerManager: number | null };
}

export interface K8sTestEnv extends K8sTestEnvState {
  /** PEM of the CA that signed the apiserver's serving certificate. */
  caPem: string;
  /** Milliseconds from the call to a 200 from /readyz (build excluded when the binary was cached). */
  readyMs: number;
  /** Log file of each process, by name: etcd, kube-apiserver, kube-controller-manager. */
  logs: Record<string, string>;
  /** SIGTERM to each process, newest first (SIGKILL after 10 s), then removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

export declare function startK8sTestEnv(options?: {
  version?: string;
  detached?: boolean;
  log?: (line: string) => void;
  /** Extra kube-apiserver flags. */
  apiserverArgs?: string[];
  /** Run kube-controller-manager too (default true). */
  controllerManager?: boolean;
}): Promise<K8sTestEnv>;

export declare function stopK8sTestEnv(dir: string): Promise<void>;

export declare function kubeconfigYaml(options: { url: string; caPem: string; token: string; user?: string }): string;
