import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { TlsConfigError } from './errors.js';
import { CertificateManager, type RotationEvent, type TlsOptions } from './manager.js';
import { notAfterOf } from './pem.js';
import type { HostInfo } from './sans.js';

const DAY = 24 * 60 * 60 * 1000;
const HOST: HostInfo = { hostname: 'node-1', addresses: ['127.0.0.1', '::1', '192.0.2.10'] };

async function tempDataDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'paddock-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function options(dataDir: string, extra: Partial<TlsOptions> = {}): TlsOptions {
  return { dataDir, hostInfo: () => HOST, ...extra };
}

function leafOf(pem: string): X509Certificate {
  return new X509Certificate(pem);
}

test('first start creates a CA and a serving certificate that verifies against it', async (t) => {
  const dataDir = await tempDataDir(t);
  const events: RotationEvent[] = [];
  const manager = await CertificateManager.load(
    options(dataDir, { serverUrl: 'https://paddock.example.com', onRotate: (e) => events.push(e) }),
  );
  const material = manager.current();
  const ca = new X509Certificate(material.cacerts);
  const leaf = leafOf(material.certPem);

  assert.equal(material.source, 'generated');
  assert.ok(ca.ca);
  assert.match(ca.subject, /CN=paddock-ca/);
  assert.match(ca.subject, /O=paddock/);
  assert.equal(ca.keyUsage, undefined, 'CA certificates carry keyUsage, not extended key usage');
  assert.ok(leaf.verify(ca.publicKey));
  assert.ok(leaf.checkIssued(ca));
  assert.ok(!leaf.ca);
  assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'serverAuth EKU');
  for (const name of ['localhost', 'node-1', 'paddock.example.com']) {
    assert.equal(leaf.checkHost(name, { subject: 'never' }), name);
  }
  for (const ip of ['127.0.0.1', '::1', '192.0.2.10']) assert.equal(leaf.checkIP(ip), ip);
  assert.deepEqual(material.sans, {
    dns: ['localhost', 'node-1', 'paddock.example.com'],
    ips: ['127.0.0.1', '192.0.2.10', '::1'],
  });

  const caLifetime = notAfterOf(ca).getTime() - Date.now();
  assert.ok(caLifetime > 9.9 * 365 * DAY && caLifetime <= 10 * 365 * DAY);
  const servingLifetime = material.notAfter.getTime() - Date.now();
  assert.ok(servingLifetime > 364 * DAY && servingLifetime <= 365 * DAY);

  assert.equal(events.length, 1);
  assert.equal(events[0]?.reason, 'missing');
  assert.equal(events[0]?.caCreated, true);
});

