import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { request } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KUBERNETES_VERSION, kubectl, startK8sTestEnv, type K8sTestEnv } from '../support/k8s-testenv.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** RBAC's authorizer reads bindings through an informer, so a new binding takes effect a moment after it is created. */
async function waitUntilAllowed(env: K8sTestEnv, as: string, verb: string, resource: string, namespace: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await kubectl(env, ['auth', 'can-i', verb, resource, '-n', namespace, `--as=${as}`]);
    if (r.stdout.trim() === 'yes') return;
    if (Date.now() > deadline) throw new Error(`${as} still may not ${verb} ${resource}: ${r.stdout}${r.stderr}`);
    await sleep(100);
  }
}

function getWithToken(env: K8sTestEnv, path: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(`${env.url}${path}`, { ca: env.caPem, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume().on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

describe('k8s test environment (etcd, kube-apiserver, kube-controller-manager)', () => {
  let env: K8sTestEnv;
  before(async () => {
    env = await startK8sTestEnv();
    process.stderr.write(`k8s testenv ${KUBERNETES_VERSION} ready in ${env.readyMs} ms at ${env.url}\n`);
  });
  after(() => env?.stop());

  test('kubectl with the admin kubeconfig reaches the pinned apiserver and lists the system namespaces', async () => {
    const version = await kubectl(env, ['version', '-o', 'json']);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(JSON.parse(version.stdout).serverVersion.gitVersion, KUBERNETES_VERSION);

    const ns = await kubectl(env, ['get', 'namespaces', '-o', 'jsonpath={.items[*].metadata.name}']);
    assert.equal(ns.code, 0, ns.stderr);
    for (const name of ['default', 'kube-system', 'kube-public']) assert.ok(ns.stdout.split(' ').includes(name), ns.stdout);
  });

  test('namespace, service account and cluster role binding; RBAC decides what impersonated users may do', async () => {
    for (const args of [
      ['create', 'namespace', 'team-a'],
      ['-n', 'team-a', 'create', 'serviceaccount', 'robot'],
      ['create', 'clusterrolebinding', 'bob-view', '--clusterrole=view', '--user=bob'],
      ['create', 'clusterrolebinding', 'robot-view', '--clusterrole=view', '--serviceaccount=team-a:robot'],
    ]) {
      const r = await kubectl(env, args);
      assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    }

    await waitUntilAllowed(env, 'bob', 'list', 'pods', 'team-a');
    await waitUntilAllowed(env, 'system:serviceaccount:team-a:robot', 'list', 'pods', 'team-a');

    const alice = await kubectl(env, ['--as=alice', '-n', 'team-a', 'get', 'pods']);
    assert.notEqual(alice.code, 0);
    assert.match(alice.stderr, /forbidden: User "alice" cannot list resource "pods"/);

    const bob = await kubectl(env, ['--as=bob', '-n', 'team-a', 'get', 'pods']);
    assert.equal(bob.code, 0, bob.stderr);
    const bobWrite = await kubectl(env, ['--as=bob', '-n', 'team-a', 'create', 'configmap', 'x']);
    assert.notEqual(bobWrite.code, 0);
    assert.match(bobWrite.stderr, /forbidden/);

    const robot = await kubectl(env, ['--as=system:serviceaccount:team-a:robot', '-n', 'team-a', 'get', 'pods']);
    assert.equal(robot.code, 0, robot.stderr);
  });

  test('service-account tokens are issued and accepted (signing key, issuer and verification key agree)', async () => {
    const token = await kubectl(env, ['-n', 'team-a', 'create', 'token', 'robot', '--duration=10m']);
    assert.equal(token.code, 0, token.stderr);
    assert.equal(await getWithToken(env, '/api/v1/namespaces/team-a/pods', token.stdout.trim()), 200);
    assert.equal(await getWithToken(env, '/api/v1/namespaces/team-a/secrets', token.stdout.trim()), 403);
    assert.equal(await getWithToken(env, '/api/v1/namespaces', 'not-a-token'), 401);
  });

  test('the controller manager runs: default service accounts appear and a deleted namespace goes away', async () => {
    const sa = await kubectl(env, ['-n', 'team-a', 'get', 'serviceaccount', 'default', '-o', 'name']);
    assert.equal(sa.code, 0, sa.stderr);
    const del = await kubectl(env, ['delete', 'namespace', 'team-a', '--wait=true', '--timeout=60s']);
    assert.equal(del.code, 0, del.stderr);
    const gone = await kubectl(env, ['get', 'namespace', 'team-a']);
    assert.match(gone.stderr, /NotFound/);
  });

  test('stop ends every process and removes the directory', async () => {
    const { dir, pids } = env;
    assert.ok(existsSync(dir));
    assert.ok(pids.controllerManager !== null);
    assert.ok(alive(pids.apiserver) && alive(pids.etcd) && alive(pids.controllerManager));
    const t0 = Date.now();
    await env.stop();
    process.stderr.write(`k8s testenv stopped in ${Date.now() - t0} ms\n`);
    assert.equal(alive(pids.apiserver), false);
    assert.equal(alive(pids.etcd), false);
    assert.equal(alive(pids.controllerManager), false);
    assert.equal(existsSync(dir), false);
    await env.stop();
  });
});
