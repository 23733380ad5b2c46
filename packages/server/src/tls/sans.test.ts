import assert from 'node:assert/strict';
import { webcrypto, X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { TlsConfigError } from './errors.js';
import { canonicalDnsName, canonicalIp, requiredSans, sansOf, serverUrlHost } from './sans.js';

test('canonicalIp compresses IPv6, drops zones and rejects names', () => {
  assert.equal(canonicalIp('0:0:0:0:0:0:0:1'), '::1');
  assert.equal(canonicalIp('FE80:0:0:0:0:0:1:2%eth0'), 'fe80::1:2');
  assert.equal(canonicalIp('10.0.0.1'), '10.0.0.1');
  assert.equal(canonicalIp('example.com'), undefined);
});

test('canonicalDnsName lowercases, drops a trailing dot and rejects odd names', () => {
  assert.equal(canonicalDnsName('Paddock.Example.COM.'), 'paddock.example.com');
  assert.equal(canonicalDnsName('bad_name'), undefined);
  assert.equal(canonicalDnsName(''), undefined);
});

test('serverUrlHost tells IP literals from DNS names', () => {
  assert.deepEqual(serverUrlHost('https://Rancher.Example.com:8443/x'), { kind: 'dns', value: 'rancher.example.com' });
  assert.deepEqual(serverUrlHost('https://10.1.2.3'), { kind: 'ip', value: '10.1.2.3' });
  assert.deepEqual(serverUrlHost('https://[2001:DB8::0:1]:443'), { kind: 'ip', value: '2001:db8::1' });
});

test('serverUrlHost rejects a URL that does not parse with a TlsConfigError naming it', () => {
  assert.throws(() => serverUrlHost('not a url'), (err: unknown) => {
    assert.ok(err instanceof TlsConfigError);
    assert.match(err.message, /"not a url"/);
    return true;
  });
});

test('requiredSans holds localhost, loopbacks, host name, addresses and the server URL host', () => {
  const sans = requiredSans(
    { hostname: 'Node-1', addresses: ['127.0.0.1', '192.0.2.7', 'fe80::1', '0:0:0:0:0:0:0:1'] },
    'https://paddock.example.com',
  );
  assert.deepEqual(sans, {
    dns: ['localhost', 'node-1', 'paddock.example.com'],
    ips: ['127.0.0.1', '192.0.2.7', '::1', 'fe80::1'],
  });
});

test('requiredSans puts an IP server URL host among the IPs and skips an invalid host name', () => {
  const sans = requiredSans({ hostname: 'under_score', addresses: [] }, 'https://203.0.113.9:8443');
  assert.deepEqual(sans, { dns: ['localhost'], ips: ['127.0.0.1', '203.0.113.9', '::1'] });
});

test('sansOf reads DNS and IP names, including quoted ones, and skips other kinds', async () => {
  const { x509 } = await import('./x509.js');
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=t',
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'A.example' },
        { type: 'url', value: 'https://x.example/a,b' },
        { type: 'dns', value: 'odd,name.example' },
        { type: 'ip', value: '2001:db8::1' },
        { type: 'ip', value: '10.0.0.1' },
      ]),
    ],
  });
  const sans = sansOf(new X509Certificate(cert.toString('pem')));
  assert.deepEqual(sans, { dns: ['a.example', 'odd,name.example'], ips: ['2001:db8::1', '10.0.0.1'] });
});
