// Checks the CA pinning against a real node:https server with a self-signed certificate made by openssl.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, get, type RequestOptions, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { closedPort } from './testing/network.js';
import { acceptedChecksums, CACERTS_PATH, fetchTrustedCa, normaliseCaPem, ServerTrust, tlsOptionsFor, TrustError } from './trust.js';

/** A self-signed certificate for 127.0.0.1 (its own CA), as openssl writes it (ending in "\n"). */
function makeCert(dir: string, name: string): { cert: string; key: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'pipe' });
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

/** What the documented command prints: `curl -sk <url> | jq -r .value | sha256sum`, on the JSON served. */
const jqChecksum = (json: string): string =>
  execFileSync('sh', ['-c', 'jq -r .value | sha256sum'], { input: json, encoding: 'utf8' }).split(' ')[0] ?? '';

/** Rancher's server-side rule: sha256 of the value, with "\n" appended unless it ends with one. */
const serverChecksum = (value: string): string =>
  createHash('sha256').update(value.endsWith('\n') ? value : `${value}\n`).digest('hex');

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let dir: string;
let ca: { cert: string; key: string };
let other: { cert: string; key: string };
/** The CA as a server stores it: trimmed, no trailing newline. */
let value: string;
let server: Server;
let base: string;
let handler: Handler;
let requests: string[] = [];

const serveJson = (body: unknown): Handler => (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};
const serveValue = (v: string) => serveJson({ id: 'cacerts', type: 'setting', name: 'cacerts', value: v });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paddock-trust-'));
  ca = makeCert(dir, 'paddock-ca');
  other = makeCert(dir, 'other-ca');
  value = ca.cert.trim();
  server = createServer({ cert: ca.cert, key: ca.key }, (req, res) => {
    requests.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  requests = [];
  handler = serveValue(value);
});

/** Asserts fetchTrustedCa rejects with one TrustError line containing every part. */
async function trustError(promise: Promise<unknown>, ...parts: string[]): Promise<string> {
  let message = '';
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof TrustError, `expected a TrustError, got ${String(err)}`);
    assert.equal(err.name, 'TrustError');
    message = err.message;
    assert.ok(!message.includes('\n'), `one line: ${message}`);
    for (const part of parts) assert.ok(message.includes(part), `"${message}" includes ${part}`);
    return true;
  });
  return message;
}

/** An https URL on 127.0.0.1 where nothing listens. */
const closedUrl = async (): Promise<string> => `https://127.0.0.1:${await closedPort()}`;

