import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../packages/server/src/testing/test-server.js';
import { until } from '../../packages/server/src/testing/wait.js';
import { kubectl, startK8sTestEnv, type K8sTestEnv } from '../support/k8s-testenv.js';
import { runClusterAgentPod, shell } from '../support/cluster-agent.js';
import { spawnPaddock } from '../support/server-process.js';
import { TcpRelay } from '../support/tcp-relay.js';

/**
 * Import by manifest, the Rancher way: `curl ... | kubectl apply -f -` in the cluster, then the cluster agent of
 * the manifest's Deployment run as a process exactly as in its pod (its env, KUBERNETES_SERVICE_HOST/PORT and the
 * service account's token and ca.crt files), dialling the server through a relay that stands for the network.
 * Paddock reaches this cluster's API only through that agent's tunnel.
 */
describe('imported by manifest: a cluster agent process, reached only through its tunnel', () => {
  let k8s: K8sTestEnv;
  let srv: TestServer;
  let relay: TcpRelay;
  let admin: string;
  let clusterId: string;
  let dir: string;
  let agent: ReturnType<typeof spawnPaddock> | undefined;

  before(async () => {
    [k8s, srv] = await Promise.all([startK8sTestEnv(), startTestServer()]);
    admin = await srv.adminToken();
    dir = await mkdtemp(join(tmpdir(), 'paddock-cluster-agent-'));
    relay = await TcpRelay.start({ host: '127.0.0.1', port: Number(new URL(srv.url).port) });
    // Agents are told the server-url: here, the relay.
    const url = await srv.request('PUT', '/v3/settings/server-url', { token: admin, body: { value: `https://127.0.0.1:${relay.port}` } });
    assert.equal(url.status, 200, url.text);
    const created = await srv.request('POST', '/v3/clusters', { token: admin, body: { name: 'by-manifest' } });
    assert.equal(created.status, 201, created.text);
    clusterId = created.json.id;
  });
  after(async () => {
    agent?.child.kill('SIGKILL');
    await relay?.cut();
    await srv?.close();
    await k8s?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the import manifest: public by token, 404 for unknown tokens or the wrong cluster', async () => {
    const crt = await until('the default registration token', async () => {
      const list = await srv.request('GET', `/v3/clusterregistrationtokens?clusterId=${clusterId}`, { token: admin });
      return list.json.data[0];
    });
    const manifest = await srv.request('GET', new URL(crt.manifestUrl).pathname);
    assert.equal(manifest.status, 200, manifest.text);
    assert.match(String(manifest.headers['content-type']), /yaml/);
    assert.match(manifest.text, /kind: Deployment/);
    assert.match(manifest.text, new RegExp(`value: https://127.0.0.1:${relay.port}`));
    for (const path of ['/v3/import/nosuchtoken.yaml', `/v3/import/${crt.token}_c-other.yaml`, '/v3/import/..%2f..%2fetc.yaml']) {
      const res = await srv.request('GET', path);
      assert.equal(res.status, 404, `${path}: ${res.text}`);
      assert.equal(res.json.code, 'NotFound');
    }
    // Rancher's older URL form, without the cluster id, works too.
    assert.equal((await srv.request('GET', `/v3/import/${crt.token}.yaml`)).status, 200);
  });

  test('kubectl applies the insecure command; the cluster agent process connects; the cluster turns active', async () => {
    const crt = (await srv.request('GET', `/v3/clusterregistrationtokens?clusterId=${clusterId}`, { token: admin })).json.data[0];
    assert.match(crt.insecureCommand, /^curl --insecure -sfL .* \| kubectl apply -f -$/);
    const applied = await shell(crt.insecureCommand, { KUBECONFIG: k8s.kubeconfigPath });
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /deployment.apps\/cattle-cluster-agent created/);

    agent = await runClusterAgentPod(k8s, dir);

    const cluster = await until(
      'the cluster active through its agent',
      async () => {
        const c = await srv.request('GET', `/v3/clusters/${clusterId}`, { token: admin });
        return c.json.state === 'active' && c.json;
      },
      30_000,
    ).catch((err: Error) => assert.fail(`${err.message}\nagent stderr: ${agent?.stderr()}\nagent stdout: ${agent?.stdout()}`));
    assert.equal(cluster.version.gitVersion, `v${k8s.version.replace(/^v/, '')}`);
    assert.equal(cluster.apiEndpoint, `https://${new URL(k8s.url).host}`);
    assert.equal(cluster.agentApi, undefined, 'the agent credentials are never shown');
  });

  async function kubeconfig(name: string): Promise<string> {
    const res = await srv.request('POST', `/v3/clusters/${clusterId}?action=generateKubeconfig`, { token: admin });
    assert.equal(res.status, 200, res.text);
    const path = join(dir, name);
    await writeFile(path, res.json.config);
    return path;
  }

  test('kubectl through Paddock and the tunnel: get, apply, explain, delete', async () => {
    const config = await kubeconfig('admin.yaml');
    const ns = await until('cluster-admin through the tunnel', async () => {
      const r = await kubectl({ kubeconfigPath: config }, ['get', 'namespaces', '-o', 'name']);
      return r.code === 0 && r.stdout;
    });
    assert.match(ns, /namespace\/cattle-system/);
    const apply = await kubectl({ kubeconfigPath: config }, ['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: via-tunnel\n  namespace: default\ndata:\n  k: v\n');
    assert.equal(apply.code, 0, apply.stderr);
    const got = await kubectl(k8s, ['get', 'configmap', 'via-tunnel', '-n', 'default', '-o', 'jsonpath={.data.k}']);
    assert.equal(got.stdout, 'v');
    const explain = await kubectl({ kubeconfigPath: config }, ['explain', 'configmap.data']);
    assert.equal(explain.code, 0, explain.stderr);
    assert.match(explain.stdout, /FIELD:\s+data/);
    assert.equal((await kubectl({ kubeconfigPath: config }, ['delete', 'configmap', 'via-tunnel', '-n', 'default'])).code, 0);
  });

  test('the tunnel cut mid-watch: the watch ends, the cluster shows unavailable; restored: kubectl works again, nothing restarted', async () => {
    const { hostname, port } = new URL(srv.url);
    const watchEnded = new Promise<string>((resolve, reject) => {
      const req = httpsRequest(
        { hostname, port, path: `/k8s/clusters/${clusterId}/api/v1/namespaces/default/configmaps?watch=true`, ca: srv.ca, headers: { authorization: `Bearer ${admin}` } },
        (res) => {
          if (res.statusCode !== 200) reject(new Error(`watch answered ${res.statusCode}`));
          res.resume();
          res.on('end', () => resolve('ended'));
          res.on('error', () => resolve('error'));
          res.on('aborted', () => resolve('aborted'));
        },
      );
      req.on('error', () => resolve('request error'));
      req.end();
    });
    // Let the watch reach the cluster before the link goes.
    await new Promise((r) => setTimeout(r, 500));
    await relay.cut();
    const how = await Promise.race([watchEnded, new Promise<string>((r) => setTimeout(() => r('hung'), 30_000))]);
    assert.notEqual(how, 'hung', 'a watch through a lost tunnel must end, not hang');

    const down = await until('the cluster unavailable', async () => {
      const c = await srv.request('GET', `/v3/clusters/${clusterId}`, { token: admin });
      return c.json.state !== 'active' && c.json;
    });
    const ready = down.conditions.find((c: { type: string }) => c.type === 'Ready');
    assert.equal(ready.status, 'False', JSON.stringify(down.conditions));
    const config = await kubeconfig('during-cut.yaml');
    const failed = await kubectl({ kubeconfigPath: config }, ['get', 'ns', 'default', '--request-timeout=10s']);
    assert.notEqual(failed.code, 0, 'no way to the cluster while its agent is cut off');

    await relay.restore();
    await until('the cluster active again', async () => (await srv.request('GET', `/v3/clusters/${clusterId}`, { token: admin })).json.state === 'active', 60_000);
    const again = await until('kubectl works again', async () => (await kubectl({ kubeconfigPath: config }, ['get', 'ns', 'default', '-o', 'name'])).code === 0, 30_000);
    assert.ok(again);
    assert.equal(agent?.child.exitCode, null, 'the agent was not restarted');
  });

  test('deleting the cluster tells its cluster agent, which exits 0', async () => {
    assert.ok(agent);
    const res = await srv.request('DELETE', `/v3/clusters/${clusterId}`, { token: admin });
    assert.ok([200, 204].includes(res.status), res.text);
    const exit = await Promise.race([agent.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 30_000))]);
    assert.deepEqual(exit, { code: 0, signal: null }, agent.stderr());
  });
});

/** A cluster agent started outside a pod says what is missing, in one line, and exits 1. */
test('a cluster agent without KUBERNETES_SERVICE_HOST or service-account files exits 1 with the reason', async () => {
  const base = ['agent', '--cluster-agent', '--server', 'https://127.0.0.1:1', '--token', 'x'];
  const noHost = spawnPaddock(base, { KUBERNETES_SERVICE_HOST: '' });
  assert.deepEqual(await noHost.exited, { code: 1, signal: null });
  assert.match(noHost.stderr(), /KUBERNETES_SERVICE_HOST is not set/);
  const noFiles = spawnPaddock([...base, '--service-account-dir', '/nonexistent'], { KUBERNETES_SERVICE_HOST: '127.0.0.1' });
  assert.deepEqual(await noFiles.exited, { code: 1, signal: null });
  assert.match(noFiles.stderr(), /\/nonexistent\/token cannot be read/);
});
