import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { MANAGEMENT_GROUP } from '../../auth/rules.js';
import { useTestServer, type TestResponse } from '../../testing/test-server.js';
import { until } from '../../testing/wait.js';

const M = MANAGEMENT_GROUP;

/** A norman error with this status, code and (when given) field, and a message matching `message`. */
function assertError(res: TestResponse, status: number, code: string, fieldName?: string, message?: RegExp) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.type, 'error', res.text);
  assert.equal(res.json.code, code, res.text);
  if (fieldName !== undefined) assert.equal(res.json.fieldName, fieldName, res.text);
  if (message) assert.match(res.json.message, message);
}

describe('access control through the API: bad input, no escalation, and what the controllers keep consistent', () => {
  const ctx = useTestServer();
  const req = (method: string, path: string, token: string, body?: unknown) => ctx.srv.request(method, path, { token, body });
  const admin = () => ctx.token;

  interface User {
    id: string;
    token: string;
    username: string;
  }
  async function newUser(username: string): Promise<User> {
    const password = `${username}-password-1`;
    const res = await req('POST', '/v3/users', admin(), { username, password });
    assert.equal(res.status, 201, res.text);
    return { id: res.json.id, username, token: await ctx.srv.login(username, password) };
  }
  async function created(res: Promise<TestResponse>): Promise<Record<string, unknown> & { id: string }> {
    const r = await res;
    assert.equal(r.status, 201, r.text);
    return r.json;
  }
  const crtb = (token: string, clusterId: string, roleTemplateId: string, userId: string) =>
    req('POST', '/v3/clusterroletemplatebindings', token, { clusterId, roleTemplateId, userId });
  const prtb = (token: string, projectId: string, roleTemplateId: string, userId: string) =>
    req('POST', '/v3/projectroletemplatebindings', token, { projectId, roleTemplateId, userId });
  const grb = (token: string, globalRoleId: string, userId: string) => req('POST', '/v3/globalrolebindings', token, { globalRoleId, userId });

  let alice: User;
  let bob: User;
  let clusterA: string;
  let projectP: string;

  before(async () => {
    alice = await newUser('alice');
    bob = await newUser('bob');
    clusterA = (await created(req('POST', '/v3/clusters', admin(), { name: 'rbac-a' }))).id;
    projectP = (await created(req('POST', '/v3/projects', admin(), { clusterId: clusterA, name: 'p' }))).id;
  });

  test('bindings to unknown users, roles, clusters and projects are refused, naming the field', async () => {
    assertError(await grb(admin(), 'no-such-role', bob.id), 422, 'InvalidReference', 'globalRoleId', /global role "no-such-role" not found/);
    assertError(await grb(admin(), 'user-base', 'u-nope1'), 422, 'InvalidReference', 'userId', /user "u-nope1" not found/);
    assertError(await crtb(admin(), 'c-nope1', 'cluster-member', bob.id), 422, 'InvalidReference', 'clusterId', /cluster "c-nope1" not found/);
    assertError(await crtb(admin(), clusterA, 'no-such-template', bob.id), 422, 'InvalidReference', 'roleTemplateId');
    assertError(await crtb(admin(), clusterA, 'cluster-member', 'u-nope1'), 422, 'InvalidReference', 'userId');
    assertError(await prtb(admin(), `${clusterA}:p-nope1`, 'project-member', bob.id), 422, 'InvalidReference', 'projectId', /project ".*" not found/);
    const byPrincipal = (userPrincipalId: string) => req('POST', '/v3/clusterroletemplatebindings', admin(), { clusterId: clusterA, roleTemplateId: 'nodes-view', userPrincipalId });
    assertError(await byPrincipal('local://u-nope1'), 422, 'InvalidReference', 'userId');
    assertError(await byPrincipal('github_user://1'), 422, 'InvalidReference', 'userPrincipalId', /not a local user/);
    const noSubject = await req('POST', '/v3/clusterroletemplatebindings', admin(), { clusterId: clusterA, roleTemplateId: 'nodes-view' });
    assertError(noSubject, 422, 'MissingRequired', 'userId', /exactly one subject/);
    const both = await req('POST', '/v3/globalrolebindings', admin(), { globalRoleId: 'user-base', userId: bob.id, groupPrincipalId: 'github_group://1' });
    assertError(both, 422, 'MissingRequired', 'userId');
    const badGroup = await req('POST', '/v3/globalrolebindings', admin(), { globalRoleId: 'user-base', groupPrincipalId: 'admins' });
    assertError(badGroup, 422, 'InvalidFormat', 'groupPrincipalId');
    assertError(await req('POST', '/v3/clusterroletemplatebindings', admin(), { roleTemplateId: 'nodes-view', userId: bob.id }), 422, 'MissingRequired', 'clusterId');
  });

  test('a template of the other context, or a locked one, cannot be bound', async () => {
    assertError(await crtb(admin(), clusterA, 'project-member', bob.id), 422, 'InvalidReference', 'roleTemplateId', /for projects, not clusters/);
    assertError(await prtb(admin(), projectP, 'cluster-member', bob.id), 422, 'InvalidReference', 'roleTemplateId', /for clusters, not projects/);
    assert.equal((await req('PUT', '/v3/roletemplates/nodes-view', admin(), { locked: true })).status, 200);
    try {
      assertError(await crtb(admin(), clusterA, 'nodes-view', bob.id), 422, 'InvalidState', 'roleTemplateId', /locked/);
    } finally {
      assert.equal((await req('PUT', '/v3/roletemplates/nodes-view', admin(), { locked: false })).status, 200);
    }
  });

  test('a duplicate binding is refused, however the subject is named', async () => {
    const first = await created(crtb(admin(), clusterA, 'nodes-view', bob.id));
    assertError(await crtb(admin(), clusterA, 'nodes-view', bob.id), 422, 'NotUnique', 'roleTemplateId');
    const byPrincipal = await req('POST', '/v3/clusterroletemplatebindings', admin(), { clusterId: clusterA, roleTemplateId: 'nodes-view', userPrincipalId: `local://${bob.id}` });
    assertError(byPrincipal, 422, 'NotUnique', 'roleTemplateId');
    const global = await created(grb(admin(), 'clusters-create', bob.id));
    assertError(await grb(admin(), 'clusters-create', bob.id), 422, 'NotUnique', 'globalRoleId');
    assert.equal((await req('DELETE', `/v3/clusterroletemplatebindings/${first.id}`, admin())).status, 204);
    assert.equal((await req('DELETE', `/v3/globalrolebindings/${global.id}`, admin())).status, 204);
  });

  test('rules are checked: known verbs, a target (resources or URLs, not both), apiGroups with resources', async () => {
    const role = (rules: unknown[]) => req('POST', '/v3/globalroles', admin(), { name: 'bad', rules });
    const template = (rules: unknown[]) => req('POST', '/v3/roletemplates', admin(), { name: 'bad', context: 'cluster', rules });
    assertError(await role([{ apiGroups: [M], resources: ['clusters'], verbs: ['get', 'fly'] }]), 422, 'InvalidOption', 'rules', /rules\[0\]: unknown verb "fly"/);
    assertError(await template([{ apiGroups: [M], resources: ['nodes'], verbs: ['get'] }, { apiGroups: [M], resources: ['nodes'], verbs: ['GET'] }]), 422, 'InvalidOption', 'rules', /rules\[1\]/);
    assertError(await role([{ verbs: ['get'] }]), 422, 'InvalidBodyContent', 'rules', /not neither/);
    assertError(await template([{ apiGroups: [M], verbs: ['get'] }]), 422, 'InvalidBodyContent', 'rules', /not neither/);
    assertError(await role([{ apiGroups: [M], resources: ['clusters'], nonResourceURLs: ['/healthz'], verbs: ['get'] }]), 422, 'InvalidBodyContent', 'rules', /not both/);
    assertError(await role([{ resources: ['clusters'], verbs: ['get'] }]), 422, 'MissingRequired', 'rules', /apiGroups is required/);
    assertError(await role([{ apiGroups: [M], resources: ['clusters'], verbs: [] }]), 422, 'MissingRequired', 'rules');
    assertError(await role([{ apiGroups: [M], resources: ['clusters'] }]), 422, 'MissingRequired');
    const ok = await created(role([{ nonResourceURLs: ['/healthz'], verbs: ['get'] }, { apiGroups: [''], resources: ['pods'], verbs: ['*'] }]));
    assertError(await req('PUT', `/v3/globalroles/${ok.id}`, admin(), { rules: [{ apiGroups: [M], resources: ['x'], verbs: ['fly'] }] }), 422, 'InvalidOption', 'rules');
    assert.equal((await req('DELETE', `/v3/globalroles/${ok.id}`, admin())).status, 204);
  });

  test('role inheritance must not form a cycle; the error shows it', async () => {
    const b = await created(req('POST', '/v3/roletemplates', admin(), { name: 'b', context: 'cluster', rules: [] }));
    const a = await created(req('POST', '/v3/roletemplates', admin(), { name: 'a', context: 'cluster', rules: [], roleTemplateIds: [b.id] }));
    const cycle = await req('PUT', `/v3/roletemplates/${b.id}`, admin(), { roleTemplateIds: [a.id] });
    assertError(cycle, 422, 'InvalidReference', 'roleTemplateIds');
    assert.ok(cycle.json.message.includes(`${b.id} -> ${a.id} -> ${b.id}`), cycle.json.message);
    const self = await req('PUT', `/v3/roletemplates/${a.id}`, admin(), { roleTemplateIds: [b.id, a.id] });
    assertError(self, 422, 'InvalidReference', 'roleTemplateIds');
    assert.ok(self.json.message.includes(`${a.id} -> ${a.id}`), self.json.message);
    assertError(await req('POST', '/v3/roletemplates', admin(), { name: 'c', context: 'cluster', roleTemplateIds: ['no-such'] }), 422, 'InvalidReference', 'roleTemplateIds', /not found/);
    const otherContext = await req('POST', '/v3/roletemplates', admin(), { name: 'c', context: 'project', roleTemplateIds: [b.id] });
    assertError(otherContext, 422, 'InvalidReference', 'roleTemplateIds', /cluster template, not a project one/);
    assert.deepEqual((await req('GET', `/v3/roletemplates/${b.id}`, admin())).json.roleTemplateIds, [], 'nothing was changed');
    assert.equal((await req('DELETE', `/v3/roletemplates/${a.id}`, admin())).status, 204);
    assert.equal((await req('DELETE', `/v3/roletemplates/${b.id}`, admin())).status, 204);
  });

  test('a role that is bound or inherited cannot be deleted', async () => {
    const role = await created(req('POST', '/v3/globalroles', admin(), { name: 'g', rules: [{ apiGroups: [M], resources: ['clusters'], verbs: ['get'] }] }));
    const binding = await created(grb(admin(), role.id, bob.id));
    assertError(await req('DELETE', `/v3/globalroles/${role.id}`, admin()), 422, 'InvalidState', undefined, new RegExp(`bound by 1 binding\\(s\\) \\(${binding.id}`));
    assert.equal((await req('DELETE', `/v3/globalrolebindings/${binding.id}`, admin())).status, 204);
    assert.equal((await req('DELETE', `/v3/globalroles/${role.id}`, admin())).status, 204);

    const base = await created(req('POST', '/v3/roletemplates', admin(), { name: 'base', context: 'project', rules: [] }));
    const heir = await created(req('POST', '/v3/roletemplates', admin(), { name: 'heir', context: 'project', rules: [], roleTemplateIds: [base.id] }));
    assertError(await req('DELETE', `/v3/roletemplates/${base.id}`, admin()), 422, 'InvalidState', undefined, new RegExp(`inherited by ${heir.id}`));
    const bound = await created(prtb(admin(), projectP, heir.id, bob.id));
    assertError(await req('DELETE', `/v3/roletemplates/${heir.id}`, admin()), 422, 'InvalidState', undefined, /bound by 1 binding/);
    assert.equal((await req('DELETE', `/v3/projectroletemplatebindings/${bound.id}`, admin())).status, 204);
    assert.equal((await req('DELETE', `/v3/roletemplates/${heir.id}`, admin())).status, 204);
    assert.equal((await req('DELETE', `/v3/roletemplates/${base.id}`, admin())).status, 204);
  });

  test('built-in roles: none may be deleted; only newUserDefault, locked and the creator defaults may change', async () => {
    assertError(await req('DELETE', '/v3/globalroles/admin', admin()), 403, 'PermissionDenied', undefined, /built in/);
    assertError(await req('DELETE', '/v3/roletemplates/project-member', admin()), 403, 'PermissionDenied', undefined, /built in/);
    assertError(await req('PUT', '/v3/globalroles/user', admin(), { rules: [] }), 403, 'PermissionDenied', 'rules');
    assertError(await req('PUT', '/v3/globalroles/user', admin(), { name: 'Renamed' }), 403, 'PermissionDenied', 'name');
    assertError(await req('PUT', '/v3/roletemplates/cluster-member', admin(), { rules: [] }), 403, 'PermissionDenied', 'rules');
    assertError(await req('PUT', '/v3/roletemplates/cluster-member', admin(), { roleTemplateIds: ['nodes-view'] }), 403, 'PermissionDenied', 'roleTemplateIds');

    const setDefault = await req('PUT', '/v3/globalroles/user-base', admin(), { newUserDefault: true });
    assert.equal(setDefault.status, 200, setDefault.text);
    assert.equal(setDefault.json.newUserDefault, true);
    assert.equal((await req('PUT', '/v3/globalroles/user-base', admin(), { newUserDefault: false })).json.newUserDefault, false);
    const creatorDefault = await req('PUT', '/v3/roletemplates/nodes-view', admin(), { clusterCreatorDefault: true });
    assert.equal(creatorDefault.status, 200, creatorDefault.text);
    assert.equal((await req('PUT', '/v3/roletemplates/nodes-view', admin(), { clusterCreatorDefault: false })).json.clusterCreatorDefault, false);

    // A client (the UI) PUTs back the whole object it read, with one field changed.
    const whole = (await req('GET', '/v3/globalroles/user', admin())).json;
    const put = await req('PUT', '/v3/globalroles/user', admin(), { ...whole, newUserDefault: true });
    assert.equal(put.status, 200, put.text);
    const template = (await req('GET', '/v3/roletemplates/project-member', admin())).json;
    const putTemplate = await req('PUT', '/v3/roletemplates/project-member', admin(), { ...template, locked: false });
    assert.equal(putTemplate.status, 200, putTemplate.text);
  });

  test('no escalation: no one grants what they do not hold, or binds themselves beyond their global roles', async () => {
    // carol: a cluster member who may also manage the cluster's members.
    const carol = await newUser('carol');
    await created(crtb(admin(), clusterA, 'cluster-member', carol.id));
    await created(crtb(admin(), clusterA, 'clusterroletemplatebindings-manage', carol.id));
    assertError(await crtb(carol.token, clusterA, 'cluster-owner', bob.id), 403, 'PermissionDenied', undefined, /may not grant permissions you do not hold/);
    const member = await created(crtb(carol.token, clusterA, 'cluster-member', bob.id));
    assert.equal(member.userId, bob.id, 'what she holds herself she may grant');
    assertError(await crtb(carol.token, clusterA, 'nodes-view', carol.id), 403, 'PermissionDenied', 'userId', /yourself/);
    // A plain cluster member may not add members at all.
    assertError(await crtb(bob.token, clusterA, 'nodes-view', alice.id), 403, 'PermissionDenied');

    // A user manager may create users and bind them roles they hold, but not admin.
    const erin = await newUser('erin');
    await created(grb(admin(), 'users-manage', erin.id));
    assertError(await grb(erin.token, 'admin', bob.id), 403, 'PermissionDenied', undefined, /do not hold/);
    assertError(await grb(erin.token, 'roles-manage', erin.id), 403, 'PermissionDenied');
    const granted = await created(grb(erin.token, 'users-manage', bob.id));
    assert.equal((await req('DELETE', `/v3/globalrolebindings/${granted.id}`, erin.token)).status, 204);

    // A project owner may add project members and owners in their project, and nowhere else.
    const frank = await newUser('frank');
    await created(prtb(admin(), projectP, 'project-owner', frank.id));
    await created(prtb(frank.token, projectP, 'project-member', bob.id));
    await created(prtb(frank.token, projectP, 'project-owner', alice.id));
    const projects = (await req('GET', `/v3/projects?clusterId=${clusterA}`, admin())).json.data as { id: string; name: string }[];
    const otherProject = projects.find((p) => p.name === 'Default')?.id as string;
    assertError(await prtb(frank.token, otherProject, 'read-only', bob.id), 403, 'PermissionDenied');
    assertError(await crtb(frank.token, clusterA, 'nodes-view', bob.id), 403, 'PermissionDenied');
    // bob is now a project member: he may read the bindings but not add any.
    assertError(await prtb(bob.token, projectP, 'read-only', alice.id), 403, 'PermissionDenied');
  });

  test('no escalation by editing roles: changing rules needs them held, or escalate given on purpose (roles-manage does not give it)', async () => {
    const editor = await created(
      req('POST', '/v3/globalroles', admin(), { name: 'role editor', rules: [{ apiGroups: [M], resources: ['globalroles'], verbs: ['get', 'list', 'create', 'update'] }] }),
    );
    const gina = await newUser('gina');
    await created(grb(admin(), editor.id, gina.id));
    const widen = await req('PUT', `/v3/globalroles/${editor.id}`, gina.token, { rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] });
    assertError(widen, 403, 'PermissionDenied', 'rules', /do not hold/);
    assertError(await req('POST', '/v3/globalroles', gina.token, { name: 'mine', rules: [{ apiGroups: [M], resources: ['users'], verbs: ['*'] }] }), 403, 'PermissionDenied', 'rules');
    const held = await created(req('POST', '/v3/globalroles', gina.token, { name: 'reader', rules: [{ apiGroups: [M], resources: ['globalroles'], verbs: ['get'] }] }));
    assert.equal(held.builtin, false);
    // A role manager defines roles within what they hold; an explicit escalate is what lets one go beyond.
    const holly = await newUser('holly');
    await created(grb(admin(), 'roles-manage', holly.id));
    const everything = { name: 'everything', context: 'cluster', rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] };
    assertError(await req('POST', '/v3/roletemplates', holly.token, everything), 403, 'PermissionDenied', 'rules', /needs escalate on roletemplates/);
    const mine = await created(req('POST', '/v3/roletemplates', holly.token, { name: 'template reader', context: 'cluster', rules: [{ apiGroups: [M], resources: ['roletemplates'], verbs: ['get'] }] }));
    assert.equal((await req('DELETE', `/v3/roletemplates/${mine.id}`, holly.token)).status, 204);
    const escalator = await created(req('POST', '/v3/globalroles', admin(), { name: 'escalator', rules: [{ apiGroups: [M], resources: ['roletemplates'], verbs: ['escalate'] }] }));
    await created(grb(admin(), escalator.id, holly.id));
    const all = await created(req('POST', '/v3/roletemplates', holly.token, everything));
    assertError(await crtb(holly.token, clusterA, all.id, bob.id), 403, 'PermissionDenied', undefined, /may not create/);
    assert.equal((await req('DELETE', `/v3/roletemplates/${all.id}`, holly.token)).status, 204);
  });

  test('issue 5: a role manager cannot widen a harmless role bound to them into admin', async () => {
    const harmless = await created(req('POST', '/v3/globalroles', admin(), { name: 'harmless', rules: [{ apiGroups: [M], resources: ['clusters'], verbs: ['get'] }] }));
    const hank = await newUser('hank');
    await created(grb(admin(), 'roles-manage', hank.id));
    await created(grb(admin(), harmless.id, hank.id));
    const star = [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }];
    assertError(await req('PUT', `/v3/globalroles/${harmless.id}`, hank.token, { rules: star }), 403, 'PermissionDenied', 'rules', /do not hold/);
    // The whole object PUT back, as the UI does, and the other ways up: escalate itself, a template bound to him.
    const whole = (await req('GET', `/v3/globalroles/${harmless.id}`, hank.token)).json;
    assertError(await req('PUT', `/v3/globalroles/${harmless.id}`, hank.token, { ...whole, rules: star }), 403, 'PermissionDenied', 'rules');
    const escalate = [{ apiGroups: [M], resources: ['globalroles'], verbs: ['escalate'] }];
    assertError(await req('PUT', `/v3/globalroles/${harmless.id}`, hank.token, { rules: escalate }), 403, 'PermissionDenied', 'rules');
    assertError(await req('POST', '/v3/globalroles', hank.token, { name: 'mine', rules: star }), 403, 'PermissionDenied', 'rules');
    const template = await created(req('POST', '/v3/roletemplates', admin(), { name: 'harmless here', context: 'cluster', rules: [{ apiGroups: [M], resources: ['nodes'], verbs: ['get'] }] }));
    await created(crtb(admin(), clusterA, template.id, hank.id));
    assertError(await req('PUT', `/v3/roletemplates/${template.id}`, hank.token, { rules: star }), 403, 'PermissionDenied', 'rules');
    assertError(await req('PUT', `/v3/roletemplates/${template.id}`, hank.token, { roleTemplateIds: ['cluster-owner'] }), 403, 'PermissionDenied', 'rules');

    assert.deepEqual((await req('GET', `/v3/globalroles/${harmless.id}`, admin())).json.rules, [{ apiGroups: [M], resources: ['clusters'], verbs: ['get'] }]);
    assertError(await req('POST', '/v3/users', hank.token, { username: 'hanks-own', password: 'hanks-own-password' }), 403, 'PermissionDenied');
    assertError(await req('PUT', '/v3/settings/password-min-length', hank.token, { value: '13' }), 403, 'PermissionDenied');
    // Within what he holds he still manages roles.
    const narrower = await req('PUT', `/v3/globalroles/${harmless.id}`, hank.token, { rules: [{ apiGroups: [M], resources: ['roletemplates'], verbs: ['get', 'list'] }] });
    assert.equal(narrower.status, 200, narrower.text);
  });

  test('deleting a user removes their tokens and bindings', async () => {
    const ivy = await newUser('ivy');
    const key = await created(req('POST', '/v3/tokens', ivy.token, { description: 'ivy key' }));
    await created(crtb(admin(), clusterA, 'nodes-view', ivy.id));
    await created(prtb(admin(), projectP, 'read-only', ivy.id));
    await created(grb(admin(), 'clusters-create', ivy.id));
    const count = async (type: string) => (await req('GET', `/v3/${type}?userId=${ivy.id}`, admin())).json.data.length as number;
    assert.equal(await count('globalrolebindings'), 2, 'user (default) and clusters-create');
    assert.equal((await req('DELETE', `/v3/users/${ivy.id}`, admin())).status, 204);
    assert.equal((await req('GET', '/v3/clusters', ivy.token)).status, 401, 'the session ends at once');
    assert.equal((await req('GET', '/v3/clusters', String(key.token))).status, 401, 'and the API key');
    // The DELETE answers once the cascade is done: nothing of the user is left when it returns.
    for (const type of ['globalrolebindings', 'clusterroletemplatebindings', 'projectroletemplatebindings']) {
      assert.equal(await count(type), 0, `${type} of the deleted user`);
    }
    const { items } = await ctx.srv.server.store.list<{ userId?: string }>('token');
    assert.ok(!items.some((t) => t.data.userId === ivy.id), 'tokens of the deleted user');
  });

  test('a user manager cannot take over someone who holds more: no password reset, disable or delete of an admin', async () => {
    const manager = await newUser('manager');
    await created(grb(admin(), 'users-manage', manager.id));
    const adminUser = (await req('GET', '/v3/users?username=admin', admin())).json.data[0];
    assertError(await req('POST', `/v3/users/${adminUser.id}?action=setpassword`, manager.token, { newPassword: 'taken-over-password' }), 403, 'PermissionDenied', undefined, /hold permissions you do not/);
    assertError(await req('PUT', `/v3/users/${adminUser.id}`, manager.token, { enabled: false }), 403, 'PermissionDenied');
    assertError(await req('DELETE', `/v3/users/${adminUser.id}`, manager.token), 403, 'PermissionDenied');
    // A plain user is within the manager's reach.
    const plain = await newUser('plainly');
    const reset = await req('POST', `/v3/users/${plain.id}?action=setpassword`, manager.token, { newPassword: 'a-new-password-for-plain' });
    assert.equal(reset.status, 200, reset.text);
  });

  test('deleting a cluster removes its projects and their bindings; the System project cannot be deleted', async () => {
    const z = await created(req('POST', '/v3/clusters', admin(), { name: 'rbac-z' }));
    const project = await created(req('POST', '/v3/projects', admin(), { clusterId: z.id, name: 'zp' }));
    await created(crtb(admin(), z.id, 'nodes-view', bob.id));
    await created(prtb(admin(), project.id, 'read-only', bob.id));
    const projects = (await req('GET', `/v3/projects?clusterId=${z.id}`, admin())).json.data as { id: string; name: string }[];
    assert.deepEqual(projects.map((p) => p.name).sort(), ['Default', 'System', 'zp']);
    const system = projects.find((p) => p.name === 'System')?.id as string;
    assertError(await req('DELETE', `/v3/projects/${system}`, admin()), 422, 'InvalidAction', undefined, /System project cannot be deleted/);

    assert.equal((await req('DELETE', `/v3/clusters/${z.id}`, admin())).status, 204);
    await until('projects gone', async () => (await req('GET', `/v3/projects?clusterId=${z.id}`, admin())).json.data.length === 0);
    await until('cluster bindings gone', async () => (await req('GET', `/v3/clusterroletemplatebindings?clusterId=${z.id}`, admin())).json.data.length === 0);
    for (const p of projects) {
      await until(`bindings of ${p.name} gone`, async () => (await req('GET', `/v3/projectroletemplatebindings?projectId=${p.id}`, admin())).json.data.length === 0);
    }
  });

  test('a new user is bound the newUserDefault global roles (user) before the create answers', async () => {
    const res = await req('POST', '/v3/users', admin(), { username: 'newcomer', password: 'newcomer-password' });
    assert.equal(res.status, 201, res.text);
    const bindings = (await req('GET', `/v3/globalrolebindings?userId=${res.json.id}`, admin())).json.data as { globalRoleId: string }[];
    assert.deepEqual(bindings.map((b) => b.globalRoleId), ['user']);
  });

  test('a user who creates a cluster sees it at once and owns it, and its Default and System projects', async () => {
    const res = await req('POST', '/v3/clusters', alice.token, { name: 'alices' });
    assert.equal(res.status, 201, res.text);
    const id = res.json.id as string;
    assert.equal((await req('GET', `/v3/clusters/${id}`, alice.token)).status, 200, 'at once, no polling');
    const owner = await req('GET', `/v3/clusterroletemplatebindings/${id}:creator-cluster-owner`, alice.token);
    assert.equal(owner.status, 200, owner.text);
    assert.equal(owner.json.userId, alice.id);
    assert.equal(owner.json.roleTemplateId, 'cluster-owner');
    const projects = await until('built-in projects', async () => {
      const list = (await req('GET', `/v3/projects?clusterId=${id}`, alice.token)).json.data as { id: string; name: string }[];
      return list.length === 2 && list;
    });
    assert.deepEqual(projects.map((p) => p.name).sort(), ['Default', 'System']);
    assert.equal((await req('GET', `/v3/clusters/${id}`, bob.token)).status, 404, 'others do not see it');
    assert.equal((await req('PUT', `/v3/clusters/${id}`, alice.token, { description: 'mine' })).status, 200, 'the owner may change it');
  });

  test('a user who creates a project sees it at once and owns it', async () => {
    // bob is a cluster member of A (granted by carol above): members may create projects.
    const res = await req('POST', '/v3/projects', bob.token, { clusterId: clusterA, name: 'bobs' });
    assert.equal(res.status, 201, res.text);
    const id = res.json.id as string;
    assert.match(id, new RegExp(`^${clusterA}:p-[a-z0-9]{5}$`));
    assert.equal((await req('GET', `/v3/projects/${id}`, bob.token)).status, 200);
    const local = id.split(':')[1];
    const owner = await req('GET', `/v3/projectroletemplatebindings/${local}:creator-project-owner`, bob.token);
    assert.equal(owner.status, 200, owner.text);
    assert.equal(owner.json.userId, bob.id);
    assert.equal(owner.json.projectId, id);
    await created(prtb(bob.token, id, 'read-only', alice.id));
    assertError(await req('POST', '/v3/projects', alice.token, { clusterId: clusterA, name: 'not-a-member' }), 403, 'PermissionDenied');
  });

  // TODO: refused with 405 until api/handler.ts lets collection actions through when POST is not a
  // collection method (principals offer GET only, as in Rancher); see the report of issue 5's tests.
  test('/v3/principals?action=search finds users by name or login; each sees whom they may see', async () => {
    const search = (token: string, body: unknown) => req('POST', '/v3/principals?action=search', token, body);
    const found = await search(bob.token, { name: 'ALI' });
    assert.equal(found.status, 200, found.text);
    assert.deepEqual(found.json.data.map((p: { id: string }) => p.id), [`local://${alice.id}`]);
    assert.equal(found.json.data[0].loginName, 'alice');
    assert.equal(found.json.data[0].principalType, 'user');
    assert.equal(found.json.data[0].me, false);
    assert.deepEqual((await search(bob.token, { name: 'ali', principalType: 'group' })).json.data, []);
    assertError(await search(bob.token, {}), 422, 'MissingRequired', 'name');
    // Someone with only user-base sees only themself.
    const base = await newUser('basil');
    const own = (await req('GET', `/v3/globalrolebindings?userId=${base.id}`, admin())).json.data as { id: string }[];
    for (const b of own) assert.equal((await req('DELETE', `/v3/globalrolebindings/${b.id}`, admin())).status, 204);
    await created(grb(admin(), 'user-base', base.id));
    assert.deepEqual((await search(base.token, { name: 'a' })).json.data.map((p: { id: string }) => p.id), [`local://${base.id}`]);
  });
});
