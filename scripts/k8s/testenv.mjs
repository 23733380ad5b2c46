// A real Kubernetes API for tests: Debian's etcd, kube-apiserver and kube-controller-manager (built by ./build.mjs)
// on free loopback ports,
// in a temporary directory holding the generated PKI, static tokens, kubeconfigs and the logs.
// Types: ./testenv.d.mts. CLI: scripts/k8s-testenv.mjs.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureKubeApiserver, KUBERNETES_VERSION, kubeBinaries } from './build.mjs';
import { makeCertificates } from './certs.mjs';

export { ensureKubeApiserver, kubeApiserverPath, kubeBinaries, KUBERNETES_VERSION } from './build.mjs';

const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;

async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Memory-backed when possible: etcd 3.4 fsyncs every write and has no --unsafe-no-fsync. */
function tempBase() {
  if (process.env.K8S_TESTENV_TMPDIR) return process.env.K8S_TESTENV_TMPDIR;
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

const DIR_PREFIX = 'paddock-k8s-';

/**
 * Removes directories left by test processes that died without cleaning up (their servers died with them, see
 * `launch`). Only directories with an owner.pid whose process is gone; `start`ed (detached) ones have none.
 */
function sweepAbandoned() {
  const base = tempBase();
  for (const name of readdirSync(base)) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    let owner;
    try {
      owner = Number(readFileSync(join(base, name, 'owner.pid'), 'utf8'));
    } catch {
      continue;
    }
    if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) rmSync(join(base, name), { recursive: true, force: true });
  }
}

/** True while `pid` runs; a zombie (exited, not yet reaped by whoever adopted it) counts as gone. */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

function tail(file, lines = 30) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** One GET; resolves with the status and body, rejects on connection errors. */
function get(url, { ca, token } = {}) {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, {
      ca,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      timeout: 5000,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', reject).end();
  });
}

/** Polls `check` until it returns true; fails early when a process it depends on has exited. */
async function waitFor(what, check, procs, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    for (const p of procs) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) {
        throw new Error(`${p.name} exited while waiting for ${what}; last lines of ${p.log}:\n${tail(p.log)}`);
      }
    }
    try {
      if (await check()) return;
    } catch (err) {
      last = err.message;
    }
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${last}); logs: ${procs.map((p) => p.log).join(', ')}`);
}

const SETPRIV = '/usr/bin/setpriv';

/**
 * Spawns a server with its output in <dir>/<name>.log. Attached ones run under `setpriv --pdeathsig KILL` (Debian's
 * util-linux) so they die with this process even when it is killed outright, e.g. by a test runner's timeout.
 */
function launch(name, bin, args, dir, detached) {
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, 'a');
  const [cmd, argv] = !detached && existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'KILL', '--', bin, ...args]] : [bin, args];
  const child = spawn(cmd, argv, { cwd: dir, stdio: ['ignore', fd, fd], detached });
  closeSync(fd);
  if (detached) child.unref();
  const started = new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return { name, child, log, started, get pid() { return child.pid; } };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
async function terminate(pid, graceMs = STOP_GRACE_MS) {
  if (!pid || !isAlive(pid)) return;
  try { process.kill(pid, 'SIGTERM'); } catch {}
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) {
    try { process.kill(pid, 'SIGKILL'); } catch {}
    while (isAlive(pid)) await sleep(20);
  }
}

/** A child we spawned is a zombie until reaped, so `kill(pid, 0)` is not enough: wait for its 'exit'. */
async function terminateChild(proc) {
  const { child } = proc;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

export function kubeconfigYaml({ url, caPem, token, user = 'admin' }) {
  const ca = Buffer.from(caPem).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
- name: paddock-testenv
  cluster:
    server: ${url}
    certificate-authority-data: ${ca}
users:
- name: ${user}
  user:
    token: ${token}
contexts:
- name: paddock-testenv
  context:
    cluster: paddock-testenv
    user: ${user}
current-context: paddock-testenv
`;
}

/**
 * Starts etcd, kube-apiserver and (unless `controllerManager: false`) kube-controller-manager, and resolves once
 * `/readyz` answers 200 and the controller manager has done its first work (the `default` service account exists
 * and the aggregated ClusterRole `view` has rules). `detached: true` (the CLI's `start`)
 * leaves them running after this process exits, to be stopped with `stopK8sTestEnv(dir)`; otherwise they are
 * killed and the directory removed when this process exits, even if `stop()` was never called.
 */
