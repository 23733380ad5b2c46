import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEtcdCluster, type EtcdCluster } from '../../packages/server/src/testing/etcd-process.js';
import { httpsCall, type RequestOptions } from '../../packages/server/src/testing/test-server.js';
import { until } from '../../packages/server/src/testing/wait.js';
import { createCluster, startAgent } from '../support/agent-process.js';
import { runClusterAgentPod, shell } from '../support/cluster-agent.js';
import { ConsistencyChecker } from '../support/consistency-checker.js';
import { startHaproxy, type LoadBalancer } from '../support/haproxy.js';
import { kubectl, startK8sTestEnv, type K8sTestEnv } from '../support/k8s-testenv.js';
import { freePort, startPaddock, type ServerProcess } from '../support/server-process.js';

const PASSWORD = 'faults-password-1';
/** The address haproxy connects to the replicas from: the only one they take PROXY headers from. */
const BALANCER_SOURCE = '127.0.0.2';

interface Replica {
  name: string;
  port: number;
  dir: string;
  process: ServerProcess;
}

const alive = (p: ServerProcess) => p.child.exitCode === null && p.child.signalCode === null;
const lines = (p: ServerProcess, text: string) => p.stdout().split('\n').filter((l) => l.includes(text));
const leads = (p: ServerProcess) => alive(p) && lines(p, 'elected leader').length > lines(p, 'lost leadership').length;

/** Whether the replica's log says it holds the tunnel of `sessionId` now (its last word on it was a connect). */
function holds(p: ServerProcess, sessionId: string): boolean {
  if (!alive(p)) return false;
  const events = p.stdout().split('\n').filter((l) => l.includes(`"nodeId":"${sessionId}"`) && /agent (dis)?connected/.test(l));
  return events.at(-1)?.includes('agent connected') ?? false;
}

/**
 * The faults, with real processes on loopback: three Paddock replicas behind Debian's haproxy on a
 * three-member etcd, a node agent given the list of replicas, and a cluster agent (imported by manifest, its
 * cluster a real kube-apiserver) given the load balancer's address. Throughout, a checker writes and reads from
 * several clients and at the end verifies that no acknowledged write was lost and no client read an older
 * version than one it had seen.
 */