test('material is persisted as PEM files with private keys readable by the owner only', async (t) => {
  const dataDir = await tempDataDir(t);
  const material = (await CertificateManager.load(options(dataDir))).current();
  const tls = join(dataDir, 'tls');
  assert.equal((await stat(join(tls, 'ca.key'))).mode & 0o777, 0o600);
  assert.equal((await stat(join(tls, 'serving.key'))).mode & 0o777, 0o600);
  assert.equal((await stat(tls)).mode & 0o077, 0, 'the tls directory is private');
  assert.equal((await readFile(join(tls, 'ca.crt'), 'utf8')).trim(), material.cacerts);
  assert.equal(await readFile(join(tls, 'serving.crt'), 'utf8'), material.certPem);
  assert.equal(await readFile(join(tls, 'serving.key'), 'utf8'), material.keyPem);
  assert.match(material.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.ok(!material.cacerts.endsWith('\n') && !material.cacerts.includes('\r'));
});

test('a later start loads the same CA and serving certificate without rotating', async (t) => {
  const dataDir = await tempDataDir(t);
  const first = (await CertificateManager.load(options(dataDir))).current();
  const events: RotationEvent[] = [];
  const started = performance.now();
  const second = await CertificateManager.load(options(dataDir, { onRotate: (e) => events.push(e) }));
  const elapsed = performance.now() - started;
  assert.equal(second.current().cacerts, first.cacerts);
  assert.equal(second.current().certPem, first.certPem);
  assert.equal(second.current().keyPem, first.keyPem);
  assert.deepEqual(events, []);
  assert.ok(elapsed < 250, `loading existing material took ${elapsed.toFixed(0)} ms`);
});

test('a changed server URL host re-issues the serving certificate and keeps the CA', async (t) => {
  const dataDir = await tempDataDir(t);
  const first = (await CertificateManager.load(options(dataDir, { serverUrl: 'https://old.example.com' }))).current();
  const events: RotationEvent[] = [];
  const manager = await CertificateManager.load(
    options(dataDir, { serverUrl: 'https://new.example.com:8443', onRotate: (e) => events.push(e) }),
  );
  const material = manager.current();
  assert.equal(material.cacerts, first.cacerts);
  assert.notEqual(material.certPem, first.certPem);
  assert.notEqual(material.keyPem, first.keyPem, 'a rotation uses a new key');
  const leaf = leafOf(material.certPem);
  assert.equal(leaf.checkHost('new.example.com', { subject: 'never' }), 'new.example.com');
  assert.equal(leaf.checkHost('old.example.com', { subject: 'never' }), undefined);
  assert.ok(leaf.verify(new X509Certificate(first.cacerts).publicKey));
  assert.equal(events[0]?.reason, 'sans');
  assert.equal(events[0]?.caCreated, false);
  assert.match(events[0]?.detail ?? '', /DNS:new\.example\.com/);
});

test('refresh with a new server URL rotates, and with the same one does nothing', async (t) => {
  const dataDir = await tempDataDir(t);
  const manager = await CertificateManager.load(options(dataDir));
  const before = manager.current();
  assert.equal(await manager.refresh(), false);
  assert.equal(await manager.refresh('https://10.20.30.40'), true);
  const after = manager.current();
  assert.equal(after.cacerts, before.cacerts);
  assert.equal(leafOf(after.certPem).checkIP('10.20.30.40'), '10.20.30.40');
  assert.equal(await manager.refresh(), false, 'the server URL is remembered');
  assert.equal(await manager.refresh('https://10.20.30.40/'), false);
  assert.equal(before.certPem === after.certPem, false, 'current() returns new material, old is unchanged');
});

test('refresh with a bad server URL rejects with TlsConfigError and keeps the material', async (t) => {
  const dataDir = await tempDataDir(t);
  const manager = await CertificateManager.load(options(dataDir, { serverUrl: 'https://a.example.com' }));
  const before = manager.current();
  await assert.rejects(manager.refresh('::not a url::'), TlsConfigError);
  assert.equal(manager.current(), before);
  assert.equal(await manager.refresh(), false, 'the previous server URL is still in force');
});

test('a new local address re-issues the serving certificate', async (t) => {
  const dataDir = await tempDataDir(t);
  let host: HostInfo = HOST;
  const manager = await CertificateManager.load({ dataDir, hostInfo: () => host });
  host = { ...HOST, addresses: [...HOST.addresses, '198.51.100.4'] };
  assert.equal(await manager.refresh(), true);
  assert.equal(leafOf(manager.current().certPem).checkIP('198.51.100.4'), '198.51.100.4');
  host = HOST;
  assert.equal(await manager.refresh(), false, 'an address going away needs no new certificate');
});

test('a serving certificate within the renewal window is renewed; the CA is kept', async (t) => {
  const dataDir = await tempDataDir(t);
  const first = (await CertificateManager.load(options(dataDir))).current();
  let now = new Date(first.notAfter.getTime() - 31 * DAY);
  const manager = await CertificateManager.load(options(dataDir, { now: () => now }));
  assert.equal(manager.current().certPem, first.certPem, '31 days before expiry is still fine');

  now = new Date(first.notAfter.getTime() - 29 * DAY);
  const events: RotationEvent[] = [];
  const renewed = await CertificateManager.load(options(dataDir, { now: () => now, onRotate: (e) => events.push(e) }));
  const material = renewed.current();
  assert.notEqual(material.certPem, first.certPem);
  assert.equal(material.cacerts, first.cacerts);
  assert.ok(material.notAfter.getTime() > now.getTime() + 364 * DAY);
  assert.equal(events[0]?.reason, 'expiring');
});

test('refresh renews when time passes, with a configurable window', async (t) => {
  const dataDir = await tempDataDir(t);
  let now = new Date();
  const manager = await CertificateManager.load(options(dataDir, { now: () => now, renewBefore: 7 * DAY }));
  const notAfter = manager.current().notAfter;
  now = new Date(notAfter.getTime() - 8 * DAY);
  assert.equal(await manager.refresh(), false);
  now = new Date(notAfter.getTime() - 6 * DAY);
  assert.equal(await manager.refresh(), true);
  assert.ok(manager.current().notAfter > notAfter);
});

test('a damaged or foreign serving certificate is replaced', async (t) => {
  const dataDir = await tempDataDir(t);
  const first = (await CertificateManager.load(options(dataDir))).current();
  await writeFile(join(dataDir, 'tls', 'serving.crt'), 'garbage');
  const events: RotationEvent[] = [];
  const manager = await CertificateManager.load(options(dataDir, { onRotate: (e) => events.push(e) }));
  assert.equal(events[0]?.reason, 'invalid');
  assert.equal(manager.current().cacerts, first.cacerts);

  const other = await tempDataDir(t);
  const foreign = (await CertificateManager.load(options(other))).current();
  await writeFile(join(dataDir, 'tls', 'serving.crt'), foreign.certPem);
  await writeFile(join(dataDir, 'tls', 'serving.key'), foreign.keyPem);
  const reloaded = await CertificateManager.load(options(dataDir, { onRotate: (e) => events.push(e) }));
  assert.equal(events[1]?.reason, 'invalid');
  assert.match(events[1]?.detail ?? '', /not signed by the CA/);
  assert.ok(leafOf(reloaded.current().certPem).verify(new X509Certificate(first.cacerts).publicKey));
});

test('a CA certificate without its key is a TlsConfigError, not a silent new CA', async (t) => {
  const dataDir = await tempDataDir(t);
  await CertificateManager.load(options(dataDir));
  await rm(join(dataDir, 'tls', 'ca.key'));
  await assert.rejects(CertificateManager.load(options(dataDir)), (err: unknown) => {
    assert.ok(err instanceof TlsConfigError);
    assert.equal(err.file, join(dataDir, 'tls', 'ca.key'));
    return true;
  });
});

test('a CA key that does not match the CA certificate is a TlsConfigError naming the key', async (t) => {
  const dataDir = await tempDataDir(t);
  const other = await tempDataDir(t);
  await CertificateManager.load(options(dataDir));
  await CertificateManager.load(options(other));
  await writeFile(join(dataDir, 'tls', 'ca.key'), await readFile(join(other, 'tls', 'ca.key')));
  await assert.rejects(CertificateManager.load(options(dataDir)), /ca\.key does not match the CA certificate/);
});

test('an expired CA is a TlsConfigError', async (t) => {
  const dataDir = await tempDataDir(t);
  await CertificateManager.load(options(dataDir));
  const later = new Date(Date.now() + 11 * 365 * DAY);
  await assert.rejects(CertificateManager.load(options(dataDir, { now: () => later })), /CA .* expired/);
});

test('renewBefore outside [0, serving lifetime) is a TlsConfigError', async (t) => {
  const dataDir = await tempDataDir(t);
  await assert.rejects(CertificateManager.load(options(dataDir, { renewBefore: 400 * DAY })), TlsConfigError);
  await assert.rejects(CertificateManager.load(options(dataDir, { renewBefore: -1 })), TlsConfigError);
});

test('concurrent refresh calls run one at a time, rotate once and keep the last URL set', async (t) => {
  const dataDir = await tempDataDir(t);
  let host: HostInfo = HOST;
  const manager = await CertificateManager.load({ dataDir, hostInfo: () => host });
  const results = await Promise.all([
    manager.refresh('https://c.example.com'),
    manager.refresh('https://c.example.com'),
    manager.refresh(),
  ]);
  assert.deepEqual(results, [true, false, false]);
  host = { ...HOST, addresses: [...HOST.addresses, '198.51.100.5'] };
  assert.equal(await manager.refresh(), true);
  const leaf = leafOf(manager.current().certPem);
  assert.equal(leaf.checkHost('c.example.com', { subject: 'never' }), 'c.example.com', 'the URL was kept');
  assert.equal(leaf.checkIP('198.51.100.5'), '198.51.100.5');
});

test('refresh(null) clears the server URL without needing a new certificate', async (t) => {
  const dataDir = await tempDataDir(t);
  const manager = await CertificateManager.load(options(dataDir, { serverUrl: 'https://d.example.com' }));
  assert.equal(await manager.refresh(null), false, 'the old certificate covers every name still wanted');
  assert.equal(await manager.refresh('https://e.example.com'), true);
  const leaf = leafOf(manager.current().certPem);
  assert.equal(leaf.checkHost('d.example.com', { subject: 'never' }), undefined);
});
