import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { dialTcp, TunnelSession } from '@paddock/tunnel';
import WebSocket from 'ws';
import { startEtcd, type EtcdProcess } from '../testing/etcd-process.js';
import { httpsCall, startTestServer, type TestServer } from '../testing/test-server.js';
import { until } from '../testing/wait.js';
import { NoTunnelError } from '../tunnel/dialer.js';
import { PEER_ID_HEADER, PEER_PATH, PEER_TIME_HEADER, PEER_TOKEN_HEADER, peerToken, peerTokenValid, PEER_TOKEN_WINDOW_MS } from './peer-protocol.js';

/** Sends `text` down a dialed stream to the echo server and resolves with what came back. */
async function echo(stream: Duplex, text: string): Promise<string> {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.end(text);
  await once(stream, 'end');
  return Buffer.concat(chunks).toString();
}

/** Attempts a websocket upgrade and resolves with the HTTP status (101 when accepted). */
function upgradeStatus(url: string, ca: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, ca });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('error', reject);
  });
}

/**
 * Two replicas on one real etcd, in this process: an agent's tunnel held by B is dialed from A through B
 * (node and cluster dials), a replica without the replicas' secret is refused, and once the agent is gone A's
 * dials fail with "no connected agent".
 */
test('a peer token is bound to its replica and its time, and expires', () => {
  const secret = Buffer.alloc(32, 7);
  const now = 1_800_000_000_000;
  const token = peerToken(secret, 'replica-a', now);
  assert.equal(peerTokenValid(secret, 'replica-a', String(now), token, now + 1_000), true);
  assert.equal(peerTokenValid(secret, 'replica-b', String(now), token, now), false, 'another identity');
  assert.equal(peerTokenValid(secret, 'replica-a', String(now + 1), token, now), false, 'another time');
  assert.equal(peerTokenValid(Buffer.alloc(32, 8), 'replica-a', String(now), token, now), false, 'another secret');
  assert.equal(peerTokenValid(secret, 'replica-a', String(now), token, now + PEER_TOKEN_WINDOW_MS + 1), false, 'too old: a captured token is useless');
  assert.equal(peerTokenValid(secret, 'replica-a', 'soon', token, now), false);
});

