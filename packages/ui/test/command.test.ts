// The registration command the Add nodes page shows (pure functions; the browser test runs one for real).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCommand, caChecksumOf, nodeNameProblem, parseLabels, shellQuote, type NodeOptions } from '../src/command.tsx';

const none: NodeOptions = { etcd: false, controlPlane: false, worker: false, nodeName: '', address: '', internalAddress: '', labels: '' };
const BASE = 'paddock agent --server https://p.example:8443 --token abc --ca-checksum ' + 'a'.repeat(64);

test('roles, name, addresses and labels become agent flags, in order', () => {
  assert.equal(buildCommand(BASE, { ...none, worker: true }), `${BASE} --worker`);
  assert.equal(
    buildCommand(`${BASE}  `, { etcd: true, controlPlane: true, worker: true, nodeName: 'n1', address: '10.0.0.5', internalAddress: 'eth1', labels: 'zone=a\n\n disk = ssd \n' }),
    `${BASE} --etcd --controlplane --worker --node-name n1 --address 10.0.0.5 --internal-address eth1 --label zone=a --label disk=ssd`,
  );
});

test('values a shell would split or expand are quoted', () => {
  assert.equal(shellQuote('a b'), "'a b'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
  assert.equal(shellQuote('$(rm -rf /)'), "'$(rm -rf /)'");
  assert.equal(shellQuote('example.com/zone=eu-1'), 'example.com/zone=eu-1');
});

test('bad labels and names are reported and left out of the command', () => {
  assert.match(parseLabels('novalue').problem ?? '', /not key=value/);
  assert.match(parseLabels('bad key=x').problem ?? '', /not a valid label key/);
  assert.match(parseLabels('k=' + 'v'.repeat(64)).problem ?? '', /not a valid label value/);
  assert.deepEqual(parseLabels('example.com/zone=eu-1\nempty=').labels, [['example.com/zone', 'eu-1'], ['empty', '']]);
  assert.equal(buildCommand(BASE, { ...none, labels: 'ok=1\nbroken' }), `${BASE} --label ok=1`);
  assert.equal(nodeNameProblem('Node_1') !== undefined, true);
  assert.equal(nodeNameProblem('node-1.eu'), undefined);
});

test('the CA checksum is read from the command', () => {
  assert.equal(caChecksumOf(BASE), 'a'.repeat(64));
  assert.equal(caChecksumOf('paddock agent --server x --token y'), undefined);
});
