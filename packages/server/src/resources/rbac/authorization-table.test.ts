/**
 * Table-driven authorization through the real HTTP API: for each built-in role at its scope, which requests
 * on which types are allowed, refused or invisible, and what lists and schemas each user is shown.
 *
 * Cast: `admin`; `plain` (global role `user` only); `base` (`user-base` only); the global managers
 * (`user-base` and one built-in global role each, see GLOBAL); in cluster A, `owner` (created it:
 * cluster-owner) and one member per cluster template (IN_A); in project P of A, one member per project
 * template (IN_P). Those in A and P also hold the default `user`. Cluster B is the admin's.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { BUILTIN_GLOBAL_ROLES } from '../globalroles/builtin.js';
import { BUILTIN_ROLE_TEMPLATES } from '../roletemplates/builtin.js';
import { useTestServer, type TestResponse } from '../../testing/test-server.js';
import { until } from '../../testing/wait.js';

const CAST = [
  'admin',
  'plain',
  'base',
  'usersManage',
  'rolesManage',
  'settingsManage',
  'clustersCreate',
  'authnManage',
  'owner',
  'member',
  'nodesView',
  'nodesManage',
  'projectsCreate',
  'projectsView',
  'crtbManage',
  'crtbView',
  'storage',
  'projOwner',
  'projMember',
  'readOnly',
  'createNs',
  'prtbManage',
  'prtbView',
  'k8sOnly',
] as const;
type Who = (typeof CAST)[number];

/** Global roles held on top of `user-base`, instead of the default `user` (as custom global permissions are given). */
const GLOBAL: Partial<Record<Who, string[]>> = {
  base: [],
  usersManage: ['users-manage'],
  rolesManage: ['roles-manage'],
  settingsManage: ['settings-manage'],
  clustersCreate: ['clusters-create'],
  authnManage: ['authn-manage'],
};
/** Role templates held in cluster A (the owner's cluster-owner comes from creating it). */
const IN_A: Partial<Record<Who, string[]>> = {
  member: ['cluster-member'],
  nodesView: ['nodes-view'],
  nodesManage: ['nodes-manage'],
  projectsCreate: ['projects-create'],
  projectsView: ['projects-view'],
  crtbManage: ['clusterroletemplatebindings-manage'],
  crtbView: ['clusterroletemplatebindings-view'],
  // Rules on Kubernetes resources only: nothing in /v3 beyond seeing the cluster.
  storage: ['storage-manage', 'storage-view'],
};
/** Role templates held in project P. */
const IN_P: Partial<Record<Who, string[]>> = {
  projOwner: ['project-owner'],
  projMember: ['project-member'],
  readOnly: ['read-only'],
  createNs: ['create-ns'],
  prtbManage: ['projectroletemplatebindings-manage'],
  prtbView: ['projectroletemplatebindings-view'],
  k8sOnly: ['workloads-manage', 'workloads-view', 'services-manage', 'services-view', 'secrets-manage', 'secrets-view', 'configmaps-manage', 'configmaps-view'],
};
const cast = (table: Partial<Record<Who, string[]>>) => Object.keys(table) as Who[];

/** A status, or for a list: exactly these ids (and `pagination.total` equal to their number), or only a count. */
type Expect = number | { ids: string[] } | { total: number; page?: number };

interface Row {
  who: Who | Who[];
  method: string;
  path: string;
  body?: unknown;
  expect: Expect;
}

