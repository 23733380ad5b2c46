import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { until } from '../testing/wait.js';

/** Attempts a tunnel connect and returns the HTTP refusal (status and text), or 101 when it was accepted. */
function connect(srv: TestServer, path: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${srv.url.replace('https', 'wss')}${path}`, { headers, ca: srv.ca });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: text.trim() }));
    });
    ws.once('open', () => {
      ws.close();
      resolve({ status: 101, text: '' });
    });
    ws.once('error', (err) => {
      if (ws.readyState !== WebSocket.OPEN) reject(err);
    });
  });
}

const params = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
const facts = { nodeName: 'edge-1', address: '127.0.0.1', roles: ['worker'] };

describe('the agents\' connect endpoint refuses bad attempts clearly and keeps nothing', () => {
  let srv: TestServer;
  let admin: string;
  let token: string;
  before(async () => {
    srv = await startTestServer();
    admin = await srv.adminToken();
    const cluster = (await srv.request('POST', '/v3/clusters', { token: admin, body: { name: 'edge', rancherKubernetesEngineConfig: {} } })).json;
    token = (await srv.request('POST', '/v3/clusterregistrationtokens', { token: admin, body: { clusterId: cluster.id } })).json.token;
  });
  after(() => srv.close());

  const nodeCount = async () => (await srv.request('GET', '/v3/nodes', { token: admin })).json.data.length as number;

  test('malformed, oversized and invalid parameters', async () => {
    const cases: [string, RegExp][] = [
      ['!!!not base64 json', /not base64 JSON/],
      [params([1, 2]), /must be a JSON object/],
      [params({ address: '127.0.0.1' }), /nodeName is required/],
      [params({ ...facts, nodeName: 'Bad_Name' }), /node name "Bad_Name"/],
      [params({ ...facts, address: 'not-an-ip' }), /address "not-an-ip" is not an IP address/],
      [params({ ...facts, roles: ['boss'] }), /roles\[0\]: must be one of/],
      [params({ ...facts, taints: ['nope'] }), /taint "nope"/],
      [params({ ...facts, cpuCount: 'many' }), /cpuCount: expected an integer/],
      [Buffer.alloc(7_000, 'a').toString('base64'), /larger than 8192 bytes/],
    ];
    for (const [value, message] of cases) {
      const res = await connect(srv, '/v3/connect/register', { 'X-API-Tunnel-Token': token, 'X-API-Tunnel-Params': value });
      assert.equal(res.status, 422, `${value.slice(0, 40)}: ${res.text}`);
      assert.match(res.text, message);
    }
    const missing = await connect(srv, '/v3/connect/register', { 'X-API-Tunnel-Token': token });
    assert.equal(missing.status, 422);
    assert.equal(await nodeCount(), 0);
  });

  test('reconnecting a node that was never registered is a 404 that says what to do', async () => {
    const res = await connect(srv, '/v3/connect', { 'X-API-Tunnel-Token': token, 'X-API-Tunnel-Params': params(facts) });
    assert.equal(res.status, 404);
    assert.match(res.text, /not registered.*\/v3\/connect\/register/);
  });

  test('a token of another cluster cannot reconnect a node', async () => {
    const other = (await srv.request('POST', '/v3/clusters', { token: admin, body: { name: 'other', rancherKubernetesEngineConfig: {} } })).json;
    const otherToken = (await srv.request('POST', '/v3/clusterregistrationtokens', { token: admin, body: { clusterId: other.id } })).json.token;
    const ok = await connect(srv, '/v3/connect/register', { 'X-API-Tunnel-Token': token, 'X-API-Tunnel-Params': params({ ...facts, nodeName: 'mover' }) });
    assert.equal(ok.status, 101);
    const node = (await srv.request('GET', '/v3/nodes?nodeName=mover', { token: admin })).json.data[0];
    const res = await connect(srv, '/v3/connect', { 'X-API-Tunnel-Token': otherToken, 'X-API-Tunnel-Params': params({ ...facts, nodeName: 'mover', nodeId: node.id }) });
    assert.equal(res.status, 403);
    assert.match(res.text, new RegExp(`belongs to cluster ${other.id}, but node ${node.id} is in cluster`));
  });

  test('cluster agent parameters: checked field by field, the local cluster refused, nothing written when bad', async () => {
    const caCert = Buffer.from(srv.ca).toString('base64');
    const good = { address: '10.43.0.1:443', token: 'eyJhbGciOi.x.y', caCert };
    const clusterBefore = (await srv.request('GET', '/v3/clusters?name=edge', { token: admin })).json.data[0];
    const cases: [unknown, RegExp][] = [
      [{ cluster: 'yes' }, /must be a JSON object|expected an object/],
      [{ cluster: { ...good, address: undefined } }, /address is required/],
      [{ cluster: { ...good, address: 'no-port' } }, /cluster.address "no-port" must be host:port/],
      [{ cluster: { ...good, address: 'host:99999' } }, /must be host:port/],
      [{ cluster: { ...good, token: 'with space' } }, /cluster.token must not contain spaces/],
      [{ cluster: { ...good, caCert: Buffer.from('not a certificate').toString('base64') } }, /base64 of a PEM CA certificate/],
      [{ cluster: { ...good, caCert: 42 } }, /caCert/],
    ];
    for (const [value, message] of cases) {
      const res = await connect(srv, '/v3/connect/register', { 'X-API-Tunnel-Token': token, 'X-API-Tunnel-Params': params(value) });
      assert.equal(res.status, 422, `${JSON.stringify(value).slice(0, 80)}: ${res.text}`);
      assert.match(res.text, message);
    }
    const clusterAfter = (await srv.request('GET', `/v3/clusters/${clusterBefore.id}`, { token: admin })).json;
    assert.equal(clusterAfter.apiEndpoint, clusterBefore.apiEndpoint, 'a refused cluster agent changes nothing');

    const localToken = await until('the local cluster\'s registration token', async () =>
      (await srv.request('GET', '/v3/clusterregistrationtokens?clusterId=local', { token: admin })).json.data[0]?.token as string | undefined);
    const local = await connect(srv, '/v3/connect/register', { 'X-API-Tunnel-Token': localToken, 'X-API-Tunnel-Params': params({ cluster: good }) });
    assert.equal(local.status, 403);
    assert.match(local.text, /local cluster .* takes no cluster agent/);

    const custom = await connect(srv, '/v3/connect/register', { 'X-API-Tunnel-Token': token, 'X-API-Tunnel-Params': params({ cluster: good }) });
    assert.equal(custom.status, 403, 'a custom cluster\'s token (its node agents hold it) cannot name the cluster\'s API');
    assert.match(custom.text, /not imported by manifest/);

    const imported = (await srv.request('POST', '/v3/clusters', { token: admin, body: { name: 'by-manifest' } })).json;
    const importToken = await until('the imported cluster\'s registration token', async () =>
      (await srv.request('GET', `/v3/clusterregistrationtokens?clusterId=${imported.id}`, { token: admin })).json.data[0]?.token as string | undefined);
    const accepted = await connect(srv, '/v3/connect/register', { 'X-API-Tunnel-Token': importToken, 'X-API-Tunnel-Params': params({ cluster: good }) });
    assert.equal(accepted.status, 101);
    const recorded = (await srv.request('GET', `/v3/clusters/${imported.id}`, { token: admin })).json;
    assert.equal(recorded.apiEndpoint, 'https://10.43.0.1:443');
    assert.equal(JSON.stringify(recorded).includes(good.token), false, 'the service-account token is never output');
    assert.equal(await nodeCount(), 1, 'a cluster agent is not a node');
  });

  test('a flood of bad tokens is throttled with 429', async () => {
    const before = await nodeCount();
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) {
      statuses.push((await connect(srv, '/v3/connect/register', { 'X-API-Tunnel-Token': `bad-${i}`, 'X-API-Tunnel-Params': params(facts) })).status);
    }
    assert.equal(statuses[0], 401);
    assert.ok(statuses.includes(429), statuses.join(','));
    assert.equal(await nodeCount(), before);
    assert.equal((await srv.request('GET', '/ping')).text, 'pong', 'the server goes on');
  });

  test('bad-token floods are throttled per client address', async () => {
    // (the flood above came from 127.0.0.1; a good token from the same address waits too, briefly)
    const res = await connect(srv, '/v3/connect/register', { 'X-API-Tunnel-Token': token, 'X-API-Tunnel-Params': params(facts) });
    assert.equal(res.status, 429);
  });

  test('other upgrade paths are refused', async () => {
    const res = await connect(srv, '/v3/somewhere-else', {});
    assert.equal(res.status, 404);
  });
});
