import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawn } from 'node:child_process';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../../packages/server/src/testing/test-server.js';
import { until } from '../../packages/server/src/testing/wait.js';
import { createCluster, startAgent, type Registration } from '../support/agent-process.js';
import { createTestNetwork, type TestNetwork } from '../support/netns.js';
import { freePort } from '../support/server-process.js';

const ECHO = "require('net').createServer((s) => s.pipe(s)).listen(7777, '0.0.0.0')";
const RECONNECT_MS = 90_000;

describe('agents on three hosts (network namespaces)', () => {
  let network: TestNetwork;
  let srv: TestServer;
  let admin: string;
  let reg: Registration;
  let dataDir: string;
  let port: number;
  const children: { kill: (s: NodeJS.Signals) => boolean; exitCode: number | null }[] = [];

  const start = async () => {
    srv = await startTestServer({ dataDir, bindAddress: '0.0.0.0', httpsPort: String(port), serverUrl: `https://${network.gateway}:${port}`, agentTimeout: '4' });
  };
  const nodes = async () => (await srv.request('GET', `/v3/nodes?clusterId=${reg.clusterId}&sort=nodeName`, { token: admin })).json.data as Record<string, unknown>[];
  const stateOf = async (name: string) => (await nodes()).find((n) => n.nodeName === name)?.state;

  before(async () => {
    network = createTestNetwork(['h1', 'h2', 'h3']);
    dataDir = await mkdtemp(join(tmpdir(), 'paddock-netns-'));
    port = await freePort();
    await start();
    admin = await srv.adminToken();
    reg = await createCluster(srv, admin, 'three-hosts');
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await srv.close({ keepDataDir: true });
    await rm(dataDir, { recursive: true, force: true });
    network.destroy();
  });

  test('three agents with different roles register with their own addresses', async () => {
    const server = `https://${network.gateway}:${port}`;
    const [h1, h2, h3] = network.hosts;
    const roles = [['--etcd'], ['--controlplane'], ['--worker']];
    network.hosts.forEach((h, i) => {
      // h3 gives no --address: the agent finds its own from the default route.
      const address = h === h3 ? [] : ['--address', h.address];
      const a = startAgent(server, reg, [...(roles[i] ?? []), '--node-name', h.name, '--ping-timeout', '4', ...address], ['ip', 'netns', 'exec', h.netns]);
      children.push(a.child);
    });
    const all = await until('three active nodes', async () => {
      const list = await nodes();
      return list.length === 3 && list.every((n) => n.state === 'active') ? list : undefined;
    }, 30_000);
    assert.deepEqual(all.map((n) => [n.nodeName, n.ipAddress, n.etcd, n.controlPlane, n.worker]), [
      ['h1', h1?.address, true, false, false],
      ['h2', h2?.address, false, true, false],
      ['h3', h3?.address, false, false, true],
    ]);
    await until('the cluster follows its nodes', async () => {
      const cluster = (await srv.request('GET', `/v3/clusters/${reg.clusterId}`, { token: admin })).json;
      return /3 of 3 nodes active \(etcd, controlplane, worker\)/.test(cluster.transitioningMessage) ? true : undefined;
    });
  });

  test('the server reaches a service inside a host through its agent', async () => {
    const h1 = network.hosts[0];
    assert.ok(h1);
    const echo = spawn('ip', ['netns', 'exec', h1.netns, process.execPath, '-e', ECHO], { stdio: 'ignore' });
    children.push(echo);
    const node = (await nodes()).find((n) => n.nodeName === 'h1');
    const reply = await until('echo through the tunnel', async () => {
      const stream = await srv.server.dialer.dial({ nodeId: String(node?.id) }, h1.address, 7777).catch(() => undefined);
      if (!stream) return undefined;
      stream.end('ping from the server');
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString();
    });
    assert.equal(reply, 'ping from the server');
  });

  test('cutting a host off makes its node unavailable; restoring the link brings it back', async () => {
    const h2 = network.hosts[1];
    assert.ok(h2);
    network.setLink(h2, false);
    await until('h2 unavailable', async () => ((await stateOf('h2')) === 'unavailable' ? true : undefined), 30_000);
    assert.equal(await stateOf('h1'), 'active');
    network.setLink(h2, true);
    await until('h2 active again', async () => ((await stateOf('h2')) === 'active' ? true : undefined), RECONNECT_MS);
  });

  test('after a server restart every agent comes back by itself', async () => {
    await srv.close({ keepDataDir: true });
    await start();
    admin = await srv.login('admin', ADMIN_PASSWORD);
    await until('all three active again', async () => {
      const list = await nodes();
      return list.length === 3 && list.every((n) => n.state === 'active') ? true : undefined;
    }, RECONNECT_MS);
  });
});