export async function startK8sTestEnv({ version = KUBERNETES_VERSION, detached = false, log = () => {}, apiserverArgs = [], controllerManager = true } = {}) {
  const began = Date.now();
  const kubeApiserver = await ensureKubeApiserver({ version, log });
  sweepAbandoned();
  const dir = mkdtempSync(join(tempBase(), DIR_PREFIX));
  if (!detached) writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  const procs = [];
  let stopped = false;

  const cleanupOnExit = () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  if (!detached) process.once('exit', cleanupOnExit);

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const p of [...procs].reverse()) await (detached ? terminate(p.pid) : terminateChild(p));
    if (!detached) process.removeListener('exit', cleanupOnExit);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const certs = makeCertificates(dir);
    const caPem = readFileSync(certs.caCert, 'utf8');
    const adminToken = randomBytes(32).toString('hex');
    const kcmToken = randomBytes(32).toString('hex');
    writeFileSync(join(dir, 'tokens.csv'), `${adminToken},admin,admin,"system:masters"\n${kcmToken},system:kube-controller-manager,system:kube-controller-manager\n`, { mode: 0o600 });

    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = launch('etcd', 'etcd', [
      '--name=default', `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=default=${peerUrl}`,
      '--logger=zap', '--log-outputs=stderr',
    ], dir, detached);
    procs.push(etcd);
    await etcd.started;
    await waitFor('etcd /health', async () => (await get(`${etcdUrl}/health`)).body.includes('"true"'), [etcd], READY_TIMEOUT_MS);

    const url = `https://127.0.0.1:${apiPort}`;
    const apiserver = launch('kube-apiserver', kubeApiserver, [
      '--bind-address=127.0.0.1', `--secure-port=${apiPort}`, '--advertise-address=127.0.0.1',
      `--etcd-servers=${etcdUrl}`,
      `--cert-dir=${dir}`, `--tls-cert-file=${certs.servingCert}`, `--tls-private-key-file=${certs.servingKey}`,
      `--client-ca-file=${certs.caCert}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=Node,RBAC',
      `--service-account-key-file=${certs.saPub}`, `--service-account-signing-key-file=${certs.saKey}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.0.0.0/24',
      // The `kubernetes` endpoints would be 127.0.0.1, which Endpoints reject; in-cluster clients here dial the url.
      '--endpoint-reconciler-type=none',
      '--allow-privileged=true', '--profiling=false', '--v=1',
      // Debian's etcd (3.4.23) predates the progress notifications Kubernetes 1.34's watch cache needs (etcd 3.4.31+ /
      // 3.5.13+): a watch without a resourceVersion on a quiet resource waits 3 s and ends with "Too large resource
      // version". Served from etcd instead, watches open at once and see every change.
      '--watch-cache=false',
      ...apiserverArgs,
    ], dir, detached);
    procs.push(apiserver);
    await apiserver.started;
    await waitFor('kube-apiserver /readyz', async () => (await get(`${url}/readyz`, { ca: caPem, token: adminToken })).status === 200,
      [etcd, apiserver], READY_TIMEOUT_MS);

    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfigYaml({ url, caPem, token: adminToken }), { mode: 0o600 });
    const pids = { etcd: etcd.pid, apiserver: apiserver.pid, controllerManager: null };

    if (controllerManager) {
      const kcmKubeconfig = join(dir, 'kube-controller-manager.kubeconfig');
      writeFileSync(kcmKubeconfig, kubeconfigYaml({ url, caPem, token: kcmToken, user: 'system:kube-controller-manager' }), { mode: 0o600 });
      const kcm = launch('kube-controller-manager', kubeBinaries(version).controllerManager, [
        `--kubeconfig=${kcmKubeconfig}`, '--secure-port=0', '--leader-elect=false',
        '--use-service-account-credentials=true', `--service-account-private-key-file=${certs.saKey}`,
        `--root-ca-file=${certs.caCert}`, `--cluster-signing-cert-file=${certs.caCert}`, `--cluster-signing-key-file=${certs.caKey}`,
        // The default client limit (20/s) makes its first round of writes take seconds on an empty cluster.
        '--kube-api-qps=500', '--kube-api-burst=1000', '--v=1',
      ], dir, detached);
      procs.push(kcm);
      await kcm.started;
      pids.controllerManager = kcm.pid;
      const admin = { ca: caPem, token: adminToken };
      await waitFor('kube-controller-manager (default service account, rules aggregated into ClusterRole view)', async () => {
        if ((await get(`${url}/api/v1/namespaces/default/serviceaccounts/default`, admin)).status !== 200) return false;
        const view = await get(`${url}/apis/rbac.authorization.k8s.io/v1/clusterroles/view`, admin);
        return view.status === 200 && (JSON.parse(view.body).rules ?? []).length > 0;
      }, [etcd, apiserver, kcm], READY_TIMEOUT_MS);
    }

    const state = { version, url, etcdUrl, kubeconfigPath, adminToken, dir, pids };
    writeFileSync(join(dir, 'env.json'), `${JSON.stringify(state, null, 2)}\n`);
    return {
      ...state,
      caPem,
      readyMs: Date.now() - began,
      logs: Object.fromEntries(procs.map((p) => [p.name, p.log])),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Stops an environment started with `detached: true`, given its directory (the CLI's `stop`). */
export async function stopK8sTestEnv(dir) {
  const state = JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8'));
  await terminate(state.pids.controllerManager);
  await terminate(state.pids.apiserver);
  await terminate(state.pids.etcd);
  rmSync(dir, { recursive: true, force: true });
}
