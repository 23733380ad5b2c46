import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { until } from '../../testing/wait.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';

/** Resolves true when a TLS client that checks `servername` against the served certificate connects. */
function verifiesAs(srv: TestServer, servername: string): Promise<boolean> {
  const { port } = new URL(srv.url);
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port), servername, ca: srv.ca }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

describe('settings', () => {
  let srv: TestServer;
  let token: string;
  before(async () => {
    srv = await startTestServer();
    token = await srv.adminToken();
  });
  after(() => srv.close());

  test('the built-in settings exist with their defaults', async () => {
    const list = await srv.request('GET', '/v3/settings', { token });
    const byName = Object.fromEntries(list.json.data.map((s: { name: string; value: string }) => [s.name, s]));
    for (const name of ['agent-image', 'cacerts', 'server-url', 'server-version', 'first-login', 'password-min-length', 'auth-token-max-ttl-minutes', 'ui-index']) {
      assert.ok(byName[name], name);
    }
    assert.match(byName['agent-image'].value, /^paddock\/paddock-agent:v\d+\.\d+\.\d+$/);
    assert.equal(byName['password-min-length'].value, '12');
    assert.equal(byName['password-min-length'].source, 'default');
    assert.equal(byName['password-min-length'].customized, false);
    assert.equal(byName.cacerts.value, srv.ca.trim());
  });

  test('cacerts and first-login are public; other settings need a token', async () => {
    assert.equal((await srv.request('GET', '/v3/settings/cacerts')).status, 200);
    assert.equal((await srv.request('GET', '/v3/settings/first-login')).status, 200);
    assert.equal((await srv.request('GET', '/v3/settings/server-version')).status, 401);
    assert.equal((await srv.request('GET', '/v3/settings')).status, 401);
    const cacerts = await srv.request('GET', '/cacerts');
    assert.equal(cacerts.text, `${srv.ca.trim()}\n`);
  });

  test('read-only settings refuse changes with a clear error', async () => {
    for (const name of ['cacerts', 'server-version']) {
      const res = await srv.request('PUT', `/v3/settings/${name}`, { token, body: { value: 'x' } });
      assert.equal(res.status, 405, res.text);
      assert.match(res.json.message, /readOnly/);
      const got = await srv.request('GET', `/v3/settings/${name}`, { token });
      assert.equal(got.json.links.update, undefined);
    }
    const del = await srv.request('DELETE', '/v3/settings/agent-image', { token });
    assert.equal(del.status, 405);
    assert.equal(del.json.code, 'MethodNotAllow');
  });

  test('values are validated', async () => {
    const bad = await srv.request('PUT', '/v3/settings/server-url', { token, body: { value: 'not a url' } });
    assert.equal(bad.status, 422);
    assert.equal(bad.json.fieldName, 'value');
    const path = await srv.request('PUT', '/v3/settings/server-url', { token, body: { value: 'https://h.example/path' } });
    assert.equal(path.status, 422);
    const ttl = await srv.request('PUT', '/v3/settings/auth-token-max-ttl-minutes', { token, body: { value: '-5' } });
    assert.equal(ttl.status, 422);
  });

  test('admins may add their own settings', async () => {
    const created = await srv.request('POST', '/v3/settings', { token, body: { name: 'my-setting', value: 'v1' } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.id, 'my-setting');
    assert.equal(created.json.source, 'db');
    const dup = await srv.request('POST', '/v3/settings', { token, body: { name: 'my-setting', value: 'v2' } });
    assert.equal(dup.status, 409);
    const builtIn = await srv.request('POST', '/v3/settings', { token, body: { name: 'cacerts', value: 'v2' } });
    assert.equal(builtIn.status, 409);
    assert.equal((await srv.request('DELETE', '/v3/settings/my-setting', { token })).status, 204);
  });

  test('changing server-url re-issues the serving certificate for the new host', async () => {
    assert.equal(await verifiesAs(srv, 'paddock.example.test'), false);
    const res = await srv.request('PUT', '/v3/settings/server-url', { token, body: { value: 'https://paddock.example.test:8443' } });
    assert.equal(res.status, 200, res.text);
    await until('a certificate for paddock.example.test', () => verifiesAs(srv, 'paddock.example.test'));
    assert.equal(await verifiesAs(srv, 'localhost'), true, 'the old names stay');
  });
});

describe('settings from the environment', () => {
  test('CATTLE_<NAME> overrides a setting and makes it read-only', async () => {
    const srv = await startTestServer({ env: { CATTLE_UI_INDEX: 'https://ui.example.test/index.html' } });
    try {
      const token = await srv.adminToken();
      const got = await srv.request('GET', '/v3/settings/ui-index', { token });
      assert.equal(got.json.value, 'https://ui.example.test/index.html');
      assert.equal(got.json.source, 'env');
      const put = await srv.request('PUT', '/v3/settings/ui-index', { token, body: { value: 'local' } });
      assert.equal(put.status, 405);
      assert.match(put.json.message, /environment variable/);
    } finally {
      await srv.close();
    }
  });
});
