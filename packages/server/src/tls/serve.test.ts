// Proves that real TLS clients accept the generated material: node's https client, and curl and
// openssl when the machine has them.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, get, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { CertificateManager } from './manager.js';
import { canonicalDnsName } from './sans.js';

const execFileAsync = promisify(execFile);

function commandExists(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'paddock-tls-serve-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** An HTTPS server on 127.0.0.1, port 0, answering "ok"; closed after the test. */
async function serve(t: TestContext, cert: string, key: string): Promise<{ server: Server; port: number }> {
  const server = createServer({ cert, key }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { server, port: (server.address() as AddressInfo).port };
}

/** GET / over TLS to 127.0.0.1, trusting only `ca` and checking the certificate against `servername`. */
function fetchBody(port: number, ca: string, servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/', ca, servername, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
  });
}

test('node https clients trusting cacerts accept the served certificate by IP and by name', async (t) => {
  const dataDir = await tempDir(t);
  const material = (await CertificateManager.load({ dataDir })).current();
  const { port } = await serve(t, material.certPem, material.keyPem);

  assert.equal(await fetchBody(port, material.cacerts), 'ok');
  assert.equal(await fetchBody(port, material.cacerts, 'localhost'), 'ok');
  const host = canonicalDnsName(hostname());
  if (host !== undefined) assert.equal(await fetchBody(port, material.cacerts, host), 'ok');
  await assert.rejects(fetchBody(port, material.cacerts, 'other.example.com'), /altnames/);
});

test('a client trusting another CA rejects the certificate', async (t) => {
  const material = (await CertificateManager.load({ dataDir: await tempDir(t) })).current();
  const other = (await CertificateManager.load({ dataDir: await tempDir(t) })).current();
  const { port } = await serve(t, material.certPem, material.keyPem);
  await assert.rejects(fetchBody(port, other.cacerts), /self.signed|unable to (get|verify)/i);
});

test('after a rotation setSecureContext serves the new certificate', async (t) => {
  const dataDir = await tempDir(t);
  const manager = await CertificateManager.load({ dataDir });
  const { server, port } = await serve(t, manager.current().certPem, manager.current().keyPem);
  await assert.rejects(fetchBody(port, manager.current().cacerts, 'paddock.example.com'), /altnames/);

  assert.equal(await manager.refresh('https://paddock.example.com'), true);
  server.setSecureContext({ cert: manager.current().certPem, key: manager.current().keyPem });
  assert.equal(await fetchBody(port, manager.current().cacerts, 'paddock.example.com'), 'ok');
});

test('curl --cacert accepts the served certificate', { skip: !commandExists('curl') }, async (t) => {
  const dataDir = await tempDir(t);
  const material = (await CertificateManager.load({ dataDir })).current();
  const caFile = join(dataDir, 'cacerts.pem');
  await writeFile(caFile, material.cacerts);
  const { port } = await serve(t, material.certPem, material.keyPem);

  const byIp = await execFileAsync('curl', ['-sS', '--cacert', caFile, `https://127.0.0.1:${port}/`]);
  assert.equal(byIp.stdout, 'ok');
  const resolve = `localhost:${port}:127.0.0.1`;
  const url = `https://localhost:${port}/`;
  const byName = await execFileAsync('curl', ['-sS', '--cacert', caFile, '--resolve', resolve, url]);
  assert.equal(byName.stdout, 'ok');
});

const hasOpenssl = commandExists('openssl');

test('openssl verify accepts the serving certificate for its names', { skip: !hasOpenssl }, async (t) => {
  const dataDir = await tempDir(t);
  await CertificateManager.load({ dataDir, serverUrl: 'https://paddock.example.com' });
  const tls = join(dataDir, 'tls');
  const files = ['-CAfile', join(tls, 'ca.crt'), join(tls, 'serving.crt')];
  const verify = (...extra: string[]) =>
    execFileAsync('openssl', ['verify', '-purpose', 'sslserver', ...extra, ...files]);
  assert.match((await verify()).stdout, /: OK/);
  assert.match((await verify('-verify_hostname', 'paddock.example.com')).stdout, /: OK/);
  assert.match((await verify('-verify_ip', '::1')).stdout, /: OK/);
  await assert.rejects(verify('-verify_hostname', 'other.example.com'), /mismatch/);
});
