import assert from 'node:assert/strict';
import { X509Certificate as NodeCertificate, webcrypto } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, get } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { TlsConfigError } from './errors.js';
import { CertificateManager, type RotationEvent } from './manager.js';
import { x509 } from './x509.js';

interface Issued {
  readonly cert: x509.X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
  readonly pem: string;
  readonly keyPem: string;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

/** A certificate named `cn`, signed by `issuer` (self-signed without one), CA or server. */
async function issue(cn: string, issuer: Issued | undefined, isCa: boolean): Promise<Issued> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const names: x509.JsonGeneralName[] = [
    { type: 'dns', value: 'localhost' },
    { type: 'ip', value: '127.0.0.1' },
  ];
  const extensions = isCa
    ? [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
      ]
    : [
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names),
      ];
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${cn}`,
    issuer: issuer?.cert.subjectName ?? `CN=${cn}`,
    publicKey: keys.publicKey,
    signingKey: issuer?.keys.privateKey ?? keys.privateKey,
    signingAlgorithm: ALG,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 30 * 24 * 60 * 60 * 1000),
    extensions,
  });
  const keyDer = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { cert, keys, pem: cert.toString('pem'), keyPem: x509.PemConverter.encode(keyDer, 'PRIVATE KEY') };
}

async function chain(): Promise<{ root: Issued; intermediate: Issued; leaf: Issued }> {
  const root = await issue('test-root', undefined, true);
  const intermediate = await issue('test-intermediate', root, true);
  const leaf = await issue('server', intermediate, false);
  return { root, intermediate, leaf };
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'paddock-tls-user-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes cert and key files and loads them in user mode. */
async function loadUser(t: TestContext, certText: string, keyText: string): Promise<CertificateManager> {
  const dir = await tempDir(t);
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  await writeFile(certFile, certText);
  await writeFile(keyFile, keyText);
  return CertificateManager.load({ dataDir: dir, certFile, keyFile });
}

test('a chain file ending in a root CA serves the file as is, with cacerts = the root', async (t) => {
  const { root, intermediate, leaf } = await chain();
  const certText = `${leaf.pem}\r\n${intermediate.pem}\r\n${root.pem}\r\n`;
  const material = (await loadUser(t, certText, leaf.keyPem)).current();
  assert.equal(material.source, 'user');
  assert.equal(material.certPem, certText);
  assert.equal(material.keyPem, leaf.keyPem);
  assert.equal(material.cacerts, root.pem.replace(/\r\n/g, '\n').trim());
  assert.ok(!material.cacerts.includes('\r') && !material.cacerts.endsWith('\n'));
  assert.deepEqual(material.sans, { dns: ['localhost'], ips: ['127.0.0.1'] });
  assert.equal(material.notAfter.getTime(), leaf.cert.notAfter.getTime());
});

test('the served chain is accepted by a client trusting cacerts', async (t) => {
  const { root, intermediate, leaf } = await chain();
  const material = (await loadUser(t, `${leaf.pem}\n${intermediate.pem}\n${root.pem}\n`, leaf.keyPem)).current();
  const server = createServer({ cert: material.certPem, key: material.keyPem }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  const status = await new Promise<number | undefined>((resolve, reject) => {
    get({ host: '127.0.0.1', port, ca: material.cacerts, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    }).on('error', reject);
  });
  assert.equal(status, 200);
});

test('a chain ending in an intermediate CA gives cacerts = that intermediate', async (t) => {
  const { intermediate, leaf } = await chain();
  const material = (await loadUser(t, `${leaf.pem}\n${intermediate.pem}\n`, leaf.keyPem)).current();
  assert.equal(new NodeCertificate(material.cacerts).subject, 'CN=test-intermediate');
});

test('a lone certificate from an outside CA gives empty cacerts', async (t) => {
  const { leaf } = await chain();
  const material = (await loadUser(t, leaf.pem, leaf.keyPem)).current();
  assert.equal(material.cacerts, '');
});

test('a lone self-signed certificate is its own CA', async (t) => {
  const self = await issue('self', undefined, false);
  const material = (await loadUser(t, self.pem, self.keyPem)).current();
  assert.equal(material.cacerts, self.pem.trim());
});

test('a key that does not match the certificate is a TlsConfigError naming both files', async (t) => {
  const { leaf } = await chain();
  const stranger = await issue('stranger', undefined, false);
  await assert.rejects(loadUser(t, leaf.pem, stranger.keyPem), (err: unknown) => {
    assert.ok(err instanceof TlsConfigError);
    assert.match(err.message, /private key in .*tls\.key does not match the first certificate in .*tls\.crt/);
    assert.match(err.file ?? '', /tls\.key$/);
    return true;
  });
});

test('a chain in the wrong order says which certificate the key belongs to', async (t) => {
  const { intermediate, leaf } = await chain();
  const reversed = `${intermediate.pem}\n${leaf.pem}\n`;
  await assert.rejects(loadUser(t, reversed, leaf.keyPem), /certificate 2 in .*must come first/);
});

test('missing files, files without PEM and a lone flag are TlsConfigErrors', async (t) => {
  const dir = await tempDir(t);
  const { leaf } = await chain();
  await assert.rejects(
    CertificateManager.load({ dataDir: dir, certFile: join(dir, 'nope.crt'), keyFile: join(dir, 'nope.key') }),
    (err: unknown) => err instanceof TlsConfigError && /nope\.crt does not exist/.test(err.message),
  );
  await assert.rejects(loadUser(t, 'not a certificate', leaf.keyPem), /holds no PEM certificate/);
  await assert.rejects(loadUser(t, leaf.pem, 'not a key'), /does not hold an unencrypted PEM private key/);
  await assert.rejects(CertificateManager.load({ dataDir: dir, certFile: join(dir, 'a.crt') }), /given together/);
});

test('refresh re-reads the files and reports a change only when their content changed', async (t) => {
  const dir = await tempDir(t);
  const first = await chain();
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  await writeFile(certFile, first.leaf.pem);
  await writeFile(keyFile, first.leaf.keyPem);
  const events: RotationEvent[] = [];
  const manager = await CertificateManager.load({ dataDir: dir, certFile, keyFile, onRotate: (e) => events.push(e) });
  assert.equal(await manager.refresh(), false);

  const second = await chain();
  await writeFile(certFile, `${second.leaf.pem}\n${second.root.pem}`);
  await writeFile(keyFile, second.leaf.keyPem);
  assert.equal(await manager.refresh(), true);
  assert.equal(manager.current().keyPem, second.leaf.keyPem);
  assert.equal(new NodeCertificate(manager.current().cacerts).subject, 'CN=test-root');
  assert.equal(events.at(-1)?.reason, 'files-changed');

  await writeFile(keyFile, first.leaf.keyPem);
  await assert.rejects(manager.refresh(), TlsConfigError);
  assert.equal(manager.current().keyPem, second.leaf.keyPem, 'a bad pair on disk leaves the served one in place');
});
