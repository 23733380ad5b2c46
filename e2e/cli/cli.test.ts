import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { httpsCall } from '../../packages/server/src/testing/test-server.js';
import { freePort, spawnPaddock, startPaddock, stopPaddock } from '../support/server-process.js';

describe('bin/paddock server', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paddock-cli-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('a port in use gives one line naming the port and the flag, and exit code 1', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    try {
      const p = spawnPaddock(['server', '--data-dir', join(dir, 'busy'), '--https-port', String(port), '--http-port', '0', '--bind-address', '127.0.0.1']);
      const { code } = await p.exited;
      assert.equal(code, 1);
      const lines = p.stderr().trim().split('\n');
      assert.equal(lines.length, 1, p.stderr());
      assert.match(lines[0] ?? '', new RegExp(`port ${port} is already in use; choose another with --https-port`));
    } finally {
      blocker.close();
    }
  });

  test('bad flags are one clear line and exit code 1', async () => {
    for (const [args, pattern] of [
      [['--https-port', 'abc'], /--https-port must be a port number/],
      [['--log-level', 'loud'], /--log-level must be one of/],
      [['--tls-cert', '/nonexistent.pem'], /--tls-cert and --tls-key go together/],
    ] as const) {
      const p = spawnPaddock(['server', '--data-dir', join(dir, 'flags'), ...args]);
      const { code } = await p.exited;
      assert.equal(code, 1, p.stderr());
      assert.match(p.stderr(), pattern);
    }
  });

  test('HTTP redirects to HTTPS; SIGTERM lets an in-flight request finish', async () => {
    const httpPort = await freePort();
    const server = await startPaddock(join(dir, 'redirect'), ['--http-port', String(httpPort)]);
    try {
      const location = await new Promise<string | undefined>((resolve, reject) => {
        request(`http://127.0.0.1:${httpPort}/v3/clusters?x=1`, (res) => {
          res.resume();
          resolve(res.statusCode === 301 ? res.headers.location : `status ${res.statusCode}`);
        })
          .on('error', reject)
          .end();
      });
      assert.equal(location, `https://127.0.0.1:${server.httpsPort}/v3/clusters?x=1`);

      const ca = await server.ca();
      // A login hashes a password (tens of ms): it is in flight when the signal arrives.
      const inFlight = httpsCall(`${server.url}/v3-public/localProviders/local?action=login`, ca, 'POST', { body: { username: 'admin', password: 'admin' } });
      await new Promise((r) => setTimeout(r, 5));
      server.child.kill('SIGTERM');
      const res = await inFlight;
      assert.equal(res.status, 201, res.text);
      const { code } = await server.exited;
      assert.equal(code, 0);
    } finally {
      if (server.child.exitCode === null) await stopPaddock(server);
    }
  });

  test('--tls-cert/--tls-key serve the user\'s certificate; cacerts is its CA', async () => {
    const tls = join(dir, 'user-tls');
    execFileSync('mkdir', ['-p', tls]);
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: tls, stdio: 'pipe' });
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/CN=user-ca');
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    await writeFile(join(tls, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '30', '-extfile', 'ext.cnf');
    const chain = (await readFile(join(tls, 'server.crt'), 'utf8')) + (await readFile(join(tls, 'ca.crt'), 'utf8'));
    await writeFile(join(tls, 'chain.pem'), chain);
    const server = await startPaddock(join(dir, 'usercert'), ['--tls-cert', join(tls, 'chain.pem'), '--tls-key', join(tls, 'server.key')]);
    try {
      const userCa = await readFile(join(tls, 'ca.crt'), 'utf8');
      const res = await httpsCall(`${server.url}/v3/settings/cacerts`, userCa, 'GET');
      assert.equal(res.status, 200, 'the served certificate verifies against the user\'s CA');
      assert.equal(res.json.value, userCa.trim());
    } finally {
      await stopPaddock(server);
    }
  });
});