describe('replicas dial through each other\'s agent tunnels', () => {
  let etcd: EtcdProcess;
  let a: TestServer;
  let b: TestServer;
  let echoServer: Server;
  let echoPort: number;
  let agent: TunnelSession;
  let nodeId: string;
  let clusterId: string;

  before(async () => {
    etcd = await startEtcd();
    const flags = { datastore: 'etcd', etcdEndpoints: etcd.endpoint };
    a = await startTestServer(flags);
    b = await startTestServer(flags);
    echoServer = createServer((socket) => socket.pipe(socket));
    echoServer.listen(0, '127.0.0.1');
    await once(echoServer, 'listening');
    echoPort = (echoServer.address() as AddressInfo).port;

    const admin = await a.adminToken();
    const cluster = (await a.request('POST', '/v3/clusters', { token: admin, body: { name: 'edge', rancherKubernetesEngineConfig: {} } })).json;
    clusterId = cluster.id;
    const crt = (await a.request('POST', '/v3/clusterregistrationtokens', { token: admin, body: { clusterId } })).json;
    const params = Buffer.from(JSON.stringify({ nodeName: 'edge-1', address: '127.0.0.1', roles: ['worker'] })).toString('base64');
    const ws = new WebSocket(`${b.url.replace('https', 'wss')}/v3/connect/register`, { headers: { 'X-API-Tunnel-Token': crt.token, 'X-API-Tunnel-Params': params }, ca: b.ca });
    agent = new TunnelSession(ws, { role: 'client', dial: dialTcp });
    const [res] = (await once(ws, 'upgrade')) as [{ headers: Record<string, string> }];
    nodeId = String(res.headers['x-paddock-node-id']);
  });
  after(async () => {
    agent?.close('test over');
    await a?.close();
    await b?.close();
    echoServer?.close();
    await etcd?.remove();
  });

  test('a node\'s and a cluster\'s tunnel held by B, dialed from A', async () => {
    assert.equal(b.server.registry.get(nodeId)?.clusterId, clusterId, 'B holds the tunnel');
    assert.equal(a.server.registry.get(nodeId), undefined, 'A does not');
    // A learns from B's presence record where the tunnel is (within a heartbeat).
    const stream = await until('A dials through B', () => a.server.dialer.dial({ nodeId }, '127.0.0.1', echoPort).catch(() => undefined), 10_000);
    assert.equal(await echo(stream, 'through the peer'), 'through the peer');
    const byCluster = await a.server.dialer.dial({ clusterId }, '127.0.0.1', echoPort);
    assert.equal(await echo(byCluster, 'by cluster'), 'by cluster');
    // Many streams share one peer connection.
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => a.server.dialer.dial({ nodeId }, '127.0.0.1', echoPort).then((s) => echo(s, `stream ${i}`))));
    assert.deepEqual(many, Array.from({ length: 20 }, (_, i) => `stream ${i}`));
  });

  test('an unknown node is no connected agent, not a hang', async () => {
    await assert.rejects(a.server.dialer.dial({ nodeId: `${clusterId}:m-nope1` }, '127.0.0.1', echoPort), NoTunnelError);
  });

  test('the peer door refuses callers without the replicas\' secret', async () => {
    const url = `${b.url.replace('https', 'wss')}${PEER_PATH}`;
    assert.equal(await upgradeStatus(url, b.ca, {}), 401);
    assert.equal(await upgradeStatus(url, b.ca, { [PEER_ID_HEADER]: 'intruder', [PEER_TIME_HEADER]: String(Date.now()), [PEER_TOKEN_HEADER]: 'f'.repeat(64) }), 401);
    assert.equal(await upgradeStatus(url, b.ca, { [PEER_ID_HEADER]: 'intruder', [PEER_TOKEN_HEADER]: 'short' }), 401);
    // A registration token is no peer token either.
    const admin = await a.adminToken();
    const crt = (await a.request('GET', `/v3/clusterregistrationtokens?clusterId=${clusterId}`, { token: admin })).json.data[0];
    assert.equal(await upgradeStatus(url, b.ca, { [PEER_ID_HEADER]: 'intruder', [PEER_TOKEN_HEADER]: crt.token }), 401);
    // The replicas' secret is never served by the API.
    const schemas = await httpsCall(`${a.url}/v3/schemas/peerSecret`, a.ca, 'GET', { token: admin });
    assert.equal(schemas.status, 404);
  });

  test('a write acknowledged by one replica is read at once from the other (tokens, clusters, deletes)', async () => {
    const admin = await a.adminToken();
    for (let i = 0; i < 30; i++) {
      const [writer, reader] = i % 2 === 0 ? [a, b] : [b, a];
      // A login on one replica: its token works on the other at once.
      const key = await writer.request('POST', '/v3/tokens', { token: admin, body: { description: `read-your-writes ${i}` } });
      assert.equal(key.status, 201, key.text);
      const me = await reader.request('GET', '/v3/users?me=true', { token: key.json.token });
      assert.equal(me.status, 200, `token ${i} made on one replica works on the other: ${me.text}`);
      const created = await writer.request('POST', '/v3/clusters', { token: admin, body: { name: `ryw-${i}` } });
      assert.equal(created.status, 201, created.text);
      const read = await reader.request('GET', `/v3/clusters/${created.json.id}`, { token: admin });
      assert.equal(read.status, 200, `cluster ${i} readable on the other replica at once`);
      const updated = await writer.request('PUT', `/v3/clusters/${created.json.id}`, { token: admin, body: { description: `v${i}` } });
      assert.equal(updated.status, 200, updated.text);
      const reread = await reader.request('GET', `/v3/clusters/${created.json.id}`, { token: admin });
      assert.ok(Number(reread.json.resourceVersion) >= Number(updated.json.resourceVersion), 'not older than the acknowledged update');
      assert.equal(reread.json.description, `v${i}`);
      const removed = await writer.request('DELETE', `/v3/clusters/${created.json.id}`, { token: admin });
      assert.ok(removed.status === 200 || removed.status === 204, removed.text);
      const gone = await reader.request('GET', `/v3/clusters/${created.json.id}`, { token: admin });
      assert.equal(gone.status, 404, `cluster ${i} deleted on one replica is gone from the other at once`);
    }
  });

  test('failed logins count across replicas: five on A and B together block the user on both', async () => {
    const admin = await a.adminToken();
    const created = await a.request('POST', '/v3/users', { token: admin, body: { username: 'mallory-target', password: 'a-right-password-1' } });
    assert.equal(created.status, 201, created.text);
    const login = (srv: TestServer, password: string) =>
      srv.request('POST', '/v3-public/localProviders/local?action=login', { body: { username: 'mallory-target', password } });
    for (let i = 0; i < 5; i++) assert.equal((await login(i % 2 === 0 ? a : b, `wrong-${i}`)).status, 401, `failure ${i}`);
    for (const srv of [a, b]) {
      const blocked = await login(srv, 'a-right-password-1');
      assert.equal(blocked.status, 429, `blocked on ${srv === a ? 'A' : 'B'}: ${blocked.text}`);
      assert.equal(blocked.json.code, 'TooManyRequests');
    }
    const wait = await login(b, 'a-right-password-1');
    await new Promise((r) => setTimeout(r, Number(wait.headers['retry-after'] ?? '1') * 1000 + 50));
    assert.equal((await login(b, 'a-right-password-1')).status, 201, 'the block ends');
    // The success on B cleared the count for A too: one failure there does not block.
    assert.equal((await login(a, 'wrong-again')).status, 401);
    assert.equal((await login(a, 'a-right-password-1')).status, 201);

    // Guesses sent all at once to both replicas: each is counted before it is verified, so only five are tried.
    const guesses = await Promise.all(Array.from({ length: 20 }, (_, i) => login(i % 2 === 0 ? a : b, `parallel-${i}`)));
    const statuses = guesses.map((g) => g.status);
    assert.equal(statuses.filter((s) => s === 401).length, 5, `five verified, the rest refused: ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 429).length, 15);
  });

  test('once the agent is gone, A\'s dials say there is no connected agent', async () => {
    agent.close('agent stopped');
    await until('B to drop the tunnel and A to know it', async () => {
      const outcome = await a.server.dialer.dial({ nodeId }, '127.0.0.1', echoPort).then(
        (s) => (s.destroy(), 'dialed'),
        (err: unknown) => err,
      );
      return outcome instanceof NoTunnelError;
    }, 10_000);
  });
});
