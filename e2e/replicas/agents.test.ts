import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { httpsCall, type RequestOptions } from '../../packages/server/src/testing/test-server.js';
import { startEtcd, type EtcdProcess } from '../../packages/server/src/testing/etcd-process.js';
import { until } from '../../packages/server/src/testing/wait.js';
import { createCluster, startAgent } from '../support/agent-process.js';
import { startPaddock, type ServerProcess } from '../support/server-process.js';
import { TcpRelay } from '../support/tcp-relay.js';

/** Running, and not sent a kill (its exit is reported later than the next request would go to it). */
const alive = (p: ServerProcess) => p.child.exitCode === null && p.child.signalCode === null && !p.child.killed;
const count = (p: ServerProcess, text: string) => p.stdout().split(text).length - 1;
const leads = (p: ServerProcess) => alive(p) && count(p, 'elected leader') > count(p, 'lost leadership');
const connections = (p: ServerProcess) => count(p, '"msg":"agent connected"');
/** A replica's presence goes stale after three 3 s intervals; a little more to be sure. */
const PRESENCE_STALE_MS = 9_000 + 2_000;

/**
 * Agents of replicas on one etcd: a node is active whichever replica holds its tunnel (the leader's liveness
 * reads every replica's presence record); when that replica dies its nodes turn unavailable, and an agent
 * that comes back through another replica (here a relay standing for the load balancer) is active again.
 */
describe('agents and replicas', () => {
  let etcd: EtcdProcess;
  let dir: string;
  const replicas: ServerProcess[] = [];
  const agents: ReturnType<typeof startAgent>[] = [];
  let relay: TcpRelay | undefined;
  let ca: string;
  let token: string;

  const start = (name: string, port?: number) =>
    startPaddock(join(dir, name), ['--datastore', 'etcd', '--etcd-endpoints', etcd.endpoint, '--log-level', 'info'], port);
  /** The API of whichever replica is alive. */
  const api = {
    request: (method: string, path: string, options?: RequestOptions) => {
      const to = replicas.find(alive);
      assert.ok(to, 'a live replica');
      return httpsCall(`${to.url}${path}`, ca, method, options);
    },
  };
  const call = (method: string, path: string, body?: unknown) => api.request(method, path, { token, body });
  const node = async (name: string) => (await call('GET', `/v3/nodes?nodeName=${name}`)).json.data[0] as { state: string } | undefined;
  const registration = (name: string) => createCluster(api, token, name);

  before(async () => {
    etcd = await startEtcd();
    dir = await mkdtemp(join(tmpdir(), 'paddock-replicas-agents-'));
    replicas.push(...(await Promise.all(['a', 'b'].map((name) => start(name)))));
    ca = await replicas[0]!.ca();
    const login = await httpsCall(`${replicas[0]!.url}/v3-public/localProviders/local?action=login`, ca, 'POST', { body: { username: 'admin', password: 'admin' } });
    token = login.json.token;
    const changed = await call('POST', '/v3/users?action=changepassword', { currentPassword: 'admin', newPassword: 'replicas-agents-1' });
    assert.equal(changed.status, 200, changed.text);
    await until('a leader', () => replicas.some(leads), 20_000);
  });
  after(async () => {
    for (const a of agents) a.child.kill('SIGKILL');
    await relay?.cut();
    for (const p of replicas) if (alive(p)) p.child.kill('SIGKILL');
    await etcd?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('an agent on a replica that does not lead: its node is active; that replica killed, the node turns unavailable', async () => {
    const follower = replicas.find((r) => !leads(r));
    assert.ok(follower);
    const agent = startAgent(follower.url, await registration('on-follower'), ['--node-name', 'follower-node', '--address', '127.0.0.1', '--all-roles']);
    agents.push(agent);
    await until('active through the follower\'s presence', async () => (await node('follower-node'))?.state === 'active', 30_000);
    follower.child.kill('SIGKILL');
    await until('unavailable once the dead replica\'s presence is stale', async () => (await node('follower-node'))?.state === 'unavailable', 30_000);
    agent.child.kill('SIGKILL');
    // Back on its data dir and port, for the next test.
    replicas[replicas.indexOf(follower)] = await start(follower === replicas[0] ? 'a' : 'b', follower.httpsPort);
  });

  test('the replica holding a tunnel killed: the agent comes back through another and its node stays active', async () => {
    const [first, second] = replicas;
    assert.ok(first && second);
    relay = await TcpRelay.start({ host: '127.0.0.1', port: first.httpsPort });
    const agent = startAgent(`https://127.0.0.1:${relay.port}`, await registration('behind-relay'), ['--node-name', 'relay-node', '--address', '127.0.0.1', '--all-roles']);
    agents.push(agent);
    await until('active', async () => (await node('relay-node'))?.state === 'active', 30_000);
    const before = connections(second);
    relay.retarget({ host: '127.0.0.1', port: second.httpsPort });
    first.child.kill('SIGKILL');
    const killedAt = performance.now();
    await until('the agent connected to the other replica', () => connections(second) > before, 30_000);
    await until('active', async () => (await node('relay-node'))?.state === 'active', 30_000);
    process.stderr.write(`agent failover (its replica killed, connected again through the other): ${(performance.now() - killedAt).toFixed(0)} ms\n`);
    // Active from the live replica's presence, not from the dead one's last record: it stays so past its staleness.
    await new Promise((r) => setTimeout(r, PRESENCE_STALE_MS));
    assert.equal((await node('relay-node'))?.state, 'active');
    assert.equal(agent.child.exitCode, null, 'the agent was not restarted');
  });
});
