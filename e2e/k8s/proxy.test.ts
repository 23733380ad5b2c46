import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../packages/server/src/testing/test-server.js';
import { until } from '../../packages/server/src/testing/wait.js';
import { kubectl, startK8sTestEnv, type K8sTestEnv } from '../support/k8s-testenv.js';

/** The status of a GET whose path is sent exactly as given. */
function rawStatus(srv: TestServer, path: string, token: string): Promise<number> {
  const { hostname, port } = new URL(srv.url);
  return new Promise((resolve, reject) => {
    httpsRequest({ hostname, port, path, ca: srv.ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

/** Runs kubectl with a kubeconfig file Paddock generated. */
const kubectlWith = (kubeconfigPath: string, args: string[], input?: string) => kubectl({ kubeconfigPath }, args, input);

describe('imported cluster: the proxy, kubeconfig and RBAC against a real kube-apiserver', () => {
  let k8s: K8sTestEnv;
  let srv: TestServer;
  let admin: string;
  let clusterId: string;
  let dir: string;

  before(async () => {
    [k8s, srv] = await Promise.all([startK8sTestEnv(), startTestServer()]);
    admin = await srv.adminToken();
    dir = await mkdtemp(join(tmpdir(), 'paddock-kubeconfig-'));
    const kubeConfig = await readFile(k8s.kubeconfigPath, 'utf8');
    const created = await srv.request('POST', '/v3/clusters', { token: admin, body: { name: 'imported', importedConfig: { kubeConfig } } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.importedConfig?.kubeConfig, undefined, 'the kubeconfig is write-only');
    clusterId = created.json.id;
  });
  after(async () => {
    await srv?.close();
    await k8s?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function kubeconfigFor(token: string, name: string): Promise<string> {
    const res = await srv.request('POST', `/v3/clusters/${clusterId}?action=generateKubeconfig`, { token });
    assert.equal(res.status, 200, res.text);
    const path = join(dir, name);
    await writeFile(path, res.json.config);
    return path;
  }

  test('kubectl with a generated kubeconfig: get, apply, watch, delete, api-resources', async () => {
    const config = await kubeconfigFor(admin, 'admin.yaml');
    const text = await readFile(config, 'utf8');
    assert.match(text, new RegExp(`server: ${srv.url}/k8s/clusters/${clusterId}`));
    assert.match(text, /certificate-authority-data: /);
    // The global admin becomes cluster-admin through the RBAC Paddock keeps in the cluster.
    const ns = await until('cluster-admin through the synced RBAC', async () => {
      const r = await kubectlWith(config, ['get', 'namespaces', '-o', 'name']);
      return r.code === 0 && r.stdout;
    });
    assert.match(ns, /namespace\/kube-system/);
    const apply = await kubectlWith(config, ['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: through-paddock\n  namespace: default\ndata:\n  k: v\n');
    assert.equal(apply.code, 0, apply.stderr);
    const got = await kubectlWith(config, ['get', 'configmap', 'through-paddock', '-n', 'default', '-o', 'jsonpath={.data.k}']);
    assert.equal(got.stdout, 'v');
    const resources = await kubectlWith(config, ['api-resources', '-o', 'name']);
    assert.equal(resources.code, 0, resources.stderr);
    assert.match(resources.stdout, /configmaps/);

    // A watch streams through the proxy: it sees a change made while it runs.
    const watch = spawn('kubectl', ['--kubeconfig', config, 'get', 'configmaps', '-n', 'default', '-w', '-o', 'name'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let watched = '';
    watch.stdout.on('data', (chunk: Buffer) => (watched += chunk.toString()));
    try {
      await until('the watch started', () => watched.includes('configmap/through-paddock'));
      await kubectl(k8s, ['create', 'configmap', 'made-during-watch', '-n', 'default']);
      await until('the watch event', () => watched.includes('configmap/made-during-watch'));
    } finally {
      watch.kill();
    }
    const deleted = await kubectlWith(config, ['delete', 'configmap', 'through-paddock', '-n', 'default']);
    assert.equal(deleted.code, 0, deleted.stderr);
  });

  test('the cluster reports its version, nodes, resources and component health, and turns active', async () => {
    const cluster = await until('the imported cluster active', async () => {
      const c = await srv.request('GET', `/v3/clusters/${clusterId}`, { token: admin });
      return c.json.state === 'active' && c.json;
    });
    assert.equal(cluster.version.gitVersion, `v${k8s.version.replace(/^v/, '')}`);
    assert.equal(cluster.nodeCount, 0, 'the test cluster has no kubelet, so no nodes');
    assert.deepEqual(Object.keys(cluster.allocatable).sort(), ['cpu', 'memory', 'pods']);
    assert.ok(cluster.componentStatuses.some((c: { name: string }) => c.name.startsWith('etcd')), JSON.stringify(cluster.componentStatuses));
    const connected = cluster.conditions.find((c: { type: string }) => c.type === 'Connected');
    assert.equal(connected.status, 'True');
  });

  test('requests reach the cluster as the Paddock user (impersonation), never with the Paddock token', async () => {
    const res = await srv.request('GET', `/k8s/clusters/${clusterId}/apis/authentication.k8s.io/v1/selfsubjectreviews`, { token: admin });
    // SelfSubjectReview is a create; a GET is refused by the cluster itself, proving the request got there.
    assert.ok([404, 405].includes(res.status), `${res.status} ${res.text}`);
    const review = await srv.request('POST', `/k8s/clusters/${clusterId}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
      token: admin,
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    assert.equal(review.status, 201, review.text);
    const me = await srv.request('GET', '/v3/users?me=true', { token: admin });
    assert.equal(review.json.status.userInfo.username, me.json.data[0].id);
    assert.ok(review.json.status.userInfo.groups.includes('system:authenticated'));
  });

  test('who may not see the cluster gets 403; a cluster member reads but may not write', async () => {
    await srv.request('POST', '/v3/users', { token: admin, body: { username: 'outsider', password: 'outsider-password' } });
    const outsider = await srv.login('outsider', 'outsider-password');
    const refused = await srv.request('GET', `/k8s/clusters/${clusterId}/api/v1/namespaces`, { token: outsider });
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.json.kind, 'Status');
    const noKubeconfig = await srv.request('POST', `/v3/clusters/${clusterId}?action=generateKubeconfig`, { token: outsider });
    assert.equal(noKubeconfig.status, 404);

    await srv.request('POST', '/v3/users', { token: admin, body: { username: 'member', password: 'member-password-1' } });
    const memberId = (await srv.request('GET', '/v3/users?username=member', { token: admin })).json.data[0].id;
    const binding = await srv.request('POST', '/v3/clusterroletemplatebindings', { token: admin, body: { clusterId, roleTemplateId: 'cluster-member', userId: memberId } });
    assert.equal(binding.status, 201, binding.text);
    const member = await srv.login('member', 'member-password-1');
    const config = await kubeconfigFor(member, 'member.yaml');
    // cluster-member may read nodes (its template's Kubernetes rules) but not namespaces' secrets.
    await until('the member ClusterRole in the cluster', async () => (await kubectlWith(config, ['get', 'nodes'])).code === 0);
    const secrets = await kubectlWith(config, ['get', 'secrets', '-n', 'default']);
    assert.notEqual(secrets.code, 0);
    assert.match(secrets.stderr, /forbidden/i);
    const create = await kubectlWith(config, ['create', 'namespace', 'not-allowed']);
    assert.notEqual(create.code, 0);
  });

  test('a revoked kubeconfig token stops working at once; a path cannot climb out of the cluster', async () => {
    const config = await kubeconfigFor(admin, 'revoked.yaml');
    assert.equal((await kubectlWith(config, ['get', 'ns', 'default'])).code, 0);
    const tokenId = /token: (token-[a-z0-9]+):/.exec(await readFile(config, 'utf8'))?.[1];
    assert.ok(tokenId);
    const tokenInfo = await srv.request('GET', `/v3/tokens/${tokenId}`, { token: admin });
    assert.equal(tokenInfo.json.clusterId, clusterId, 'the kubeconfig token works only for this cluster');
    assert.ok(tokenInfo.json.expiresAt, 'and it expires');
    await srv.request('DELETE', `/v3/tokens/${tokenId}`, { token: admin });
    const after = await kubectlWith(config, ['get', 'ns', 'default']);
    assert.notEqual(after.code, 0);
    assert.match(after.stderr, /must be logged in/i, JSON.stringify(after));
    // Sent as is (a URL object would resolve the dots before sending).
    for (const path of [`/k8s/clusters/${clusterId}/api/%2e%2e/%2e%2e/v3/users`, `/k8s/clusters/${clusterId}/../../v3/users`]) {
      assert.equal(await rawStatus(srv, path, admin), 400, path);
    }
  });

  test('namespaces: the cluster\'s own, live; created, moved between projects and deleted through /v3; seen by project members', async () => {
    const made = await kubectl(k8s, ['create', 'namespace', 'made-in-cluster']);
    assert.equal(made.code, 0, made.stderr);
    await until('a namespace made in the cluster shows in /v3', async () => {
      const list = await srv.request('GET', `/v3/clusters/${clusterId}/namespaces`, { token: admin });
      return list.json.data.some((n: { name: string }) => n.name === 'made-in-cluster');
    });
    const projects = (await srv.request('GET', `/v3/projects?clusterId=${clusterId}`, { token: admin })).json.data as { id: string; name: string }[];
    const defaultProject = projects.find((p) => p.name === 'Default')?.id as string;
    const other = await srv.request('POST', '/v3/projects', { token: admin, body: { clusterId, name: 'other' } });
    const created = await srv.request('POST', '/v3/namespaces', { token: admin, body: { clusterId, name: 'team-a', projectId: defaultProject, description: 'for team a' } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.projectId, defaultProject);
    const annotation = await kubectl(k8s, ['get', 'namespace', 'team-a', '-o', 'jsonpath={.metadata.annotations.field\\.cattle\\.io/projectId}']);
    assert.equal(annotation.stdout, defaultProject);

    await srv.request('POST', '/v3/users', { token: admin, body: { username: 'viewer', password: 'viewer-password-1' } });
    const viewerId = (await srv.request('GET', '/v3/users?username=viewer', { token: admin })).json.data[0].id;
    const bound = await srv.request('POST', '/v3/projectroletemplatebindings', { token: admin, body: { projectId: defaultProject, roleTemplateId: 'read-only', userId: viewerId } });
    assert.equal(bound.status, 201, bound.text);
    const viewer = await srv.login('viewer', 'viewer-password-1');
    const seen = await srv.request('GET', '/v3/namespaces', { token: viewer });
    assert.deepEqual(seen.json.data.map((n: { name: string }) => n.name), ['team-a'], 'a project member sees the project\'s namespaces only');
    // In the cluster, the read-only member may read in the project's namespace (RoleBinding to view).
    const viewerConfig = await kubeconfigFor(viewer, 'viewer.yaml');
    await until('the viewer reads in team-a', async () => (await kubectlWith(viewerConfig, ['get', 'configmaps', '-n', 'team-a'])).code === 0);
    assert.notEqual((await kubectlWith(viewerConfig, ['get', 'configmaps', '-n', 'default'])).code, 0);

    const moved = await srv.request('POST', `/v3/namespaces/${created.json.id}?action=move`, { token: admin, body: { projectId: other.json.id } });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.json.projectId, other.json.id);
    assert.deepEqual((await srv.request('GET', '/v3/namespaces', { token: viewer })).json.data, [], 'moved out of the viewer\'s project');
    await until('the viewer\'s RoleBinding in team-a removed', async () => (await kubectlWith(viewerConfig, ['get', 'configmaps', '-n', 'team-a'])).code !== 0);

    const dup = await srv.request('POST', '/v3/namespaces', { token: admin, body: { clusterId, name: 'team-a' } });
    assert.equal(dup.status, 409, dup.text);
    const removed = await srv.request('DELETE', `/v3/namespaces/${created.json.id}`, { token: admin });
    assert.equal(removed.status, 204, removed.text);
    const phase = await kubectl(k8s, ['get', 'namespace', 'team-a', '-o', 'jsonpath={.status.phase}']);
    assert.ok(phase.code !== 0 || phase.stdout === 'Terminating', `${phase.stdout} ${phase.stderr}`);
  });

  test('the cluster\'s Kubernetes nodes are its /v3 nodes, live: added, cordoned both ways, deleted', async () => {
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'worker-7', labels: { 'kubernetes.io/hostname': 'worker-7', 'node-role.kubernetes.io/control-plane': '' } },
      status: {
        addresses: [{ type: 'InternalIP', address: '10.1.2.7' }, { type: 'Hostname', address: 'worker-7' }],
        capacity: { cpu: '4', memory: '8167620Ki', pods: '110' },
        allocatable: { cpu: '3800m', memory: '7500000Ki', pods: '110' },
        nodeInfo: { osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0-18-amd64', architecture: 'amd64', kubeletVersion: 'v1.34.4' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: new Date().toISOString() }],
      },
    };
    // Nodes accept their status on create: this is what a kubelet registering would write.
    const made = await kubectl(k8s, ['create', '-f', '-'], JSON.stringify(node));
    assert.equal(made.code, 0, made.stderr);
    const listed = await until('the node in /v3/nodes', async () => {
      const list = await srv.request('GET', `/v3/nodes?clusterId=${clusterId}`, { token: admin });
      return list.json.data.find((n: { nodeName: string }) => n.nodeName === 'worker-7');
    });
    assert.match(listed.id, new RegExp(`^${clusterId}:machine-[0-9a-f]{12}$`));
    assert.equal(listed.internalIpAddress, '10.1.2.7');
    assert.equal(listed.controlPlane, true);
    assert.equal(listed.worker, false);
    assert.equal(listed.info.cpu.count, 4);
    assert.equal(listed.info.memory.memTotalKiB, 8167620);
    assert.equal(listed.info.kubernetes.kubeletVersion, 'v1.34.4');
    assert.equal(listed.allocatable.cpu, '3800m');

    // Cordoned here: done in the cluster. Uncordoned in the cluster: shown here.
    const cordoned = await srv.request('POST', `/v3/nodes/${listed.id}?action=cordon`, { token: admin });
    assert.equal(cordoned.status, 200, cordoned.text);
    assert.equal(cordoned.json.unschedulable, true);
    const spec = await kubectl(k8s, ['get', 'node', 'worker-7', '-o', 'jsonpath={.spec.unschedulable}']);
    assert.equal(spec.stdout, 'true');
    assert.equal((await kubectl(k8s, ['uncordon', 'worker-7'])).code, 0);
    await until('uncordoned in /v3', async () => (await srv.request('GET', `/v3/nodes/${listed.id}`, { token: admin })).json.unschedulable === false);

    const refused = await srv.request('DELETE', `/v3/nodes/${listed.id}`, { token: admin });
    assert.equal(refused.status, 405, refused.text);
    assert.match(refused.json.message, /kubectl delete node worker-7/);
    assert.equal((await kubectl(k8s, ['delete', 'node', 'worker-7'])).code, 0);
    await until('gone from /v3', async () => (await srv.request('GET', `/v3/nodes/${listed.id}`, { token: admin })).status === 404);
  });

  test('a resync leaves RBAC that is already right untouched (no binding deleted and made again)', async () => {
    const snapshot = async () => {
      const out: string[] = [];
      for (const kind of ['clusterrolebindings', 'clusterroles', 'rolebindings']) {
        const r = await kubectl(k8s, ['get', kind, '-A', '-l', 'paddock.io/managed=true', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.uid}/{.metadata.resourceVersion} {end}']);
        assert.equal(r.code, 0, r.stderr);
        out.push(r.stdout);
      }
      return out.join('\n');
    };
    const before = await until('Paddock\'s RBAC in the cluster', async () => {
      const s = await snapshot();
      return s.includes('paddock-globaladmin') && s;
    });
    // A namespace made in the cluster makes Paddock sync its RBAC again.
    assert.equal((await kubectl(k8s, ['create', 'namespace', 'resync-trigger'])).code, 0);
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(await snapshot(), before);
  });

  test('an unreachable or unknown cluster is a clear error, and the server goes on', async () => {
    const unknown = await srv.request('GET', '/k8s/clusters/c-nope0/api', { token: admin });
    assert.equal(unknown.status, 404);
    const broken = await srv.request('POST', '/v3/clusters', { token: admin, body: { name: 'bad-config', importedConfig: { kubeConfig: 'not: [valid' } } });
    const r = await srv.request('GET', `/k8s/clusters/${broken.json.id}/api`, { token: admin });
    assert.equal(r.status, 503, r.text);
    assert.match(r.json.message, /kubeconfig/);
    const brokenStatus = await until('the broken cluster unavailable', async () => {
      const c = await srv.request('GET', `/v3/clusters/${broken.json.id}`, { token: admin });
      return c.json.state === 'unavailable' && c.json;
    });
    assert.match(brokenStatus.transitioningMessage, /invalid kubeconfig/);
    const gone = await srv.request('POST', '/v3/clusters', {
      token: admin,
      body: { name: 'unreachable', importedConfig: { kubeConfig: (await readFile(k8s.kubeconfigPath, 'utf8')).replace(k8s.url, 'https://127.0.0.1:1') } },
    });
    const down = await srv.request('GET', `/k8s/clusters/${gone.json.id}/api`, { token: admin });
    assert.equal(down.status, 502, down.text);
    assert.equal((await srv.request('GET', '/v3/clusters', { token: admin })).status, 200);
  });
});

describe('the local cluster is the Kubernetes Paddock runs on (--kubeconfig)', () => {
  let k8s: K8sTestEnv;
  let srv: TestServer;
  before(async () => {
    k8s = await startK8sTestEnv({ controllerManager: false });
    srv = await startTestServer({ kubeconfig: k8s.kubeconfigPath });
  });
  after(async () => {
    await srv?.close();
    await k8s?.stop();
  });

  test('local has the proxy, namespaces and a kubeconfig like any imported cluster', async () => {
    const admin = await srv.adminToken();
    await until('the proxy to local answers as cluster-admin', async () => (await srv.request('GET', '/k8s/clusters/local/api/v1/namespaces/kube-system', { token: admin })).status === 200);
    await until('local namespaces in /v3', async () => {
      const list = await srv.request('GET', '/v3/clusters/local/namespaces', { token: admin });
      return list.json.data.some((n: { name: string }) => n.name === 'kube-system');
    });
    const config = await srv.request('POST', '/v3/clusters/local?action=generateKubeconfig', { token: admin });
    assert.match(config.json.config, /\/k8s\/clusters\/local/);
  });

  test('a kubeconfig that cannot be read stops the start with one clear line', async () => {
    await assert.rejects(startTestServer({ kubeconfig: '/nonexistent/kubeconfig' }), /--kubeconfig \/nonexistent\/kubeconfig: ENOENT/);
  });
});