describe('authorization table: built-in roles at each scope, through the HTTP API', () => {
  const ctx = useTestServer();
  const tokens = {} as Record<Who, string>;
  const ids = {} as Record<Who, string>;
  /** Every token id each user holds (login sessions and API keys). */
  const tokenIds = {} as Record<Who, string[]>;
  let A: string;
  let B: string;
  let P: string;
  let Q: string;
  let projectsOfA: string[];
  const nodes = { a1: '', a2: '', b1: '' };
  /** How many bindings A and P have: one per template held there, and the creators' owner bindings. */
  let bindingsInA = 1;
  let bindingsInP = 1;

  const request = (who: Who, method: string, path: string, body?: unknown) => ctx.srv.request(method, path, { token: tokens[who], body });
  async function ok(res: Promise<TestResponse>, status = 201): Promise<{ id: string } & Record<string, unknown>> {
    const r = await res;
    assert.equal(r.status, status, r.text);
    return r.json;
  }

  /** A user and their login session; logins (password hashing) overlap, the server creates users one at a time. */
  async function newUser(who: Who) {
    const password = `${who}-password-12`;
    ids[who] = (await ok(request('admin', 'POST', '/v3/users', { username: who.toLowerCase(), password }))).id;
    tokens[who] = await ctx.srv.login(who.toLowerCase(), password);
  }

  /** The global managers: user-base and their role instead of the default `user`. */
  async function bindGlobal(who: Who, roles: string[]) {
    const defaults = (await request('admin', 'GET', `/v3/globalrolebindings?userId=${ids[who]}`)).json.data as { id: string }[];
    for (const b of defaults) await ok(request('admin', 'DELETE', `/v3/globalrolebindings/${b.id}`), 204);
    for (const globalRoleId of ['user-base', ...roles]) await ok(request('admin', 'POST', '/v3/globalrolebindings', { globalRoleId, userId: ids[who] }));
  }

  before(async () => {
    tokens.admin = ctx.token;
    ids.admin = (await request('admin', 'GET', '/v3/users?me=true')).json.data[0].id;
    await Promise.all(CAST.filter((w) => w !== 'admin').map(newUser));
    for (const [who, roles] of Object.entries(GLOBAL) as [Who, string[]][]) await bindGlobal(who, roles);
    // plain also holds an API key.
    await ok(request('plain', 'POST', '/v3/tokens', { description: 'key' }));
    for (const who of CAST) tokenIds[who] = (await request(who, 'GET', '/v3/tokens')).json.data.map((t: { id: string }) => t.id);

    A = (await ok(request('owner', 'POST', '/v3/clusters', { name: 'table-a' }))).id;
    B = (await ok(request('admin', 'POST', '/v3/clusters', { name: 'table-b' }))).id;
    for (const [who, templates] of Object.entries(IN_A) as [Who, string[]][]) {
      for (const roleTemplateId of templates) {
        await ok(request('owner', 'POST', '/v3/clusterroletemplatebindings', { clusterId: A, roleTemplateId, userId: ids[who] }));
        bindingsInA++;
      }
    }
    P = (await ok(request('owner', 'POST', '/v3/projects', { clusterId: A, name: 'p' }))).id;
    Q = (await ok(request('owner', 'POST', '/v3/projects', { clusterId: A, name: 'q' }))).id;
    for (const [who, templates] of Object.entries(IN_P) as [Who, string[]][]) {
      for (const roleTemplateId of templates) {
        await ok(request('owner', 'POST', '/v3/projectroletemplatebindings', { projectId: P, roleTemplateId, userId: ids[who] }));
        bindingsInP++;
      }
    }
    projectsOfA = await until('Default and System in A', async () => {
      const list = (await request('admin', 'GET', `/v3/projects?clusterId=${A}`)).json.data as { id: string }[];
      return list.length === 4 && list.map((p) => p.id);
    });

    // Nodes are made by agents registering; here they are written to the store directly.
    const store = ctx.srv.server.store;
    for (const [name, clusterId] of [['a1', A], ['a2', A], ['b1', B]] as const) {
      const id = `${clusterId}:m-${name}xyz`;
      await store.create('node', id, { clusterId, nodeName: name, name, hostname: name, ipAddress: '10.0.0.1', worker: true, imported: true });
      nodes[name] = id;
    }
    await until('nodes in the cache', async () => (await request('admin', 'GET', '/v3/nodes')).json.data.length === 3);
  });

  /** Runs the rows and reports every mismatch at once. */
  async function check(rows: Row[]) {
    const failures: string[] = [];
    for (const row of rows) {
      for (const who of Array.isArray(row.who) ? row.who : [row.who]) {
        const res = await request(who, row.method, row.path, row.body);
        const where = `${who} ${row.method} ${row.path}`;
        if (typeof row.expect === 'number') {
          if (res.status !== row.expect) failures.push(`${where}: ${res.status}, expected ${row.expect}: ${res.text.slice(0, 200)}`);
          continue;
        }
        if (res.status !== 200) {
          failures.push(`${where}: ${res.status}: ${res.text.slice(0, 200)}`);
          continue;
        }
        const got = (res.json.data as { id: string }[]).map((o) => o.id).sort();
        const total = res.json.pagination?.total;
        if ('ids' in row.expect) {
          const want = [...row.expect.ids].sort();
          if (JSON.stringify(got) !== JSON.stringify(want)) failures.push(`${where}: ids ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
          if (total !== want.length) failures.push(`${where}: pagination.total ${total}, expected ${want.length}`);
        } else {
          if (total !== row.expect.total) failures.push(`${where}: pagination.total ${total}, expected ${row.expect.total}`);
          const page = row.expect.page ?? row.expect.total;
          if (got.length !== page) failures.push(`${where}: ${got.length} items, expected ${page}`);
        }
      }
    }
    assert.deepEqual(failures, []);
  }

  const inP = cast(IN_P);
  const inA: Who[] = ['owner', ...cast(IN_A), ...inP];
  /** The global managers, and base: no binding in any cluster. */
  const globalCast = cast(GLOBAL);
  /** In A, but in none of its projects, and without projects-view. */
  const outsideProjects: Who[] = ['member', 'nodesView', 'nodesManage', 'projectsCreate', 'crtbManage', 'crtbView', 'storage'];

  test('every built-in role (but the hidden Kubernetes ones) is held by someone in the table', () => {
    const held = new Set(['admin', 'user', 'user-base', 'cluster-owner', ...[GLOBAL, IN_A, IN_P].flatMap((t) => Object.values(t).flat())]);
    const builtins = [...BUILTIN_GLOBAL_ROLES.map((r) => r.id), ...BUILTIN_ROLE_TEMPLATES.filter((t) => t.hidden !== true).map((t) => t.id)];
    assert.deepEqual(builtins.filter((id) => !held.has(id)), []);
  });

  test('lists show each user only what they may see, and pagination counts only that', async () => {
    const everyone = CAST.map((w) => ids[w]);
    const total = async (path: string) => (await request('admin', 'GET', path)).json.pagination.total as number;
    const builtinTemplates = await total('/v3/roletemplates');
    const [globalRoles, globalBindings] = [await total('/v3/globalroles'), await total('/v3/globalrolebindings')];
    await check([
      { who: 'admin', method: 'GET', path: '/v3/clusters', expect: { ids: ['local', A, B] } },
      { who: ['plain', ...globalCast], method: 'GET', path: '/v3/clusters', expect: { ids: [] } },
      // Every binding in a cluster, or in one of its projects, shows the cluster.
      { who: inA, method: 'GET', path: '/v3/clusters', expect: { ids: [A] } },
      { who: ['admin', 'owner'], method: 'GET', path: `/v3/projects?clusterId=${A}`, expect: { ids: projectsOfA } },
      { who: ['plain', ...globalCast, ...outsideProjects], method: 'GET', path: '/v3/projects', expect: { ids: [] } },
      { who: inP, method: 'GET', path: '/v3/projects', expect: { ids: [P] } },
      { who: 'projectsView', method: 'GET', path: '/v3/projects', expect: { ids: projectsOfA } },
      { who: 'admin', method: 'GET', path: '/v3/nodes', expect: { ids: [nodes.a1, nodes.a2, nodes.b1] } },
      { who: ['owner', 'member', 'nodesView', 'nodesManage'], method: 'GET', path: '/v3/nodes', expect: { ids: [nodes.a1, nodes.a2] } },
      { who: ['projectsCreate', 'projectsView', 'crtbManage', 'crtbView', 'storage', ...globalCast], method: 'GET', path: '/v3/nodes', expect: { ids: [] } },
      { who: ['member'], method: 'GET', path: '/v3/nodes?limit=1', expect: { total: 2, page: 1 } },
      { who: [...inP, 'plain', 'base'], method: 'GET', path: '/v3/nodes', expect: { ids: [] } },
      { who: ['owner', 'member'], method: 'GET', path: `/v3/clusters/${A}/nodes`, expect: { ids: [nodes.a1, nodes.a2] } },
      // Tokens: one's own only, admins included.
      ...CAST.map((who): Row => ({ who, method: 'GET', path: '/v3/tokens', expect: { ids: tokenIds[who] } })),
      { who: 'admin', method: 'GET', path: '/v3/users', expect: { ids: everyone } },
      { who: 'usersManage', method: 'GET', path: '/v3/users', expect: { ids: everyone } },
      ...CAST.filter((w) => w !== 'admin' && w !== 'usersManage').map((who): Row => ({ who, method: 'GET', path: '/v3/users', expect: { ids: [ids[who]] } })),
      { who: ['admin', 'plain', 'owner', 'usersManage'], method: 'GET', path: '/v3/principals', expect: { ids: everyone.map((id) => `local://${id}`) } },
      ...globalCast.filter((w) => w !== 'usersManage').map((who): Row => ({ who, method: 'GET', path: '/v3/principals', expect: { ids: [`local://${ids[who]}`] } })),
      { who: ['admin', 'plain', 'rolesManage'], method: 'GET', path: '/v3/roletemplates', expect: { total: builtinTemplates } },
      { who: globalCast.filter((w) => w !== 'rolesManage'), method: 'GET', path: '/v3/roletemplates', expect: { ids: [] } },
      { who: ['admin', 'usersManage'], method: 'GET', path: '/v3/globalrolebindings', expect: { total: globalBindings } },
      { who: ['plain', 'owner', 'base', 'rolesManage', 'settingsManage'], method: 'GET', path: '/v3/globalrolebindings', expect: { ids: [] } },
      { who: ['admin', 'usersManage', 'rolesManage'], method: 'GET', path: '/v3/globalroles', expect: { total: globalRoles } },
      { who: ['plain', 'base', 'settingsManage', 'clustersCreate'], method: 'GET', path: '/v3/globalroles', expect: { ids: [] } },
      // A's members, one binding per template held there, and its creator as cluster owner.
      { who: ['owner', 'member', 'crtbManage', 'crtbView'], method: 'GET', path: `/v3/clusterroletemplatebindings?clusterId=${A}`, expect: { total: bindingsInA } },
      { who: ['nodesView', 'nodesManage', 'projectsCreate', 'projectsView', 'storage', ...inP, 'plain', 'usersManage'], method: 'GET', path: '/v3/clusterroletemplatebindings', expect: { ids: [] } },
      // P's members, and its creator (the cluster owner) as project owner.
      {
        who: ['owner', 'projOwner', 'projMember', 'readOnly', 'prtbManage', 'prtbView', 'projectsView'],
        method: 'GET',
        path: `/v3/projectroletemplatebindings?projectId=${P}`,
        expect: { total: bindingsInP },
      },
      { who: ['member', 'nodesView', 'crtbManage', 'createNs', 'k8sOnly', 'plain'], method: 'GET', path: '/v3/projectroletemplatebindings', expect: { ids: [] } },
    ]);
  });

  test('what one may not see is not found (404), whatever the method', async () => {
    await check([
      { who: 'admin', method: 'GET', path: `/v3/clusters/${B}`, expect: 200 },
      { who: inA, method: 'GET', path: `/v3/clusters/${A}`, expect: 200 },
      { who: [...inA, 'plain', 'base'], method: 'GET', path: `/v3/clusters/${B}`, expect: 404 },
      { who: ['plain', 'base'], method: 'GET', path: '/v3/clusters/local', expect: 404 },
      { who: 'plain', method: 'PUT', path: `/v3/clusters/${A}`, body: { description: 'x' }, expect: 404 },
      { who: 'plain', method: 'DELETE', path: `/v3/clusters/${A}`, expect: 404 },
      { who: inP, method: 'GET', path: `/v3/projects/${P}`, expect: 200 },
      { who: [...inP, 'member', 'nodesView'], method: 'GET', path: `/v3/projects/${Q}`, expect: 404 },
      { who: 'owner', method: 'GET', path: `/v3/projects/${Q}`, expect: 200 },
      { who: 'nodesView', method: 'GET', path: `/v3/nodes/${nodes.a1}`, expect: 200 },
      { who: ['owner', 'nodesView'], method: 'GET', path: `/v3/nodes/${nodes.b1}`, expect: 404 },
      { who: inP, method: 'GET', path: `/v3/nodes/${nodes.a1}`, expect: 404 },
      { who: 'projMember', method: 'POST', path: `/v3/nodes/${nodes.a1}?action=cordon`, expect: 404 },
      { who: 'plain', method: 'GET', path: `/v3/users/${ids.admin}`, expect: 404 },
      { who: 'plain', method: 'DELETE', path: `/v3/users/${ids.base}`, expect: 404 },
      { who: 'plain', method: 'GET', path: `/v3/users/${ids.plain}`, expect: 200 },
      { who: 'usersManage', method: 'GET', path: `/v3/users/${ids.admin}`, expect: 200 },
      { who: ['rolesManage', 'settingsManage', 'clustersCreate', 'authnManage'], method: 'GET', path: `/v3/users/${ids.admin}`, expect: 404 },
      { who: 'projectsView', method: 'GET', path: `/v3/projects/${Q}`, expect: 200 },
      { who: ['nodesManage', 'projectsCreate', 'crtbManage', 'storage'], method: 'GET', path: `/v3/projects/${P}`, expect: 404 },
      { who: 'projectsCreate', method: 'PUT', path: `/v3/projects/${P}`, body: { description: 'x' }, expect: 404 },
      { who: 'nodesManage', method: 'GET', path: `/v3/nodes/${nodes.b1}`, expect: 404 },
      { who: 'nodesManage', method: 'PUT', path: `/v3/nodes/${nodes.b1}`, body: { description: 'x' }, expect: 404 },
      { who: ['createNs', 'k8sOnly', 'storage'], method: 'GET', path: `/v3/nodes/${nodes.a1}`, expect: 404 },
      { who: 'plain', method: 'GET', path: `/v3/tokens/${tokenIds.admin[0]}`, expect: 404 },
      { who: 'admin', method: 'GET', path: `/v3/tokens/${tokenIds.plain[0]}`, expect: 404 },
      { who: 'admin', method: 'DELETE', path: `/v3/tokens/${tokenIds.plain[0]}`, expect: 404 },
      { who: 'base', method: 'GET', path: '/v3/roletemplates/cluster-owner', expect: 404 },
      { who: 'plain', method: 'GET', path: '/v3/roletemplates/cluster-owner', expect: 200 },
    ]);
  });

  test('creates, updates and deletes one may not do are refused (403); those one may do succeed', async () => {
    await check([
      { who: 'base', method: 'POST', path: '/v3/clusters', body: { name: 'by-base' }, expect: 403 },
      { who: ['member', 'nodesView', ...inP], method: 'PUT', path: `/v3/clusters/${A}`, body: { description: 'x' }, expect: 403 },
      { who: ['member', 'nodesView', ...inP], method: 'DELETE', path: `/v3/clusters/${A}`, expect: 403 },
      { who: 'owner', method: 'PUT', path: `/v3/clusters/${A}`, body: { description: 'owned' }, expect: 200 },
      { who: 'owner', method: 'DELETE', path: '/v3/clusters/local', expect: 404 },
      { who: ['nodesView', ...inP, 'plain'], method: 'POST', path: '/v3/projects', body: { clusterId: A, name: 'nope' }, expect: 403 },
      { who: 'member', method: 'POST', path: '/v3/projects', body: { clusterId: B, name: 'nope' }, expect: 403 },
      { who: ['projMember', 'readOnly'], method: 'PUT', path: `/v3/projects/${P}`, body: { description: 'x' }, expect: 403 },
      { who: inP, method: 'DELETE', path: `/v3/projects/${P}`, expect: 403 },
      { who: 'owner', method: 'PUT', path: `/v3/projects/${P}`, body: { description: 'owned' }, expect: 200 },
      { who: ['member', 'nodesView'], method: 'PUT', path: `/v3/nodes/${nodes.a1}`, body: { description: 'x' }, expect: 403 },
      { who: ['member', 'nodesView'], method: 'DELETE', path: `/v3/nodes/${nodes.a1}`, expect: 403 },
      { who: 'owner', method: 'PUT', path: `/v3/nodes/${nodes.a1}`, body: { description: 'owned' }, expect: 200 },
      { who: ['plain', 'base', 'owner'], method: 'POST', path: '/v3/users', body: { username: 'nope', password: 'nope-password-1' }, expect: 403 },
      { who: 'plain', method: 'PUT', path: `/v3/users/${ids.plain}`, body: { name: 'Plain' }, expect: 200 },
      { who: 'plain', method: 'PUT', path: `/v3/users/${ids.plain}`, body: { enabled: false }, expect: 403 },
      { who: ['plain', 'owner'], method: 'POST', path: '/v3/globalroles', body: { name: 'nope', rules: [] }, expect: 403 },
      { who: ['plain', 'owner'], method: 'POST', path: '/v3/roletemplates', body: { name: 'nope', context: 'cluster', rules: [] }, expect: 403 },
      { who: ['plain', 'owner'], method: 'POST', path: '/v3/globalrolebindings', body: { globalRoleId: 'user-base', userId: ids.base }, expect: 403 },
      { who: 'plain', method: 'PUT', path: '/v3/settings/password-min-length', body: { value: '13' }, expect: 403 },
      {
        who: ['member', 'nodesView', ...inP],
        method: 'POST',
        path: '/v3/clusterroletemplatebindings',
        body: { clusterId: A, roleTemplateId: 'nodes-view', userId: ids.plain },
        expect: 403,
      },
      {
        who: ['projMember', 'readOnly', 'member', 'nodesView'],
        method: 'POST',
        path: '/v3/projectroletemplatebindings',
        body: { projectId: P, roleTemplateId: 'read-only', userId: ids.plain },
        expect: 403,
      },
      { who: 'admin', method: 'DELETE', path: `/v3/nodes/${nodes.b1}`, expect: 204 },
    ]);
  });

  test('the global managers: each manages their kind, within what they hold, and nothing else', async () => {
    const M = 'management.cattle.io';
    const newUser = { username: 'by-manager', password: 'by-manager-password' };
    await check([
      { who: 'usersManage', method: 'POST', path: '/v3/users', body: newUser, expect: 201 },
      { who: 'usersManage', method: 'PUT', path: `/v3/users/${ids.base}`, body: { description: 'managed' }, expect: 200 },
      // plain holds `user`, more than user-base and users-manage: out of the manager's reach.
      { who: 'usersManage', method: 'PUT', path: `/v3/users/${ids.plain}`, body: { enabled: false }, expect: 403 },
      { who: 'usersManage', method: 'DELETE', path: `/v3/users/${ids.admin}`, expect: 403 },
      { who: 'usersManage', method: 'POST', path: '/v3/globalrolebindings', body: { globalRoleId: 'user-base', userId: ids.plain }, expect: 201 },
      { who: 'usersManage', method: 'POST', path: '/v3/globalrolebindings', body: { globalRoleId: 'admin', userId: ids.plain }, expect: 403 },
      { who: 'usersManage', method: 'POST', path: '/v3/globalrolebindings', body: { globalRoleId: 'roles-manage', userId: ids.usersManage }, expect: 403 },
      { who: ['rolesManage', 'settingsManage', 'clustersCreate', 'authnManage', 'base'], method: 'POST', path: '/v3/users', body: newUser, expect: 403 },
      {
        who: ['rolesManage', 'settingsManage', 'clustersCreate', 'authnManage'],
        method: 'POST',
        path: '/v3/globalrolebindings',
        body: { globalRoleId: 'user-base', userId: ids.base },
        expect: 403,
      },

      { who: 'rolesManage', method: 'POST', path: '/v3/globalroles', body: { name: 'by-roles-manager', rules: [{ apiGroups: [M], resources: ['roletemplates'], verbs: ['get'] }] }, expect: 201 },
      { who: 'rolesManage', method: 'POST', path: '/v3/globalroles', body: { name: 'too-much', rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] }, expect: 403 },
      { who: 'rolesManage', method: 'POST', path: '/v3/roletemplates', body: { name: 'empty', context: 'cluster', rules: [] }, expect: 201 },
      { who: 'rolesManage', method: 'POST', path: '/v3/roletemplates', body: { name: 'owner-like', context: 'cluster', roleTemplateIds: ['cluster-owner'] }, expect: 403 },
      { who: 'rolesManage', method: 'PUT', path: '/v3/globalroles/user', body: { rules: [] }, expect: 403 },
      { who: ['usersManage', 'settingsManage', 'clustersCreate', 'authnManage'], method: 'POST', path: '/v3/globalroles', body: { name: 'nope', rules: [] }, expect: 403 },
      { who: ['usersManage', 'settingsManage', 'authnManage'], method: 'POST', path: '/v3/roletemplates', body: { name: 'nope', context: 'cluster', rules: [] }, expect: 403 },

      { who: 'settingsManage', method: 'PUT', path: '/v3/settings/ui-pl', body: { value: 'Table' }, expect: 200 },
      { who: 'settingsManage', method: 'PUT', path: '/v3/settings/ui-pl', body: { value: '' }, expect: 200 },
      { who: 'settingsManage', method: 'PUT', path: '/v3/settings/cacerts', body: { value: 'x' }, expect: 405 },
      { who: 'settingsManage', method: 'POST', path: '/v3/settings', body: { name: 'table-setting', value: 'x' }, expect: 201 },
      { who: 'settingsManage', method: 'DELETE', path: '/v3/settings/table-setting', expect: 204 },
      { who: ['usersManage', 'rolesManage', 'clustersCreate', 'authnManage'], method: 'PUT', path: '/v3/settings/ui-pl', body: { value: 'x' }, expect: 403 },

      { who: ['usersManage', 'rolesManage', 'settingsManage', 'authnManage'], method: 'POST', path: '/v3/clusters', body: { name: 'nope' }, expect: 403 },
    ]);
  });

  test('the narrower templates in a cluster and a project: each does its part, in its scope only', async () => {
    const memberBinding = (await request('admin', 'GET', `/v3/clusterroletemplatebindings?clusterId=${A}&userId=${ids.member}`)).json.data[0].id as string;
    const projMemberBinding = (await request('admin', 'GET', `/v3/projectroletemplatebindings?projectId=${P}&userId=${ids.projMember}`)).json.data[0].id as string;
    const crtb = (clusterId: string, roleTemplateId: string, userId = ids.plain) => ({ clusterId, roleTemplateId, userId });
    const prtb = (projectId: string, roleTemplateId: string, userId = ids.plain) => ({ projectId, roleTemplateId, userId });
    const namespace = (name: string) => ({ clusterId: A, projectId: P, name });
    await check([
      { who: 'nodesManage', method: 'PUT', path: `/v3/nodes/${nodes.a1}`, body: { description: 'managed' }, expect: 200 },
      { who: ['nodesManage', 'projectsCreate', 'projectsView', 'crtbManage', 'crtbView', 'storage'], method: 'PUT', path: `/v3/clusters/${A}`, body: { description: 'x' }, expect: 403 },
      { who: ['projectsView', 'crtbManage', 'crtbView', 'storage', 'createNs', 'prtbManage', 'prtbView', 'k8sOnly'], method: 'PUT', path: `/v3/nodes/${nodes.a1}`, body: {}, expect: 404 },
      { who: ['nodesManage', 'projectsView', 'crtbManage', 'crtbView', 'storage'], method: 'POST', path: '/v3/projects', body: { clusterId: A, name: 'nope' }, expect: 403 },
      { who: 'projectsCreate', method: 'POST', path: '/v3/projects', body: { clusterId: B, name: 'nope' }, expect: 403 },
      { who: 'projectsView', method: 'PUT', path: `/v3/projects/${P}`, body: { description: 'x' }, expect: 403 },
      { who: 'projectsView', method: 'DELETE', path: `/v3/projects/${Q}`, expect: 403 },

      // Members are added with templates the adder holds there: the members' templates themselves.
      { who: 'crtbManage', method: 'POST', path: '/v3/clusterroletemplatebindings', body: crtb(A, 'nodes-view'), expect: 403 },
      { who: 'crtbManage', method: 'POST', path: '/v3/clusterroletemplatebindings', body: crtb(B, 'clusterroletemplatebindings-view'), expect: 403 },
      { who: 'crtbManage', method: 'POST', path: '/v3/clusterroletemplatebindings', body: crtb(A, 'clusterroletemplatebindings-view', ids.crtbManage), expect: 403 },
      { who: ['crtbView', 'nodesManage', 'projectsView', 'storage'], method: 'POST', path: '/v3/clusterroletemplatebindings', body: crtb(A, 'clusterroletemplatebindings-view'), expect: 403 },
      { who: 'crtbView', method: 'DELETE', path: `/v3/clusterroletemplatebindings/${memberBinding}`, expect: 403 },
      { who: 'prtbManage', method: 'POST', path: '/v3/projectroletemplatebindings', body: prtb(P, 'read-only'), expect: 403 },
      { who: 'prtbManage', method: 'POST', path: '/v3/projectroletemplatebindings', body: prtb(Q, 'projectroletemplatebindings-view'), expect: 403 },
      { who: ['prtbView', 'createNs', 'k8sOnly', 'projectsView'], method: 'POST', path: '/v3/projectroletemplatebindings', body: prtb(P, 'projectroletemplatebindings-view'), expect: 403 },
      { who: 'prtbView', method: 'DELETE', path: `/v3/projectroletemplatebindings/${projMemberBinding}`, expect: 403 },

      { who: ['createNs', 'prtbManage', 'prtbView', 'k8sOnly'], method: 'PUT', path: `/v3/projects/${P}`, body: { description: 'x' }, expect: 403 },
      { who: ['prtbManage', 'prtbView', 'k8sOnly', 'readOnly'], method: 'POST', path: '/v3/namespaces', body: namespace('nope'), expect: 403 },
    ]);
    // create-ns may create namespaces in P: past authorization, the request reaches the cluster (unreachable here).
    const created = await request('createNs', 'POST', '/v3/namespaces', namespace('by-create-ns'));
    assert.notEqual(created.status, 403, created.text);
    assert.equal(created.json?.code, 'ClusterUnavailable', created.text);
  });

  test('actions: cordoning a node needs update on nodes, and only those who may are offered it', async () => {
    const node = (who: Who) => request(who, 'GET', `/v3/nodes/${nodes.a2}`);
    const asViewer = (await node('nodesView')).json;
    assert.equal(asViewer.actions, undefined, 'no actions offered');
    assert.equal(asViewer.links.update, undefined);
    assert.equal(asViewer.links.remove, undefined);
    const asOwner = (await node('owner')).json;
    assert.ok(asOwner.actions?.cordon, JSON.stringify(asOwner.actions));
    assert.ok(asOwner.links.update && asOwner.links.remove);
    await check([
      { who: ['nodesView', 'member'], method: 'POST', path: `/v3/nodes/${nodes.a2}?action=cordon`, expect: 403 },
      { who: 'owner', method: 'POST', path: `/v3/nodes/${nodes.a2}?action=cordon`, expect: 200 },
      { who: 'owner', method: 'POST', path: `/v3/nodes/${nodes.a2}?action=cordon`, expect: 404 },
      { who: 'nodesView', method: 'POST', path: `/v3/nodes/${nodes.a2}?action=uncordon`, expect: 403 },
      { who: 'admin', method: 'POST', path: `/v3/nodes/${nodes.a2}?action=uncordon`, expect: 200 },
    ]);
    assert.equal((await node('member')).json.unschedulable, false);
  });

  test('/v3/schemas show each user the methods they may use', async () => {
    const methods = async (who: Who, type: string) => {
      const res = await request(who, 'GET', `/v3/schemas/${type}`);
      assert.equal(res.status, 200, res.text);
      return { collection: res.json.collectionMethods as string[], resource: res.json.resourceMethods as string[] };
    };
    const rows: [Who, string, string[], string[]][] = [
      ['admin', 'cluster', ['GET', 'POST'], ['GET', 'PUT', 'DELETE']],
      ['owner', 'cluster', ['GET', 'POST'], ['GET', 'PUT', 'DELETE']],
      ['plain', 'cluster', ['GET', 'POST'], ['GET']],
      ['member', 'cluster', ['GET', 'POST'], ['GET']],
      ['base', 'cluster', ['GET'], ['GET']],
      ['owner', 'node', ['GET'], ['GET', 'PUT', 'DELETE']],
      ['nodesView', 'node', ['GET'], ['GET']],
      ['owner', 'project', ['GET', 'POST'], ['GET', 'PUT', 'DELETE']],
      ['member', 'project', ['GET', 'POST'], ['GET']],
      ['readOnly', 'project', ['GET'], ['GET']],
      ['admin', 'user', ['GET', 'POST'], ['GET', 'PUT', 'DELETE']],
      ['owner', 'clusterRoleTemplateBinding', ['GET', 'POST'], ['GET', 'DELETE']],
      ['member', 'clusterRoleTemplateBinding', ['GET'], ['GET']],
      ['projOwner', 'projectRoleTemplateBinding', ['GET', 'POST'], ['GET', 'DELETE']],
      ['projMember', 'projectRoleTemplateBinding', ['GET'], ['GET']],
      ['admin', 'globalRole', ['GET', 'POST'], ['GET', 'PUT', 'DELETE']],
      ['plain', 'globalRole', ['GET'], ['GET']],
      ['usersManage', 'user', ['GET', 'POST'], ['GET', 'PUT', 'DELETE']],
      ['usersManage', 'globalRoleBinding', ['GET', 'POST'], ['GET', 'DELETE']],
      ['usersManage', 'globalRole', ['GET'], ['GET']],
      ['rolesManage', 'globalRole', ['GET', 'POST'], ['GET', 'PUT', 'DELETE']],
      ['rolesManage', 'roleTemplate', ['GET', 'POST'], ['GET', 'PUT', 'DELETE']],
      ['rolesManage', 'globalRoleBinding', ['GET'], ['GET']],
      ['settingsManage', 'setting', ['GET', 'POST'], ['GET', 'PUT', 'DELETE']],
      ['clustersCreate', 'cluster', ['GET', 'POST'], ['GET']],
      ['authnManage', 'cluster', ['GET'], ['GET']],
      ['nodesManage', 'node', ['GET'], ['GET', 'PUT', 'DELETE']],
      ['projectsCreate', 'project', ['GET', 'POST'], ['GET']],
      ['projectsView', 'project', ['GET'], ['GET']],
      ['crtbManage', 'clusterRoleTemplateBinding', ['GET', 'POST'], ['GET', 'DELETE']],
      ['crtbView', 'clusterRoleTemplateBinding', ['GET'], ['GET']],
      ['prtbManage', 'projectRoleTemplateBinding', ['GET', 'POST'], ['GET', 'DELETE']],
      ['prtbView', 'projectRoleTemplateBinding', ['GET'], ['GET']],
    ];
    const failures: string[] = [];
    for (const [who, type, collection, resource] of rows) {
      const got = await methods(who, type);
      if (JSON.stringify(got) !== JSON.stringify({ collection, resource })) failures.push(`${who} ${type}: ${JSON.stringify(got)}, expected ${JSON.stringify({ collection, resource })}`);
    }
    assert.deepEqual(failures, []);
    const plainUsers = await methods('plain', 'user');
    assert.deepEqual(plainUsers.collection, ['GET'], 'a plain user may not create users');
  });

  test('allowed creates by the narrower roles: a cluster, a project, a cluster member, a project member', async () => {
    const cluster = await ok(request('clustersCreate', 'POST', '/v3/clusters', { name: 'created-by-creator' }));
    const project = await ok(request('projectsCreate', 'POST', '/v3/projects', { clusterId: A, name: 'by-projects-create' }));
    const clusterMember = await ok(request('crtbManage', 'POST', '/v3/clusterroletemplatebindings', { clusterId: A, roleTemplateId: 'clusterroletemplatebindings-view', userId: ids.base }));
    const projectMember = await ok(request('prtbManage', 'POST', '/v3/projectroletemplatebindings', { projectId: P, roleTemplateId: 'projectroletemplatebindings-view', userId: ids.base }));
    await check([
      { who: 'clustersCreate', method: 'GET', path: '/v3/clusters', expect: { ids: [cluster.id] } },
      { who: 'projectsCreate', method: 'GET', path: '/v3/projects', expect: { ids: [project.id] } },
      { who: 'base', method: 'GET', path: '/v3/clusters', expect: { ids: [A] } },
      { who: 'base', method: 'GET', path: '/v3/projects', expect: { ids: [P] } },
      { who: 'crtbManage', method: 'DELETE', path: `/v3/clusterroletemplatebindings/${clusterMember.id}`, expect: 204 },
      { who: 'prtbManage', method: 'DELETE', path: `/v3/projectroletemplatebindings/${projectMember.id}`, expect: 204 },
      { who: 'base', method: 'GET', path: '/v3/clusters', expect: { ids: [] } },
      { who: 'projectsCreate', method: 'DELETE', path: `/v3/projects/${project.id}`, expect: 403 },
      { who: 'owner', method: 'DELETE', path: `/v3/projects/${project.id}`, expect: 204 },
      { who: 'clustersCreate', method: 'DELETE', path: `/v3/clusters/${cluster.id}`, expect: 204 },
    ]);
  });

  test('allowed creates: a plain user creates a cluster, a cluster member a project', async () => {
    const cluster = await ok(request('plain', 'POST', '/v3/clusters', { name: 'plains' }));
    await check([{ who: 'plain', method: 'GET', path: '/v3/clusters', expect: { ids: [cluster.id] } }]);
    const project = await ok(request('member', 'POST', '/v3/projects', { clusterId: A, name: 'members' }));
    await check([
      { who: 'member', method: 'GET', path: '/v3/projects', expect: { ids: [project.id] } },
      // Its creator is its project owner: may edit it (as in Rancher), not delete it (that is the cluster owner's).
      { who: 'member', method: 'PUT', path: `/v3/projects/${project.id}`, body: { description: 'x' }, expect: 200 },
      { who: 'member', method: 'DELETE', path: `/v3/projects/${project.id}`, expect: 403 },
      { who: 'owner', method: 'DELETE', path: `/v3/projects/${project.id}`, expect: 204 },
      { who: 'plain', method: 'DELETE', path: `/v3/clusters/${cluster.id}`, expect: 204 },
    ]);
  });
});
