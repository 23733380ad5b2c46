import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { caChecksum } from './checksum.js';
import { normalizePem } from './pem.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\nbase64==\n-----END CERTIFICATE-----';

function commandExists(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

test('normalizePem turns CRLF and lone CR into LF and trims', () => {
  assert.equal(normalizePem(`\r\n  ${PEM.replace(/\n/g, '\r\n')}\r\n\r\n`), PEM);
  assert.equal(normalizePem(PEM.replace(/\n/g, '\r')), PEM);
  assert.equal(normalizePem(PEM), PEM);
  assert.equal(normalizePem(' \n '), '');
});

test('caChecksum is sha256 of the value plus one newline, as jq -r | sha256sum prints', () => {
  const expected = createHash('sha256').update(`${PEM}\n`).digest('hex');
  assert.equal(caChecksum(PEM), expected);
  assert.equal(caChecksum(`${PEM}\n`), expected, 'a trailing newline is not doubled');
  assert.match(caChecksum(PEM), /^[0-9a-f]{64}$/);
});

test('caChecksum of an empty cacerts is empty', () => {
  assert.equal(caChecksum(''), '');
});

test("caChecksum equals printf '%s\\n' \"$pem\" | sha256sum", { skip: !commandExists('sha256sum') }, () => {
  const out = execFileSync('sh', ['-c', `printf '%s\\n' "$PEM" | sha256sum`], {
    env: { ...process.env, PEM },
    encoding: 'utf8',
  });
  assert.equal(caChecksum(PEM), out.split(' ')[0]);
});

test('the checksum of a CRLF value differs until it is normalised', () => {
  const crlf = `${PEM.replace(/\n/g, '\r\n')}\r\n`;
  assert.notEqual(caChecksum(crlf), caChecksum(PEM));
  assert.equal(caChecksum(normalizePem(crlf)), caChecksum(PEM));
});

test('caChecksum equals jq -r .value | sha256sum of the settings JSON', { skip: !commandExists('jq') }, () => {
  const body = JSON.stringify({ id: 'cacerts', value: PEM });
  const out = execFileSync('sh', ['-c', 'printf %s "$BODY" | jq -r .value | sha256sum'], {
    env: { ...process.env, BODY: body },
    encoding: 'utf8',
  });
  assert.equal(caChecksum(PEM), out.split(' ')[0]);
});