describe('faults: three replicas behind haproxy on a three-member etcd', () => {
  let etcd: EtcdCluster;
  let k8s: K8sTestEnv;
  let lb: LoadBalancer;
  let root: string;
  let ca: string;
  let token: string;
  const replicas: Replica[] = [];
  const agents: ReturnType<typeof startAgent>[] = [];
  let checker: ConsistencyChecker;
  let imported: string;
  let edgeNode: string;
  let kubeconfigPath: string;

  // A request that reaches a paused replica gets no answer: give up, as a client would, and try again.
  const call = (method: string, path: string, options: RequestOptions = {}) => httpsCall(`${lb.url}${path}`, ca, method, { token, timeoutMs: 5_000, ...options });
  /** `call` for probes of `until`: no answer is not yet. */
  const probe = (method: string, path: string, options: RequestOptions = {}) => call(method, path, options).catch(() => undefined);
  const start = async (r: Omit<Replica, 'process'>) =>
    startPaddock(r.dir, ['--datastore', 'etcd', '--etcd-endpoints', etcd.endpoints.join(','), '--proxy-protocol-from', BALANCER_SOURCE, '--log-level', 'info'], r.port);
  const clusterState = async (id: string) => (await probe('GET', `/v3/clusters/${id}`))?.json?.state as string | undefined;
  const nodeState = async (id: string) => (await probe('GET', `/v3/nodes/${id}`))?.json?.state as string | undefined;
  const kubectlWorks = async () => (await kubectl({ kubeconfigPath }, ['get', 'namespace', 'default', '-o', 'name', '--request-timeout=5s'])).code === 0;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'paddock-faults-'));
    [etcd, k8s] = await Promise.all([startEtcdCluster(3), startK8sTestEnv({ controllerManager: true })]);
    const specs = await Promise.all(['a', 'b', 'c'].map(async (name) => ({ name, port: await freePort(), dir: join(root, name) })));
    // The first replica makes the CA and the admin; the others join it.
    for (const spec of specs) replicas.push({ ...spec, process: await start(spec) });
    ca = await replicas[0]!.process.ca();
    // The balancer tells the replicas who each client is (PROXY protocol), connecting from an address of its own;
    // agents given the list of replicas reach them directly, from another.
    lb = await startHaproxy(specs.map((s) => s.port), { proxyProtocol: true, source: BALANCER_SOURCE });
  });
  after(async () => {
    for (const agent of agents) agent.child.kill('SIGKILL');
    for (const r of replicas) if (alive(r.process)) (r.process.child.kill('SIGCONT'), r.process.child.kill('SIGKILL'));
    await lb?.stop();
    await k8s?.stop();
    await etcd?.remove();
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('through the load balancer: log in, a node agent on the list of replicas, a cluster agent on the balancer', async () => {
    const login = await call('POST', '/v3-public/localProviders/local?action=login', { token: undefined, body: { username: 'admin', password: 'admin' } });
    assert.equal(login.status, 201, login.text);
    token = login.json.token;
    const changed = await call('POST', '/v3/users?action=changepassword', { body: { currentPassword: 'admin', newPassword: PASSWORD } });
    assert.equal(changed.status, 200, changed.text);
    assert.equal((await call('PUT', '/v3/settings/server-url', { body: { value: lb.url } })).status, 200);

    const api = { request: (method: string, path: string, options?: RequestOptions) => call(method, path, options) };
    const edge = await createCluster(api, token, 'edge');
    const replicaUrls = replicas.map((r) => r.process.url).join(',');
    agents.push(startAgent(replicaUrls, edge, ['--node-name', 'edge-1', '--address', '127.0.0.1', '--all-roles']));
    edgeNode = await until('the edge node registered', async () => (await call('GET', '/v3/nodes?nodeName=edge-1')).json?.data?.[0]?.id as string | undefined, 30_000);
    await until('the edge node active', async () => (await nodeState(edgeNode)) === 'active', 30_000);

    const cluster = await call('POST', '/v3/clusters', { body: { name: 'imported' } });
    assert.equal(cluster.status, 201, cluster.text);
    imported = cluster.json.id;
    const crt = await until('its registration token', async () => (await call('GET', `/v3/clusterregistrationtokens?clusterId=${imported}`)).json?.data?.[0], 20_000);
    const applied = await shell(crt.insecureCommand, { KUBECONFIG: k8s.kubeconfigPath });
    assert.equal(applied.code, 0, applied.stderr);
    const clusterAgent = await runClusterAgentPod(k8s, root);
    agents.push(clusterAgent);
    await until('the imported cluster active', async () => (await clusterState(imported)) === 'active', 60_000).catch((err: Error) =>
      assert.fail(`${err.message}\n${clusterAgent.stderr()}`),
    );

    const kubeconfig = await call('POST', `/v3/clusters/${imported}?action=generateKubeconfig`);
    kubeconfigPath = join(root, 'kubeconfig.yaml');
    await writeFile(kubeconfigPath, kubeconfig.json.config);
    // Every replica answers kubectl, whichever holds the tunnel: the others forward through it.
    for (let i = 0; i < 6; i++) assert.ok(await until('kubectl through the balancer', kubectlWorks, 20_000));

    checker = new ConsistencyChecker(lb.url, ca, token, 4);
    checker.start();
    await until('the checker writing', () => checker.ackedSince(0) > 20, 20_000);
  });

  /**
   * SIGKILLs the replica holding `sessionId`'s tunnel, waits until another holds it and `back()` holds, checks
   * that took under 30 s, and starts the killed replica again.
   */
  async function killHolderOf(sessionId: string, back: () => Promise<void>): Promise<void> {
    const holder = await until(`a replica holding ${sessionId}`, () => replicas.find((r) => holds(r.process, sessionId)), 20_000);
    const killedAt = Date.now();
    holder.process.child.kill('SIGKILL');
    await holder.process.exited;
    await until('another replica holds it', () => replicas.some((r) => r !== holder && holds(r.process, sessionId)), 30_000);
    await back();
    assert.ok(Date.now() - killedAt < 30_000, `back within 30 s (took ${Date.now() - killedAt} ms)`);
    holder.process = await start(holder);
  }

  test('the replica holding the cluster agent\'s tunnel killed: active again through another, kubectl works', async () => {
    await killHolderOf(imported, async () => {
      await until('the imported cluster active', async () => (await clusterState(imported)) === 'active', 30_000);
      await until('kubectl through the balancer', kubectlWorks, 30_000);
    });
    // The node agent, on the list of replicas, is active too (its replica may have been the one killed).
    await until('the edge node active', async () => (await nodeState(edgeNode)) === 'active', 30_000);
  });

  test('the replica holding the node agent\'s tunnel killed: the agent moves down its list, the node is active again', async () => {
    await killHolderOf(edgeNode, async () => void (await until('the edge node active', async () => (await nodeState(edgeNode)) === 'active', 30_000)));
  });

  test('the etcd leader killed: the API keeps taking writes after re-election', async () => {
    const leader = await until('the etcd leader', () => etcd.leader(), 10_000);
    await leader.stop('SIGKILL');
    const killedAt = Date.now();
    await until('writes acknowledged after the etcd leader died', () => checker.ackedSince(killedAt + 1) > 10, 30_000);
    const created = await until('a cluster created', async () => {
      const r = await probe('POST', '/v3/clusters', { body: { name: `after-etcd-leader-${Date.now()}` } });
      return r?.status === 201 && r;
    }, 20_000);
    assert.ok(created);
    await until('kubectl through the balancer', kubectlWorks, 30_000);
    await leader.start();
  });

  test('the leading replica paused past its lease: another takes over, the paused one stands down when it wakes', async () => {
    const leader = await until('a leading replica', () => replicas.find((r) => leads(r.process)), 20_000);
    const electionsBefore = new Map(replicas.map((r) => [r, lines(r.process, 'elected leader').length]));
    leader.process.child.kill('SIGSTOP');
    try {
      await until('another replica elected', () => replicas.some((r) => r !== leader && lines(r.process, 'elected leader').length > (electionsBefore.get(r) ?? 0)), 15_000);
      // Controllers work on the new leader: a new cluster gets its registration token.
      const created = await until('a cluster created', async () => {
        const r = await probe('POST', '/v3/clusters', { body: { name: `while-paused-${Date.now()}` } });
        return r?.status === 201 && r;
      }, 20_000);
      await until('its registration token', async () => (await probe('GET', `/v3/clusterregistrationtokens?clusterId=${created.json.id}`))?.json?.data?.length === 1, 20_000);
    } finally {
      leader.process.child.kill('SIGCONT');
    }
    await until('the woken replica stands down', () => !leads(leader.process), 15_000);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(replicas.filter((r) => leads(r.process)).length, 1, 'exactly one leader');
  });

  test('the checker: no acknowledged write lost, no stale read', async (t) => {
    await until('the nodes and clusters settled', async () => (await nodeState(edgeNode)) === 'active' && (await clusterState(imported)) === 'active', 30_000);
    const report = await checker.stop();
    t.diagnostic(`checker: ${JSON.stringify({ ...report, violations: report.violations.length })}`);
    assert.deepEqual(report.violations, [], JSON.stringify(report));
    assert.ok(report.ackedWrites > 100, `enough acknowledged writes to mean something: ${JSON.stringify(report)}`);
    assert.ok(report.reads > 100, `enough reads: ${JSON.stringify(report)}`);
  });
});
