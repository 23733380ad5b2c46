import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEtcd, type EtcdProcess } from '../../packages/server/src/testing/etcd-process.js';
import { httpsCall, type RequestOptions } from '../../packages/server/src/testing/test-server.js';
import { spawnPaddock, startPaddock, stopPaddock, type ServerProcess } from '../support/server-process.js';

const PASSWORD = 'migrated-password-1';

/** Runs `bin/paddock <args>` to the end. */
async function paddock(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawnPaddock(args);
  const { code } = await proc.exited;
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}

/** Asserts an exit 1 with exactly one line on stderr, matching `pattern`. */
function refused(run: { code: number | null; stdout: string; stderr: string }, pattern: RegExp): void {
  assert.equal(run.code, 1, run.stderr);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0] ?? '', pattern);
}

describe('paddock migrate: a SQLite server\'s data into etcd, served from etcd afterwards', () => {
  let dataDir: string;
  let newDataDir: string;
  let etcd: EtcdProcess;
  let server: ServerProcess | undefined;
  let ca: string;
  let clusters: string[];
  let cacerts: string;
  const call = (s: ServerProcess, method: string, path: string, o?: RequestOptions) => httpsCall(s.url + path, ca, method, o);
  const migrateArgs = () => ['migrate', '--from', dataDir, '--to', etcd.endpoint];

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'paddock-migrate-from-'));
    newDataDir = await mkdtemp(join(tmpdir(), 'paddock-migrate-to-'));
    const first = await startPaddock(dataDir);
    ca = await first.ca();
    const login = await call(first, 'POST', '/v3-public/localProviders/local?action=login', { body: { username: 'admin', password: 'admin' } });
    const token = login.json.token as string;
    const change = await call(first, 'POST', '/v3/users?action=changepassword', { token, body: { currentPassword: 'admin', newPassword: PASSWORD } });
    assert.equal(change.status, 200, change.text);
    for (const name of ['north', 'south']) assert.equal((await call(first, 'POST', '/v3/clusters', { token, body: { name } })).status, 201);
    clusters = (await call(first, 'GET', '/v3/clusters', { token })).json.data.map((c: { id: string; name: string }) => `${c.id} ${c.name}`).sort();
    cacerts = (await call(first, 'GET', '/v3/settings/cacerts', { token })).json.value;
    assert.equal((await stopPaddock(first)).code, 0, first.stderr());
    etcd = await startEtcd();
  });
  after(async () => {
    if (server && server.child.exitCode === null) await stopPaddock(server);
    await etcd?.remove();
    for (const dir of [dataDir, newDataDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('copies, verifies, prints a summary and the tls/ step, and exits 0', async () => {
    const run = await paddock(migrateArgs());
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^copied ${join(dataDir, 'paddock.db')} to etcd ${etcd.endpoint} under /paddock/ in \\d+\\.\\d\\d s$`, 'm'));
    assert.match(run.stdout, /^ {2}cluster +3$/m);
    assert.match(run.stdout, /^ {2}user +1$/m);
    assert.match(run.stdout, /^ {2}total +\d+$/m);
    assert.match(run.stdout, /^verified: every object of the source is in etcd with the same data/m);
    assert.match(run.stdout, new RegExp(`^next: copy ${join(dataDir, 'tls')} into the --data-dir of every server you start with --datastore etcd`, 'm'));
  });

  test('a second run is refused without --force (how many objects are there), then done with it', async () => {
    refused(await paddock(migrateArgs()), /^paddock: --to: etcd already holds \d+ objects under \/paddock\/; give --force to delete them and copy again$/);
    const forced = await paddock([...migrateArgs(), '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^--force: deleted \d+ objects under \/paddock\/$/m);
    assert.match(forced.stdout, /^verified: /m);
  });

  test('a data dir without paddock.db and an unreachable etcd each exit 1 with one line', async () => {
    refused(await paddock(['migrate', '--from', newDataDir, '--to', etcd.endpoint]), /^paddock: --from: .* has no paddock\.db; give the --data-dir of the server that used --datastore sqlite$/);
    refused(await paddock(['migrate', '--from', dataDir, '--to', 'http://127.0.0.1:1']), /^paddock: --to: cannot reach etcd at http:\/\/127\.0\.0\.1:1: /);
  });

  test('a server on the migrated etcd, given a copy of tls/, logs the admin in with the old password and has the same clusters', async () => {
    await cp(join(dataDir, 'tls'), join(newDataDir, 'tls'), { recursive: true });
    server = await startPaddock(newDataDir, ['--datastore', 'etcd', '--etcd-endpoints', etcd.endpoint]);
    assert.equal(await server.ca(), ca, 'the same CA');
    const login = await call(server, 'POST', '/v3-public/localProviders/local?action=login', { body: { username: 'admin', password: PASSWORD } });
    assert.equal(login.status, 201, login.text);
    const token = login.json.token as string;
    const list = await call(server, 'GET', '/v3/clusters', { token });
    assert.deepEqual(list.json.data.map((c: { id: string; name: string }) => `${c.id} ${c.name}`).sort(), clusters);
    assert.equal((await call(server, 'GET', '/v3/settings/cacerts', { token })).json.value, cacerts, 'agents keep trusting the CA checksum they pinned');
  });
});
