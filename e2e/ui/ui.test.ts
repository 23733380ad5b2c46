import assert from 'node:assert/strict';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { repoRoot, spawnPaddock, startPaddock, stopPaddock, type ServerProcess } from '../support/server-process.js';
import { apiCall, launchChromium, logIn, loginToken, newContext, screenshot, watchErrors } from './browser.js';

const PASSWORD = 'a-long-enough-password';
const ACTIVE_MS = 30_000;
const BUILD = 'npx tsc -b packages/server packages/agent && npm run build --workspace @paddock/ui';

/**
 * Without packages/ui/dist the server answers every page with "UI not built" and each test would wait out its
 * timeouts; without packages/server/dist there is no server to start. Either fails the run at once.
 */
async function checkBuilt(): Promise<void> {
  for (const file of ['packages/ui/dist/index.html', 'packages/server/dist/main.js', 'packages/agent/dist/main.js']) {
    await access(join(repoRoot, file)).catch(() => {
      throw new Error(`${file} is missing: build before running the browser tests (${BUILD})`);
    });
  }
}

await checkBuilt();

/**
 * The web UI driven in Debian's chromium against a real `paddock server` and a real agent: first start,
 * a cluster and its registration command, a node going active and unavailable live, API keys, what a
 * non-admin user sees, the nodes table on a phone, the roles and what they allow, an administrator setting
 * another user's password, changing one's own, the users and roles pages on a phone, and an imported
 * cluster's kubectl import command.
 * Screenshots of each main page land in e2e/artifacts/ui/.
 */
