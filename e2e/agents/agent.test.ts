import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../packages/server/src/testing/test-server.js';
import { until } from '../../packages/server/src/testing/wait.js';
import { createCluster, startAgent, type Registration } from '../support/agent-process.js';

/** A TCP echo service on 127.0.0.1. */
async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.pipe(socket)).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port };
}

describe('the agent on this host', () => {
  let srv: TestServer;
  let admin: string;
  let reg: Registration;
  const agents: ReturnType<typeof startAgent>[] = [];
  const agent = (extra: string[], r: Registration = reg) => {
    const a = startAgent(srv.url, r, ['--address', '127.0.0.1', '--ping-timeout', '5', ...extra]);
    agents.push(a);
    return a;
  };
  const nodes = async (query = '') => (await srv.request('GET', `/v3/nodes?clusterId=${reg.clusterId}${query}`, { token: admin })).json.data as Record<string, unknown>[];

  before(async () => {
    srv = await startTestServer({ agentTimeout: '5' });
    admin = await srv.adminToken();
    reg = await createCluster(srv, admin, 'agents');
  });
  after(async () => {
    for (const a of agents) if (a.child.exitCode === null) a.child.kill('SIGKILL');
    await srv.close();
  });

  test('registers a node with its facts and roles, and shows it active', async () => {
    agent(['--etcd', '--controlplane', '--worker', '--node-name', 'node-one', '--label', 'zone=a', '--taints', 'dedicated=infra:NoSchedule']);
    const node = await until('node-one active', async () => (await nodes()).find((n) => n.nodeName === 'node-one' && n.state === 'active'));
    assert.match(String(node.id), new RegExp(`^${reg.clusterId}:m-[a-z0-9]{5}$`));
    assert.equal(node.ipAddress, '127.0.0.1');
    assert.equal(node.internalIpAddress, '127.0.0.1');
    assert.deepEqual([node.etcd, node.controlPlane, node.worker], [true, true, true]);
    assert.equal((node.labels as Record<string, string>).zone, 'a');
    assert.deepEqual(node.taints, [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }]);
    const info = node.info as { cpu: { count: number }; memory: { memTotalKiB: number }; os: Record<string, string>; agent: { version: string } };
    assert.ok(info.cpu.count > 0);
    assert.ok(info.memory.memTotalKiB > 0);
    assert.ok(info.os.kernelVersion);
    assert.match(info.agent.version, /^v\d/);
    const cluster = await until('cluster follows its nodes', async () => {
      const c = (await srv.request('GET', `/v3/clusters/${reg.clusterId}`, { token: admin })).json;
      return c.nodeCount === 1 ? c : undefined;
    });
    assert.match(cluster.transitioningMessage, /1 of 1 nodes active \(etcd, controlplane, worker\)/);
  });

  test('the server opens streams through the agent, within what the agent allows', async () => {
    const node = (await nodes()).find((n) => n.nodeName === 'node-one');
    const { server, port } = await echoServer();
    try {
      const stream = await srv.server.dialer.dial({ nodeId: String(node?.id) }, '127.0.0.1', port);
      stream.end('hello through the tunnel');
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      assert.equal(Buffer.concat(chunks).toString(), 'hello through the tunnel');
      const viaCluster = await srv.server.dialer.dial({ clusterId: reg.clusterId }, '127.0.0.1', port);
      viaCluster.destroy();
      await assert.rejects(srv.server.dialer.dial({ nodeId: String(node?.id) }, 'forbidden.invalid', 22), /not allowed/);
    } finally {
      server.close();
    }
  });

  test('the same machine registering again is the same node; a lost agent makes it unavailable', async () => {
    const before = (await nodes()).filter((n) => n.nodeName === 'node-one');
    assert.equal(before.length, 1);
    const first = agents[0];
    first?.child.kill('SIGKILL');
    await until('unavailable', async () => (await nodes()).find((n) => n.nodeName === 'node-one' && n.state === 'unavailable'));
    const down = (await nodes()).find((n) => n.nodeName === 'node-one');
    assert.match(String(down?.transitioningMessage), /agent not connected since \d{4}-/);
    agent(['--etcd', '--controlplane', '--worker', '--node-name', 'node-one']);
    await until('active again', async () => (await nodes()).find((n) => n.nodeName === 'node-one' && n.state === 'active'));
    assert.equal((await nodes()).filter((n) => n.nodeName === 'node-one').length, 1);
  });

  test('nodes filter by role and state, and can be cordoned', async () => {
    agent(['--worker', '--node-name', 'node-two']);
    await until('node-two active', async () => (await nodes('&state=active')).find((n) => n.nodeName === 'node-two'));
    assert.deepEqual((await nodes('&etcd=true')).map((n) => n.nodeName), ['node-one']);
    assert.deepEqual((await nodes('&worker=true&sort=nodeName')).map((n) => n.nodeName), ['node-one', 'node-two']);
    const two = (await nodes()).find((n) => n.nodeName === 'node-two');
    const cordon = await srv.request('POST', `/v3/nodes/${String(two?.id)}?action=cordon`, { token: admin });
    assert.equal(cordon.status, 200, cordon.text);
    assert.equal(cordon.json.unschedulable, true);
    assert.deepEqual(Object.keys(cordon.json.actions), ['uncordon']);
    const again = await srv.request('POST', `/v3/nodes/${String(two?.id)}?action=cordon`, { token: admin });
    assert.equal(again.status, 404);
    assert.equal((await srv.request('POST', `/v3/nodes/${String(two?.id)}?action=uncordon`, { token: admin })).json.unschedulable, false);
  });

  test('deleting a node tells its agent, which exits 0', async () => {
    const a = agent(['--worker', '--node-name', 'node-three']);
    const three = await until('node-three', async () => (await nodes('&state=active')).find((n) => n.nodeName === 'node-three'));
    assert.equal((await srv.request('DELETE', `/v3/nodes/${String(three.id)}`, { token: admin })).status, 204);
    const { code } = await a.exited;
    assert.equal(code, 0, a.stderr() + a.stdout());
    assert.match(a.stdout(), /removed/);
  });

  test('a wrong token or checksum makes the agent exit 1 with a clear message, and nothing is kept', async () => {
    const count = (await nodes()).length;
    const badToken = agent(['--worker', '--node-name', 'intruder'], { ...reg, token: 'x'.repeat(54) });
    assert.equal((await badToken.exited).code, 1);
    assert.match(badToken.stderr(), /registration token not recognised/);
    const badSum = agent(['--worker', '--node-name', 'intruder'], { ...reg, checksum: '0'.repeat(64) });
    assert.equal((await badSum.exited).code, 1);
    const message = badSum.stderr();
    assert.match(message, new RegExp(`${srv.url}/v3/settings/cacerts`));
    assert.match(message, new RegExp('0'.repeat(64)));
    assert.match(message, new RegExp(reg.checksum));
    assert.equal(message.trim().split('\n').length, 1);
    assert.equal((await nodes()).length, count);
  });
});