/** GET over verified TLS with the given options; resolves with the status or rejects with the TLS error. */
const verifiedGet = (options: RequestOptions): Promise<number> =>
  new Promise((resolve, reject) => {
    get(`${base}/ping`, { ...options, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });

describe('fetchTrustedCa', () => {
  test('a matching checksum returns the PEM, fetched once from /v3/settings/cacerts', async () => {
    const sum = jqChecksum(JSON.stringify({ value }));
    assert.equal(sum, serverChecksum(value), 'for a trimmed value, the server and the jq pipeline agree');
    const pem = await fetchTrustedCa({ server: base, caChecksum: sum });
    assert.equal(pem, `${value}\n`);
    assert.deepEqual(requests, [CACERTS_PATH]);
  });

  test('the checksum may be upper-case and the server URL may end in a slash', async () => {
    const sum = serverChecksum(value).toUpperCase();
    assert.equal(await fetchTrustedCa({ server: `${base}/`, caChecksum: sum }), `${value}\n`);
  });

  test('without a checksum nothing is fetched and the system trust store is used', async () => {
    assert.equal(await fetchTrustedCa({ server: base, caChecksum: undefined }), undefined);
    assert.deepEqual(requests, []);
    assert.deepEqual(tlsOptionsFor(undefined), { rejectUnauthorized: true });
  });

  test('afterwards TLS is verified against exactly that CA', async () => {
    const pem = await fetchTrustedCa({ server: base, caChecksum: serverChecksum(value) });
    assert.deepEqual(tlsOptionsFor(pem), { ca: pem, rejectUnauthorized: true });
    handler = (_req, res) => res.writeHead(200).end('pong');
    assert.equal(await verifiedGet(tlsOptionsFor(pem)), 200);
    await assert.rejects(verifiedGet(tlsOptionsFor(undefined)), /self[- ]signed/i);
    await assert.rejects(verifiedGet(tlsOptionsFor(other.cert)), /self[- ]signed|unable to verify|unable to get/i);
  });

  describe('tolerated encodings of the value', () => {
    test('CRLF line endings: the jq checksum, the normalised one and the server rule all match', async () => {
      const crlf = value.replace(/\n/g, '\r\n');
      handler = serveValue(crlf);
      for (const sum of [jqChecksum(JSON.stringify({ value: crlf })), serverChecksum(value), serverChecksum(crlf)]) {
        assert.equal(await fetchTrustedCa({ server: base, caChecksum: sum }), `${value}\n`, sum);
      }
      handler = serveValue(`${crlf}\r\n`);
      assert.equal(await fetchTrustedCa({ server: base, caChecksum: serverChecksum(value) }), `${value}\n`);
    });

    test('a trailing newline (as openssl writes the file) and extra trailing newlines', async () => {
      for (const served of [`${value}\n`, `${value}\n\n`, `${value}\n \n\t`]) {
        handler = serveValue(served);
        const jq = jqChecksum(JSON.stringify({ value: served }));
        assert.equal(await fetchTrustedCa({ server: base, caChecksum: jq }), `${value}\n`, JSON.stringify(served));
        assert.equal(await fetchTrustedCa({ server: base, caChecksum: serverChecksum(value) }), `${value}\n`);
      }
    });

    test('acceptedChecksums lists the normalised checksum first', () => {
      const sums = acceptedChecksums(`${value}\r\n`);
      assert.equal(sums[0], serverChecksum(value));
      assert.equal(normaliseCaPem(`${value}\r\n\r\n`), `${value}\n`);
      assert.deepEqual(acceptedChecksums(value), [serverChecksum(value)]);
    });
  });

  describe('refusals', () => {
    test('a different checksum names the URL, both checksums and how to get the right one', async () => {
      const wrong = serverChecksum(other.cert.trim());
      const actual = serverChecksum(value);
      const message = await trustError(
        fetchTrustedCa({ server: base, caChecksum: wrong }),
        `${base}${CACERTS_PATH}`,
        `has checksum ${actual}`,
        `expected ${wrong} from --ca-checksum`,
        `curl -sk ${base}${CACERTS_PATH} | jq -r .value | sha256sum`,
        'a different server or a man in the middle',
      );
      assert.ok(!message.includes('normalised'), 'no second checksum when the value is clean');
    });

    test('with an unclean value the message gives what the command prints and the normalised checksum', async () => {
      const crlf = `${value.replace(/\n/g, '\r\n')}\r\n`;
      handler = serveValue(crlf);
      const wrong = 'f'.repeat(64);
      await trustError(
        fetchTrustedCa({ server: base, caChecksum: wrong }),
        `has checksum ${jqChecksum(JSON.stringify({ value: crlf }))} (normalised: ${serverChecksum(value)})`,
        `expected ${wrong}`,
      );
    });

    test('the checksum of empty input gets a hint that the command computing it failed', async () => {
      const empty = createHash('sha256').update('').digest('hex');
      await trustError(fetchTrustedCa({ server: base, caChecksum: empty }), 'checksum of empty input');
    });

    test('an empty value', async () => {
      const sum = serverChecksum(value);
      for (const empty of ['', ' \n']) {
        handler = serveValue(empty);
        await trustError(fetchTrustedCa({ server: base, caChecksum: sum }), `${base}${CACERTS_PATH}`, 'empty CA certificate', sum, 'drop --ca-checksum');
      }
    });

    test('a value that is not a certificate, even when the checksum matches it', async () => {
      for (const bad of ['hello', '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----', value.slice(0, 200)]) {
        handler = serveValue(bad);
        await trustError(fetchTrustedCa({ server: base, caChecksum: serverChecksum(bad) }), `${base}${CACERTS_PATH}`, 'not a PEM certificate', serverChecksum(bad));
      }
    });

    test('an answer that is not the setting: non-200, redirect (not followed), not JSON, no value', async () => {
      const caChecksum = serverChecksum(value);
      const url = `${base}${CACERTS_PATH}`;
      handler = (_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"type":"error","status":404}');
      await trustError(fetchTrustedCa({ server: base, caChecksum }), url, 'HTTP 404 Not Found');

      requests = [];
      handler = (req, res) => {
        if (req.url === CACERTS_PATH) res.writeHead(302, { location: `${base}/elsewhere` }).end();
        else serveValue(value)(req, res);
      };
      await trustError(fetchTrustedCa({ server: base, caChecksum }), url, 'HTTP 302', `${base}/elsewhere`, 'does not follow redirects');
      assert.deepEqual(requests, [CACERTS_PATH]);

      handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Sign in</body></html>');
      await trustError(fetchTrustedCa({ server: base, caChecksum }), url, 'did not answer JSON', 'text/html', '<html>');

      for (const body of [{ name: 'cacerts' }, { value: 42 }, null, ['x']]) {
        handler = serveJson(body);
        await trustError(fetchTrustedCa({ server: base, caChecksum }), url, 'without a string "value"');
      }
    });

    test('an answer larger than 1 MiB', async () => {
      handler = (_req, res) => res.writeHead(200).end('x'.repeat(2 * 1024 * 1024));
      await trustError(fetchTrustedCa({ server: base, caChecksum: serverChecksum(value) }), 'more than 1048576 bytes');
    });

    test('an unreachable server: the URL and the OS error', async () => {
      const closed = await closedUrl();
      const promise = fetchTrustedCa({ server: closed, caChecksum: serverChecksum(value) });
      await trustError(promise, `could not reach ${closed}${CACERTS_PATH}`, 'ECONNREFUSED', '--server');
      await promise.catch((err: TrustError) => assert.equal(err.reason, 'unreachable'));
    });

    test('a server that does not answer in time', async () => {
      handler = () => {
        // never answers; the connection is closed in after()
      };
      const started = Date.now();
      const promise = fetchTrustedCa({ server: base, caChecksum: serverChecksum(value) }, { timeoutMs: 200 });
      await trustError(promise, `no answer from ${base}${CACERTS_PATH} within 0.2s`);
      assert.ok(Date.now() - started < 5000);
      await promise.catch((err: TrustError) => assert.equal(err.reason, 'unreachable'));
    });

    test('an http:// server cannot have its CA pinned', async () => {
      await trustError(fetchTrustedCa({ server: 'http://127.0.0.1:1', caChecksum: serverChecksum(value) }), 'http://127.0.0.1:1', 'not https');
    });
  });
});

describe('ServerTrust: one checksum, checked on each server', () => {
  /** `${base}/a`, `${base}/b`, ... stand for replicas: each serves its cacerts under its path; `/other` serves another CA. */
  beforeEach(() => {
    handler = (req, res) => serveValue(req.url?.startsWith('/other/') ? other.cert.trim() : value)(req, res);
  });

  test("each server's CA is fetched and checked the first time only", async () => {
    const trust = new ServerTrust(serverChecksum(value));
    assert.equal(await trust.caFor(`${base}/a`), `${value}\n`);
    assert.equal(await trust.caFor(`${base}/a`), `${value}\n`);
    assert.equal(await trust.caFor(`${base}/b`), `${value}\n`);
    assert.deepEqual(requests, [`/a${CACERTS_PATH}`, `/b${CACERTS_PATH}`]);
  });

  test('a server with another CA is refused as untrusted, whichever server was checked first', async () => {
    const trust = new ServerTrust(serverChecksum(value));
    await trust.caFor(`${base}/a`);
    const refused = trust.caFor(`${base}/other`);
    await trustError(refused, `${base}/other${CACERTS_PATH}`, 'a man in the middle');
    await refused.catch((err: TrustError) => assert.equal(err.reason, 'untrusted'));
  });

  test('firstTrusted: the first server that serves the CA, past unreachable ones; checks each once', async () => {
    const down = await closedUrl();
    const trust = new ServerTrust(serverChecksum(value));
    assert.equal(await trust.firstTrusted([down, `${base}/b`, `${base}/c`]), `${base}/b`);
    assert.deepEqual(requests, [`/b${CACERTS_PATH}`]);
    await trust.caFor(`${base}/b`);
    assert.deepEqual(requests, [`/b${CACERTS_PATH}`]);
  });

  test('firstTrusted with one server throws exactly its error; with several, one naming them all', async () => {
    const down = await closedUrl();
    const sum = serverChecksum(value);
    const single = await trustError(new ServerTrust(sum).firstTrusted([down]), `could not reach ${down}${CACERTS_PATH}`);
    assert.ok(!single.includes('no server could be trusted'));
    const all = new ServerTrust(sum).firstTrusted([down, `${base}/other`]);
    await trustError(all, 'no server could be trusted', `could not reach ${down}${CACERTS_PATH}`, `${base}/other${CACERTS_PATH} has checksum`);
    await all.catch((err: TrustError) => assert.equal(err.reason, 'untrusted'));
  });

  test('without a checksum nothing is fetched: the first server, the system store for all', async () => {
    const trust = new ServerTrust(undefined);
    assert.equal(await trust.firstTrusted([`${base}/a`, `${base}/b`]), `${base}/a`);
    assert.equal(await trust.caFor(`${base}/b`), undefined);
    assert.deepEqual(requests, []);
  });
});
