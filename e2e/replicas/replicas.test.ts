import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { httpsCall } from '../../packages/server/src/testing/test-server.js';
import { startEtcd, type EtcdProcess } from '../../packages/server/src/testing/etcd-process.js';
import { until } from '../../packages/server/src/testing/wait.js';
import { startPaddock, stopPaddock, type ServerProcess } from '../support/server-process.js';

const PASSWORD = 'replicas-password-1';

/** How many times a replica's log says it was elected / lost leadership. */
const elections = (p: ServerProcess) => p.stdout().split('\n').filter((l) => l.includes('elected leader')).length;
const losses = (p: ServerProcess) => p.stdout().split('\n').filter((l) => l.includes('lost leadership')).length;
/** Still running (a killed process has a signal code, not an exit code). */
const alive = (p: ServerProcess) => p.child.exitCode === null && p.child.signalCode === null;

/**
 * Paddock replicas on one real etcd, as real processes: both serve the API with one CA and the same tokens;
 * controllers run on exactly one, the leader; a leader killed, paused (SIGSTOP) or stopped hands them over.
 */
describe('replicas on one etcd', () => {
  let etcd: EtcdProcess;
  let dirs: string[] = [];
  const replicas: ServerProcess[] = [];
  let token: string;

  const start = async (dataDir: string, port?: number) => {
    const p = await startPaddock(dataDir, ['--datastore', 'etcd', '--etcd-endpoints', etcd.endpoint, '--log-level', 'info'], port);
    replicas.push(p);
    return p;
  };
  const call = (p: ServerProcess, ca: string, method: string, path: string, body?: unknown) => httpsCall(`${p.url}${path}`, ca, method, { token, body });
  const leaderOf = (ps: ServerProcess[]) => ps.filter((p) => alive(p) && elections(p) > losses(p));

  before(async () => {
    etcd = await startEtcd();
    dirs = await Promise.all([0, 1].map(() => mkdtemp(join(tmpdir(), 'paddock-replica-'))));
  });
  after(async () => {
    for (const p of replicas) if (alive(p)) p.child.kill('SIGKILL');
    await etcd?.remove();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test('two replicas started together: one CA, one admin, tokens accepted by both, one leader', async () => {
    const [a, b] = await Promise.all(dirs.map((d) => start(d)));
    assert.ok(a && b);
    const [caA, caB] = await Promise.all([a.ca(), b.ca()]);
    assert.equal(caA, caB, 'the same CA in both data dirs');
    // B's serving certificate verifies against A's CA file.
    const cacerts = await httpsCall(`${b.url}/v3/settings/cacerts`, caA, 'GET');
    assert.equal(cacerts.status, 200);
    assert.equal(cacerts.json.value.trim(), caA.trim());

    const login = await httpsCall(`${a.url}/v3-public/localProviders/local?action=login`, caA, 'POST', { body: { username: 'admin', password: 'admin' } });
    assert.equal(login.status, 201, login.text);
    token = login.json.token;
    const changed = await httpsCall(`${b.url}/v3/users?action=changepassword`, caA, 'POST', { token, body: { currentPassword: 'admin', newPassword: PASSWORD } });
    assert.equal(changed.status, 200, `a token from A works on B: ${changed.text}`);
    const admins = await call(a, caA, 'GET', '/v3/users?username=admin');
    assert.equal(admins.json.data.length, 1, 'one admin, not one per replica');

    await until('a leader', () => leaderOf([a, b]).length === 1, 20_000);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(leaderOf([a, b]).length, 1, 'exactly one leader');
  });

  test('controllers run on the leader whichever replica took the write; the leader killed, the other takes over', async () => {
    const [a, b] = replicas;
    assert.ok(a && b);
    const ca = await a.ca();
    const [leader] = leaderOf([a, b]);
    assert.ok(leader);
    const follower = leader === a ? b : a;
    const created = await call(follower, ca, 'POST', '/v3/clusters', { name: 'via-follower' });
    assert.equal(created.status, 201, created.text);
    // The cluster controller (on the leader) gives every cluster its registration token.
    await until('the registration token from the leader\'s controller', async () => (await call(follower, ca, 'GET', `/v3/clusterregistrationtokens?clusterId=${created.json.id}`)).json.data.length === 1);

    leader.child.kill('SIGKILL');
    const killedAt = performance.now();
    await until('the follower leads', () => elections(follower) > losses(follower), 30_000);
    process.stderr.write(`controller failover after SIGKILL of the leader: ${(performance.now() - killedAt).toFixed(0)} ms\n`);
    const second = await call(follower, ca, 'POST', '/v3/clusters', { name: 'after-failover' });
    await until('controllers run on the new leader', async () => (await call(follower, ca, 'GET', `/v3/clusterregistrationtokens?clusterId=${second.json.id}`)).json.data.length === 1);
  });

  test('a leader paused past its lease (SIGSTOP) is replaced; woken, it stands down; SIGTERM hands over at once', async () => {
    const dead = replicas.find((p) => !alive(p));
    const survivor = replicas.find((p) => alive(p));
    assert.ok(dead && survivor);
    // The killed replica comes back on its data dir and port, as a candidate.
    const back = await start(dead.dataDir, dead.httpsPort);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(elections(back), 0, 'a leader is alive: the restarted replica waits');

    survivor.child.kill('SIGSTOP');
    const stoppedAt = performance.now();
    try {
      await until('the restarted replica leads', () => elections(back) > 0, 30_000);
      process.stderr.write(`controller failover after SIGSTOP of the leader: ${(performance.now() - stoppedAt).toFixed(0)} ms\n`);
    } finally {
      survivor.child.kill('SIGCONT');
    }
    await until('the woken replica knows it lost', () => losses(survivor) >= elections(survivor), 30_000);
    assert.equal(leaderOf([back, survivor]).length, 1);

    const termAt = performance.now();
    await stopPaddock(back, 'SIGTERM');
    await until('the other leads after a resignation', () => elections(survivor) > losses(survivor), 30_000);
    process.stderr.write(`controller handover after SIGTERM of the leader: ${(performance.now() - termAt).toFixed(0)} ms\n`);
  });
});
