import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../../testing/test-server.js';

const LOGIN = '/v3-public/localProviders/local?action=login';

describe('identity: login, passwords and users', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.close());

  test('first start: admin/admin logs in but must change the password before anything else', async () => {
    const login = await srv.request('POST', LOGIN, { body: { username: 'admin', password: 'admin' } });
    assert.equal(login.status, 201, login.text);
    assert.match(login.json.token, /^token-[a-z0-9]{5}:[a-z0-9]{54}$/);
    assert.equal(login.json.type, 'token');
    assert.equal(login.json.ttl, 16 * 60 * 60 * 1000);
    const token = login.json.token;
    const me = await srv.request('GET', '/v3/users?me=true', { token });
    assert.equal(me.json.data.length, 1);
    assert.equal(me.json.data[0].mustChangePassword, true);
    assert.equal(me.json.data[0].password, undefined);
    const blocked = await srv.request('POST', '/v3/clusters', { token, body: { name: 'early' } });
    assert.equal(blocked.status, 403);
    assert.equal(blocked.json.code, 'PermissionDenied');
    const firstLogin = await srv.request('GET', '/v3/settings/first-login');
    assert.equal(firstLogin.json.value, 'true');
  });

  test('changepassword checks the current password and the rules', async () => {
    const token = await srv.login('admin', 'admin');
    const change = (body: unknown) => srv.request('POST', '/v3/users?action=changepassword', { token, body });
    const wrong = await change({ currentPassword: 'nope', newPassword: ADMIN_PASSWORD });
    assert.equal(wrong.status, 422);
    assert.equal(wrong.json.code, 'InvalidBodyContent');
    const short = await change({ currentPassword: 'admin', newPassword: 'short' });
    assert.equal(short.status, 422);
    assert.match(short.json.message, /at least 12/);
    const missing = await change({ currentPassword: 'admin' });
    assert.equal(missing.status, 422);
    assert.equal(missing.json.code, 'MissingRequired');
    const ok = await change({ currentPassword: 'admin', newPassword: ADMIN_PASSWORD });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.text, '');
    assert.equal((await srv.request('GET', '/v3/settings/first-login')).json.value, 'false');
    const old = await srv.request('POST', LOGIN, { body: { username: 'admin', password: 'admin' } });
    assert.equal(old.status, 401);
    assert.equal(old.json.code, 'Unauthorized');
    const created = await srv.request('POST', '/v3/clusters', { token, body: { name: 'now-allowed' } });
    assert.equal(created.status, 201, 'the same session may act once the password changed');
  });

  test('the password minimum length follows the password-min-length setting', async () => {
    const admin = await srv.login('admin', ADMIN_PASSWORD);
    const set = await srv.request('PUT', '/v3/settings/password-min-length', { token: admin, body: { value: '20' } });
    assert.equal(set.status, 200, set.text);
    const res = await srv.request('POST', '/v3/users', { token: admin, body: { username: 'len', password: 'fifteen-chars!!' } });
    assert.equal(res.status, 422);
    assert.match(res.json.message, /at least 20/);
    const reset = await srv.request('PUT', '/v3/settings/password-min-length', { token: admin, body: { value: '' } });
    assert.equal(reset.json.value, '12', 'an empty value restores the default');
    assert.equal(reset.json.source, 'default');
  });

  test('admins create users; users see and edit only themselves, and own the clusters they create', async () => {
    const admin = await srv.login('admin', ADMIN_PASSWORD);
    const created = await srv.request('POST', '/v3/users', {
      token: admin,
      body: { username: 'alice', password: 'alice-password-1', name: 'Alice' },
    });
    assert.equal(created.status, 201, created.text);
    assert.match(created.json.id, /^u-[a-z0-9]{5}$/);
    assert.equal(created.json.password, undefined);
    assert.deepEqual(created.json.principalIds, [`local://${created.json.id}`]);
    const dup = await srv.request('POST', '/v3/users', { token: admin, body: { username: 'alice', password: 'another-password' } });
    assert.equal(dup.json.code, 'NotUnique');
    assert.equal(dup.json.fieldName, 'username');
    const same = await srv.request('POST', '/v3/users', { token: admin, body: { username: 'bobby', password: 'bobby' } });
    assert.equal(same.status, 422, 'password equal to username is refused');

    const alice = await srv.login('alice', 'alice-password-1');
    const users = await srv.request('GET', '/v3/users', { token: alice });
    assert.deepEqual(users.json.data.map((u: { username: string }) => u.username), ['alice']);
    assert.equal(users.json.data[0].me, true);
    assert.equal((await srv.request('GET', '/v3/clusters', { token: alice })).json.data.length, 0);
    // New users get the `user` global role (newUserDefault): they may create clusters, and own what they create.
    const create = await srv.request('POST', '/v3/clusters', { token: alice, body: { name: 'alices-own' } });
    assert.equal(create.status, 201, create.text);
    assert.equal((await srv.request('GET', `/v3/clusters/${create.json.id}`, { token: alice })).status, 200);
    assert.equal((await srv.request('POST', '/v3/settings', { token: alice, body: { name: 'mine', value: 'x' } })).status, 403);
    const rename = await srv.request('PUT', `/v3/users/${created.json.id}`, { token: alice, body: { name: 'Alice A.' } });
    assert.equal(rename.status, 200, rename.text);
    const promote = await srv.request('PUT', `/v3/users/${created.json.id}`, { token: alice, body: { enabled: false } });
    assert.equal(promote.status, 403);
    const adminUser = (await srv.request('GET', '/v3/users?username=admin', { token: admin })).json.data[0];
    assert.equal((await srv.request('GET', `/v3/users/${adminUser.id}`, { token: alice })).status, 404);

    const reset = await srv.request('POST', `/v3/users/${created.json.id}?action=setpassword`, { token: admin, body: { newPassword: 'alice-password-2' } });
    assert.equal(reset.status, 200, reset.text);
    assert.equal(reset.json.username, 'alice');
    assert.equal((await srv.request('POST', LOGIN, { body: { username: 'alice', password: 'alice-password-1' } })).status, 401);
    await srv.login('alice', 'alice-password-2');

    const disable = await srv.request('PUT', `/v3/users/${created.json.id}`, { token: admin, body: { enabled: false } });
    assert.equal(disable.status, 200);
    assert.equal((await srv.request('GET', '/v3/users', { token: alice })).status, 401, 'a disabled user\'s tokens stop working');
    const loginDisabled = await srv.request('POST', LOGIN, { body: { username: 'alice', password: 'alice-password-2' } });
    assert.equal(loginDisabled.status, 403);

    const del = await srv.request('DELETE', `/v3/users/${created.json.id}`, { token: admin });
    assert.equal(del.status, 204);
    const self = await srv.request('DELETE', `/v3/users/${adminUser.id}`, { token: admin });
    assert.equal(self.json.code, 'InvalidAction');
  });

  test('cookie login sets R_SESS, which authenticates', async () => {
    const res = await srv.request('POST', LOGIN, { body: { username: 'admin', password: ADMIN_PASSWORD, responseType: 'cookie' } });
    assert.equal(res.status, 200);
    const cookie = String(res.headers['set-cookie']);
    assert.match(cookie, /^R_SESS=token-[a-z0-9]{5}:[a-z0-9]{54}; Path=\/; HttpOnly; Secure/);
    const value = cookie.split(';')[0];
    const me = await srv.request('GET', '/v3/users?me=true', { headers: { cookie: value ?? '' } });
    assert.equal(me.status, 200);
    assert.equal(me.json.data[0].username, 'admin');
  });

  test('failed logins are throttled per user with 429 and Retry-After', async () => {
    const admin = await srv.login('admin', ADMIN_PASSWORD);
    await srv.request('POST', '/v3/users', { token: admin, body: { username: 'target', password: 'target-password-1' } });
    const statuses: number[] = [];
    let retryAfter: string | string[] | undefined;
    for (let i = 0; i < 7; i++) {
      const res = await srv.request('POST', LOGIN, { body: { username: 'target', password: `wrong-${i}` } });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers['retry-after'];
    }
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
    assert.equal(statuses[5], 429);
    assert.ok(Number(retryAfter) >= 1);
    const blocked = await srv.request('POST', LOGIN, { body: { username: 'target', password: 'target-password-1' } });
    assert.equal(blocked.status, 429, 'even the right password waits until the block ends');
    assert.equal(blocked.json.code, 'TooManyRequests');
  });

  test('/v3-public/authProviders lists the local provider with its login action', async () => {
    const res = await srv.request('GET', '/v3-public/authProviders');
    assert.equal(res.status, 200);
    assert.equal(res.json.data.length, 1);
    const local = res.json.data[0];
    assert.equal(local.id, 'local');
    assert.equal(local.type, 'localProvider');
    assert.equal(local.actions.login, `${srv.url}/v3-public/localProviders/local?action=login`);
    const direct = await srv.request('GET', '/v3-public/localproviders/local');
    assert.equal(direct.json.actions.login, local.actions.login);
  });
});