describe('the web UI in a browser', () => {
  let dataDir: string;
  let server: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  const agents: ReturnType<typeof spawnPaddock>[] = [];

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'paddock-ui-e2e-'));
    // A short agent timeout, so a stopped agent's node shows unavailable within seconds.
    [server, browser] = await Promise.all([startPaddock(dataDir, ['--agent-timeout', '3']), launchChromium()]);
    context = await newContext(browser, server.url);
    page = await context.newPage();
    errors = watchErrors(page);
  });
  after(async () => {
    for (const a of agents) if (a.child.exitCode === null) a.child.kill('SIGKILL');
    await browser?.close();
    if (server) await stopPaddock(server);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('first start: admin/admin, a forced new password with its minimum length, the server URL pre-filled', async () => {
    await page.goto(`${server.url}/`);
    await page.getByText('First start: log in as admin').waitFor();
    await screenshot(page, '01-login');
    await logIn(page, server.url, 'admin', 'wrong-password');
    await page.getByText('Wrong username or password.').waitFor();
    await page.getByLabel('Password').fill('admin');
    await page.getByRole('button', { name: 'Log in' }).click();

    await page.getByRole('heading', { name: 'Welcome to Paddock' }).waitFor();
    await page.getByText('At least 12 characters.').waitFor();
    assert.equal(await page.getByLabel('Server URL').inputValue(), server.url, 'pre-filled with the address in the address bar');
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByText('The password must be at least 12 characters long.').waitFor();
    await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm the new password').fill(PASSWORD);
    // A server URL the API refuses: its words show next to the field, and the password change is kept.
    await page.getByLabel('Server URL').fill('ftp://nowhere');
    await screenshot(page, '02-first-start');
    await page.getByRole('button', { name: 'Continue' }).click();
    const urlError = page.locator('.field.has-error', { has: page.getByLabel('Server URL') }).locator('.field-error');
    await urlError.waitFor();
    assert.match(await urlError.innerText(), /server-url/i);
    await page.getByText('Your password is changed.').waitFor();
    await page.getByLabel('Server URL').fill(server.url);
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.getByRole('heading', { name: 'Clusters' }).waitFor();
    await page.locator('tr[data-cluster="local"]').waitFor();
    const admin = await loginToken(server.url, 'admin', PASSWORD);
    assert.equal((await apiCall(server.url, admin, 'GET', '/v3/settings/server-url')).json.value, server.url);
    assert.equal((await apiCall(server.url, admin, 'GET', '/v3/settings/first-login')).json.value, 'false');
  });

  test('create a cluster, copy its command, run the agent with it: the node turns active, then unavailable, without a reload', async () => {
    await page.getByRole('link', { name: 'Create cluster' }).click();
    await page.getByLabel('Cluster name').fill('Bad Name');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByText('Use at most 63 lower-case letters').waitFor();
    await page.getByLabel('Cluster name').fill('web');
    await page.getByLabel('Description (optional)').fill('made in the browser');
    await screenshot(page, '03-create-cluster');
    await page.getByRole('button', { name: 'Create', exact: true }).click();

    await page.getByRole('heading', { name: 'Add nodes' }).waitFor();
    const command = page.getByTestId('registration-command');
    await command.waitFor();
    assert.match(await command.innerText(), / --etcd --controlplane --worker$/, 'the first node gets every role by default');
    await page.getByLabel('Control plane').uncheck();
    await page.getByLabel('etcd').uncheck();
    await page.getByText('Node name, addresses and labels (optional)').click();
    // Clearing the only filled option keeps the section open: it folds only when the person folds it.
    await page.getByLabel('Node name').fill('x');
    await page.getByLabel('Node name').fill('');
    assert.ok(await page.getByLabel('Node name').isVisible(), 'the options stay open while they are edited');
    await page.getByLabel('Node name').fill('ui-node');
    await page.getByLabel('Public address').fill('127.0.0.1');
    await page.getByLabel('Labels').fill('zone=browser');
    const checksum = await page.getByTestId('ca-checksum').innerText();
    assert.match(checksum, /^[0-9a-f]{64}$/);
    await page.getByRole('button', { name: 'Copy registration command' }).click();
    await page.getByText('Copied').waitFor();
    const copied = await page.evaluate<string>('navigator.clipboard.readText()');
    assert.equal(copied, await command.innerText());
    assert.match(copied, new RegExp(`^paddock agent --server ${server.url} --token \\S+ --ca-checksum ${checksum} --worker --node-name ui-node --address 127.0.0.1 --label zone=browser$`));
    await page.getByText('Insecure variant').click();
    assert.match(await page.getByTestId('insecure-registration-command').innerText(), /--ca-checksum \$\(curl --insecure .* --worker --node-name ui-node/);
    await screenshot(page, '04-add-nodes');

    // Run exactly the copied command (`paddock agent ...` is bin/paddock).
    const [program, ...args] = copied.split(' ');
    assert.equal(program, 'paddock');
    const agent = spawnPaddock(args);
    agents.push(agent);
    await page.getByText('ui-node').first().waitFor({ timeout: ACTIVE_MS });

    await page.getByRole('link', { name: /^Nodes/ }).click();
    const state = page.locator('tr[data-node="ui-node"] [data-testid="node-state"]');
    await state.getByText('active', { exact: true }).waitFor({ timeout: ACTIVE_MS });
    const row = page.locator('tr[data-node="ui-node"]');
    assert.match(await row.innerText(), /127\.0\.0\.1/);
    assert.match(await row.innerText(), /worker/);
    assert.match(await row.innerText(), /v\d+\.\d+/, 'agent version');
    assert.match(await row.innerText(), /connected now/, 'last seen');
    await screenshot(page, '05-nodes');

    // Cordon and uncordon from the table.
    await page.getByRole('button', { name: 'Cordon ui-node' }).click();
    await page.getByRole('button', { name: 'Uncordon ui-node' }).waitFor();
    await page.getByRole('button', { name: 'Uncordon ui-node' }).click();
    await page.getByRole('button', { name: 'Cordon ui-node' }).waitFor();

    // The cluster list counts the node's roles.
    await page.getByRole('link', { name: 'Clusters', exact: true }).first().click();
    const clusterRow = page.locator('tr[data-cluster="web"]');
    await clusterRow.getByText('1 of 1 node active').waitFor({ timeout: ACTIVE_MS });
    assert.deepEqual(await clusterRow.locator('td.num').allInnerTexts(), ['0', '0', '1']);
    await screenshot(page, '06-clusters');

    await clusterRow.getByRole('link', { name: 'web' }).click();
    await state.getByText('active', { exact: true }).waitFor();
    const reloads: string[] = [];
    page.on('framenavigated', (f) => f === page.mainFrame() && reloads.push(f.url()));
    agent.child.kill('SIGKILL');
    await state.getByText('unavailable', { exact: true }).waitFor({ timeout: ACTIVE_MS });
    assert.deepEqual(reloads, [], 'the state changed without a page load');
    assert.match(await row.innerText(), /agent not connected since .*(just now|seconds? ago)/s, 'last seen: when the agent went away');
    await screenshot(page, '07-node-unavailable');
  });

  test('an API key: created with a description and an expiry, its secret shown once, then deleted', async () => {
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByLabel('Description').fill('e2e key');
    await page.getByLabel('Expires after').selectOption({ label: '1 day' });
    await page.getByRole('button', { name: 'Create API key' }).click();
    const secret = (await page.getByTestId('new-api-key').innerText()).trim();
    assert.match(secret, /^token-[a-z0-9]{5}:\S{40,}$/);
    await screenshot(page, '08-api-key');
    assert.equal((await apiCall(server.url, secret, 'GET', '/v3/clusters')).status, 200, 'the key works');
    const name = secret.split(':')[0] ?? '';
    const row = page.locator(`tr[data-key="${name}"]`);
    assert.match(await row.innerText(), /e2e key/);
    assert.match(await row.innerText(), /in (23|24) hours|in 1 day/);
    await page.getByRole('button', { name: 'I have saved it' }).click();
    assert.equal(await page.getByTestId('new-api-key').count(), 0, 'the secret is not shown again');

    await page.getByRole('button', { name: `Delete API key ${name}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal((await apiCall(server.url, secret, 'GET', '/v3/clusters')).status, 401, 'the key is gone');
  });

  test('administrators see users and settings; a setting edit shows the API error next to the field', async () => {
    await page.getByRole('link', { name: 'Users & roles' }).click();
    await page.getByTestId('users-table').getByText('Default Admin (admin)').waitFor();
    await screenshot(page, '09-users');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Edit password-min-length' }).click();
    await page.getByLabel('New value of password-min-length').fill('1');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('value must be an integer from 2 to 256', { exact: false }).waitFor();
    await page.getByLabel('New value of password-min-length').fill('14');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('[data-setting="password-min-length"] pre.value', { hasText: '14' }).waitFor();
    await screenshot(page, '10-settings');
  });

  test('a user who is not an administrator sees only their cluster, and no admin pages', async () => {
    const admin = await loginToken(server.url, 'admin', PASSWORD);
    const user = await apiCall(server.url, admin, 'POST', '/v3/users', { username: 'carol', password: 'carol-password-1', mustChangePassword: false });
    assert.equal(user.status, 201, user.text);
    const cluster = await apiCall(server.url, admin, 'POST', '/v3/clusters', { name: 'carols', rancherKubernetesEngineConfig: {} });
    assert.equal(cluster.status, 201, cluster.text);
    const member = await apiCall(server.url, admin, 'POST', '/v3/clusterroletemplatebindings', { clusterId: cluster.json.id, userId: user.json.id, roleTemplateId: 'cluster-owner' });
    assert.equal(member.status, 201, member.text);

    const carolContext = await newContext(browser, server.url, { width: 390, height: 844 });
    const carol = await carolContext.newPage();
    const carolErrors = watchErrors(carol);
    await logIn(carol, server.url, 'carol', 'carol-password-1');
    await carol.locator('tr[data-cluster="carols"]').waitFor();
    const names = await carol.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-cluster')));
    assert.deepEqual(names, ['carols']);
    // Phone width: the menu folds, nothing is wider than the screen.
    await carol.getByRole('button', { name: 'Menu' }).click();
    const nav = carol.getByRole('navigation', { name: 'Main' });
    assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['Clusters', 'Account']);
    assert.ok(await carol.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth + 1'), 'no sideways scrolling at phone width');
    await screenshot(carol, '11-phone-non-admin');
    assert.deepEqual(carolErrors, []);
    await carolContext.close();
  });

  test('the roles view: built-in global roles and role templates with their rules; a custom global role, its API error next to its field', async () => {
    await page.getByRole('link', { name: 'Users & roles' }).click();
    await page.getByRole('navigation', { name: 'Users and roles sections' }).getByRole('link', { name: 'Roles', exact: true }).click();
    await page.getByRole('heading', { name: 'Global roles', exact: true }).waitFor();
    const globalRole = (id: string) => page.locator(`[data-role="${id}"]`);
    /** A card's rules, one line each with its cells' text separated by single spaces. */
    const rulesOf = async (card: ReturnType<typeof globalRole>) =>
      (await card.locator('table.rules tbody tr').allInnerTexts()).map((r) => r.replace(/\s+/g, ' ').trim());
    await globalRole('admin').waitFor();
    assert.match(await globalRole('admin').innerText(), /Admin\s+admin\s+built in/);
    assert.deepEqual(await rulesOf(globalRole('admin')), ['all all resources any API group', 'all all URLs']);
    const user = globalRole('user');
    assert.match(await user.innerText(), /Standard User\s+user\s+built in\s+new users get it/);
    const userRules = await rulesOf(user);
    assert.ok(userRules.includes('create clusters management.cattle.io'), userRules.join('\n'));
    assert.ok(userRules.includes('get list watch principals, roletemplates management.cattle.io'), userRules.join('\n'));
    const base = await rulesOf(globalRole('user-base'));
    assert.deepEqual(base, ['all preferences management.cattle.io', 'get list watch settings, features management.cattle.io']);
    assert.equal(await globalRole('user-base').getByText('new users get it').count(), 0);

    const template = (id: string) => page.locator(`[data-role-template="${id}"]`);
    assert.match(await template('cluster-owner').innerText(), /Cluster Owner\s+cluster-owner\s+cluster\s+built in/);
    assert.equal((await rulesOf(template('cluster-owner'))).length, 2);
    const member = template('project-member');
    assert.match(await member.innerText(), /Includes Kubernetes edit edit/);
    const memberRules = await rulesOf(member);
    assert.deepEqual(memberRules, ['get list watch projectroletemplatebindings management.cattle.io', 'get list watch projects management.cattle.io', 'create namespaces core']);
    // The server filters: by name, and templates by context.
    await page.getByLabel('Context').selectOption('cluster');
    await member.waitFor({ state: 'detached' });
    await page.getByLabel('Filter role templates by name').fill('owner');
    await template('cluster-member').waitFor({ state: 'detached' });
    assert.deepEqual(await page.locator('[data-role-template]').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-role-template'))), ['cluster-owner']);
    await page.getByLabel('Filter role templates by name').fill('');
    await page.getByLabel('Context').selectOption('');
    await member.waitFor();
    await screenshot(page, '14-roles');

    // A custom global role: the API's word on a bad verb shows next to the rule's verbs.
    await page.getByText('New custom global role').click();
    await page.getByLabel('Role name').fill('Cluster watcher');
    const rule1 = page.getByRole('group', { name: 'Rule 1' });
    await rule1.getByLabel('Resources').fill('clusters, nodes');
    await rule1.getByLabel('Verbs').fill('get, list, fly');
    await page.getByRole('button', { name: 'Create global role' }).click();
    const verbError = rule1.locator('.field.has-error', { has: page.getByLabel('Verbs') }).locator('.field-error');
    await verbError.waitFor();
    assert.match(await verbError.innerText(), /^Unknown verb "fly"/);
    await screenshot(page, '15-new-global-role-error');
    await rule1.getByLabel('Verbs').fill('get, list, watch');
    await page.getByRole('button', { name: 'Create global role' }).click();
    await page.getByText('Global role Cluster watcher created.').waitFor();
    const custom = page.locator('[data-role^="gr-"]', { hasText: 'Cluster watcher' });
    await custom.waitFor();
    assert.match(await custom.innerText(), /custom/);
    assert.deepEqual(await rulesOf(custom), ['get list watch clusters, nodes management.cattle.io']);

    // A role manager may list roles, and may not define one with more than she holds: the API's refusal shows
    // next to the rules.
    const admin = await loginToken(server.url, 'admin', PASSWORD);
    const rita = await apiCall(server.url, admin, 'POST', '/v3/users', { username: 'rita', password: 'rita-password-12', mustChangePassword: false });
    assert.equal(rita.status, 201, rita.text);
    const grant = await apiCall(server.url, admin, 'POST', '/v3/globalrolebindings', { userId: rita.json.id, globalRoleId: 'roles-manage' });
    assert.equal(grant.status, 201, grant.text);
    const ritaContext = await newContext(browser, server.url);
    const ritaPage = await ritaContext.newPage();
    const ritaErrors = watchErrors(ritaPage);
    await logIn(ritaPage, server.url, 'rita', 'rita-password-12');
    await ritaPage.getByRole('heading', { name: 'Clusters' }).waitFor();
    // Her global roles are not hers to list, so she is no administrator here; the roles she may list.
    assert.deepEqual(await ritaPage.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts(), ['Clusters', 'Roles', 'Account']);
    await ritaPage.getByRole('link', { name: 'Roles', exact: true }).click();
    await ritaPage.locator('[data-role="admin"]').waitFor();
    await ritaPage.getByText('New custom global role').click();
    await ritaPage.getByLabel('Role name').fill('User remover');
    await ritaPage.getByLabel('Resources').fill('users');
    await ritaPage.getByLabel('Verbs').fill('delete');
    await ritaPage.getByRole('button', { name: 'Create global role' }).click();
    const rulesError = ritaPage.getByRole('group', { name: 'Rules', exact: true }).locator('.field-error');
    await rulesError.waitFor();
    assert.match(await rulesError.innerText(), /You may not define a role with permissions you do not hold: delete on users/);
    await screenshot(ritaPage, '16-roles-permission-denied');
    assert.deepEqual(ritaErrors, []);
    await ritaContext.close();

    // Deleting the custom role (a destructive dialog: Cancel has the focus).
    await page.getByRole('button', { name: 'Delete global role Cluster watcher' }).click();
    const dialog = page.getByRole('dialog');
    assert.equal(await page.evaluate<string | undefined>('document.activeElement?.textContent'), 'Cancel');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await custom.waitFor({ state: 'detached' });
  });

  test("an administrator sets another user's password in a dialog (API errors next to the field); the user logs in with it", async () => {
    const admin = await loginToken(server.url, 'admin', PASSWORD);
    const username = 'dave-the-long-named';
    const dave = await apiCall(server.url, admin, 'POST', '/v3/users', { username, name: 'Dave', password: 'dave-first-password', mustChangePassword: false });
    assert.equal(dave.status, 201, dave.text);
    await page.getByRole('link', { name: 'Users & roles' }).click();
    await page.getByRole('navigation', { name: 'Users and roles sections' }).getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('button', { name: `Set the password of ${username}` }).click();
    const dialog = page.getByRole('dialog', { name: `Set the password of Dave (${username})?` });
    await dialog.waitFor();
    assert.equal(await page.evaluate<string | undefined>('document.activeElement?.textContent'), 'Cancel', 'a destructive dialog focuses Cancel');
    // The minimum length is the setting's (14 since the settings test), as on the first start.
    await dialog.getByText('At least 14 characters.').waitFor();
    const password = dialog.getByLabel('New password', { exact: true });
    await password.fill('short');
    await dialog.getByText('The password must be at least 14 characters long.').waitFor();
    assert.ok(await dialog.getByRole('button', { name: 'Set password' }).isDisabled());
    await password.fill(username);
    await dialog.getByLabel('Confirm the new password').fill('something else');
    await dialog.getByText('The two passwords differ.').waitFor();
    // The API refuses the username as the password: its words show next to the field.
    await dialog.getByLabel('Confirm the new password').fill(username);
    await dialog.getByRole('button', { name: 'Set password' }).click();
    const fieldError = dialog.locator('.field.has-error', { has: page.getByLabel('New password', { exact: true }) }).locator('.field-error');
    await fieldError.waitFor();
    assert.match(await fieldError.innerText(), /cannot be the same as the username/i);
    await screenshot(page, '17-set-password');
    await password.fill('daves-new-password');
    await dialog.getByLabel('Confirm the new password').fill('daves-new-password');
    await dialog.getByLabel('Confirm the new password').press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await page.getByText(`The password of Dave (${username}) is set.`).waitFor();

    await assert.rejects(loginToken(server.url, username, 'dave-first-password'), /401/, 'the old password no longer works');
    const daveContext = await newContext(browser, server.url);
    const davePage = await daveContext.newPage();
    const daveErrors = watchErrors(davePage);
    await logIn(davePage, server.url, username, 'daves-new-password');
    await davePage.getByRole('heading', { name: 'Clusters' }).waitFor();
    assert.deepEqual(daveErrors, []);
    await daveContext.close();
  });

  test('the account page changes the password: wrong current password and a short one said next to their fields', async () => {
    const username = 'dave-the-long-named';
    const context2 = await newContext(browser, server.url);
    const p = await context2.newPage();
    const pErrors = watchErrors(p);
    await logIn(p, server.url, username, 'daves-new-password');
    await p.getByRole('heading', { name: 'Clusters' }).waitFor();
    await p.getByRole('link', { name: 'Account' }).click();
    await p.getByRole('heading', { name: 'Change password' }).waitFor();
    const form = p.locator('form', { has: p.getByLabel('Current password') });
    await form.getByText('At least 14 characters.').waitFor();
    await p.getByLabel('Current password').fill('not-my-password');
    await p.getByLabel('New password', { exact: true }).fill('short');
    await form.getByText('The password must be at least 14 characters long.').waitFor();
    await p.getByLabel('New password', { exact: true }).fill('daves-third-password');
    await p.getByLabel('Confirm the new password').fill('daves-third-passwore');
    await form.getByText('The two passwords differ.').waitFor();
    assert.ok(await form.getByRole('button', { name: 'Change password' }).isDisabled());
    await p.getByLabel('Confirm the new password').fill('daves-third-password');
    await form.getByRole('button', { name: 'Change password' }).click();
    const currentError = p.locator('.field.has-error', { has: p.getByLabel('Current password') }).locator('.field-error');
    await currentError.waitFor();
    assert.match(await currentError.innerText(), /invalid current password/i);
    await screenshot(p, '18-change-password-error');
    await p.getByLabel('Current password').fill('daves-new-password');
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByText('Password changed.').waitFor();
    assert.equal(await p.getByLabel('Current password').inputValue(), '', 'the form is cleared');
    await screenshot(p, '19-change-password');
    // The new password works, the old one no longer does, and this session goes on.
    await loginToken(server.url, username, 'daves-third-password');
    await assert.rejects(loginToken(server.url, username, 'daves-new-password'), /401/);
    await p.getByRole('link', { name: 'Clusters', exact: true }).first().click();
    await p.getByRole('heading', { name: 'Clusters' }).waitFor();
    assert.deepEqual(pErrors, []);
    await context2.close();
  });

  test('phone width (375 px): the users and roles pages fit the screen, no sideways scrolling', async () => {
    const phoneContext = await newContext(browser, server.url, { width: 375, height: 812 });
    const phone = await phoneContext.newPage();
    const phoneErrors = watchErrors(phone);
    await logIn(phone, server.url, 'admin', PASSWORD);
    await phone.getByRole('heading', { name: 'Clusters' }).waitFor();
    const fits = async (what: string) => {
      assert.ok(await phone.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth + 1'), `${what}: no sideways scrolling at 375 px`);
      for (const wrap of await phone.locator('.table-wrap').all()) {
        assert.ok(await wrap.evaluate((e) => e.scrollWidth <= e.clientWidth + 1), `${what}: a table does not scroll inside its box`);
      }
    };
    await phone.goto(`${server.url}/users`);
    const row = phone.getByTestId('users-table').locator('tr', { hasText: 'dave-the-long-named' });
    await row.waitFor();
    await screenshot(phone, '20-users-phone');
    await fits('users');
    const box = await row.getByRole('button', { name: 'Set the password of dave-the-long-named' }).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 375, 'the row actions are on screen');
    await phone.goto(`${server.url}/users/roles`);
    await phone.locator('[data-role-template="project-member"]').waitFor();
    await screenshot(phone, '21-roles-phone');
    await fits('roles');
    await phone.getByText('New custom global role').click();
    await phone.getByRole('group', { name: 'Rule 1' }).waitFor();
    await fits('the new global role form');
    assert.deepEqual(phoneErrors, []);
    await phoneContext.close();
  });

  test("phone width (375 px): the nodes table fits the screen, with each node's state and actions in view", async () => {
    const admin = await loginToken(server.url, 'admin', PASSWORD);
    const web = (await apiCall(server.url, admin, 'GET', '/v3/clusters?name=web')).json.data as { id: string }[];
    assert.equal(web.length, 1);
    const phoneContext = await newContext(browser, server.url, { width: 375, height: 812 });
    const phone = await phoneContext.newPage();
    const phoneErrors = watchErrors(phone);
    await logIn(phone, server.url, 'admin', PASSWORD);
    await phone.getByRole('heading', { name: 'Clusters' }).waitFor();
    await phone.goto(`${server.url}/clusters/${web[0]?.id}`);
    const row = phone.locator('tr[data-node="ui-node"]');
    await row.waitFor();
    await screenshot(phone, '12-nodes-phone');
    assert.ok(await phone.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth + 1'), 'no sideways scrolling at 375 px');
    const wrap = phone.locator('.table-wrap');
    assert.ok(await wrap.evaluate((e) => e.scrollWidth <= e.clientWidth + 1), 'the table does not scroll inside its box');
    for (const part of [row.getByTestId('node-state'), row.getByRole('button', { name: 'Delete node ui-node' })]) {
      const box = await part.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 375, `${await part.innerText()} is on screen`);
    }
    assert.match(await row.innerText(), /127\.0\.0\.1 · worker/, 'address and roles folded under the name');
    assert.deepEqual(phoneErrors, []);
    await phoneContext.close();
  });

  test("import a cluster: its kubectl command is on screen and copies as its registration token's command; then it is deleted", async () => {
    await page.goto(`${server.url}/clusters`);
    await page.getByRole('link', { name: 'Import cluster' }).click();
    await page.getByRole('heading', { name: 'Import a cluster' }).waitFor();
    await page.getByLabel('Cluster name').fill('imported');
    assert.ok(await page.getByLabel(/A kubectl command/).isChecked(), 'the kubectl command is the default way');
    await page.getByRole('button', { name: 'Import', exact: true }).click();

    await page.getByRole('heading', { name: 'Register an existing cluster' }).waitFor();
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/')[2] ?? '');
    assert.match(id, /^c-/);
    const command = page.getByTestId('import-command');
    const shown = await command.innerText();
    assert.match(shown, new RegExp(`^kubectl apply -f ${server.url.replace(/[.]/g, '\\.')}/v3/import/[A-Za-z0-9]+_${id}\\.yaml$`));
    await page.getByRole('button', { name: 'Copy import command', exact: true }).click();
    await page.getByText('Copied').waitFor();
    const copied = await page.evaluate<string>('navigator.clipboard.readText()');
    assert.equal(copied, shown);
    const admin = await loginToken(server.url, 'admin', PASSWORD);
    const tokens = (await apiCall(server.url, admin, 'GET', `/v3/clusterregistrationtokens?clusterId=${id}`)).json.data as { command: string; insecureCommand: string }[];
    const token = tokens.find((t) => t.command === copied);
    assert.ok(token, `the copied command is a registration token's command: ${JSON.stringify(tokens.map((t) => t.command))}`);
    const insecure = await page.getByTestId('insecure-import-command').innerText();
    assert.equal(insecure, token.insecureCommand);
    assert.match(insecure, /^curl --insecure -sfL \S+ \| kubectl apply -f -$/);
    await page.getByTestId('import-status').getByText('Waiting for the cluster agent').waitFor();
    await screenshot(page, '13-import-cluster');

    // Until it connects, its nodes tab leads back to the command.
    await page.getByRole('link', { name: /^Nodes/ }).click();
    await page.getByRole('link', { name: 'Register it' }).click();
    await page.getByRole('heading', { name: 'Register an existing cluster' }).waitFor();

    await page.getByRole('button', { name: 'Delete cluster' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('The Kubernetes cluster itself is not deleted.').waitFor();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('heading', { name: 'Clusters' }).waitFor();
    await page.locator('tr[data-cluster="web"]').waitFor();
    await page.locator('tr[data-cluster="imported"]').waitFor({ state: 'detached' });
    assert.equal((await apiCall(server.url, admin, 'GET', `/v3/clusters/${id}`)).status, 404);
  });

  test('keyboard: the first Tab reaches "Skip to content", and the page has no script errors', async () => {
    await page.goto(`${server.url}/clusters`);
    await page.getByRole('heading', { name: 'Clusters' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate<string | undefined>('document.activeElement?.textContent'), 'Skip to content');
    assert.deepEqual(errors, []);
  });

  test('log out: back to the login page, and the session no longer works', async () => {
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/login');
    const res = await page.request.get(`${server.url}/v3/users?me=true`, { headers: { accept: 'application/json' } });
    assert.equal(res.status(), 401);
    assert.deepEqual(errors, []);
  });
});
