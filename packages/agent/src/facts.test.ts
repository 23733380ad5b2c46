import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { arch, endianness, hostname, release, totalmem, type } from 'node:os';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { AgentConfig } from './config.js';
import { collectFacts, goArch, parseOsRelease, shortHostname, type NodeFacts } from './facts.js';

const CONFIG: AgentConfig = {
  servers: ['https://paddock.example.com'],
  token: 'x'.repeat(54),
  caChecksum: undefined,
  roles: ['etcd', 'worker'],
  nodeName: undefined,
  address: '203.0.113.7',
  internalAddress: undefined,
  labels: { 'example.com/tier': 'db' },
  taints: [
    { key: 'dedicated', value: 'db', effect: 'NoSchedule' },
    { key: 'spot', value: '', effect: 'PreferNoSchedule' },
  ],
  logLevel: 'info',
  allow: [],
  pingTimeoutMs: 60_000,
  clusterAgent: false,
  serviceAccountDir: '/var/run/secrets/kubernetes.io/serviceaccount',
};

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A fake host file system root holding the given files. */
function fakeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'paddock-facts-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const OS_RELEASE = `PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
ID=ubuntu
`;

describe('helpers', () => {
  test('shortHostname: up to the first dot, lower-cased', () => {
    assert.equal(shortHostname('Node-1.Example.COM'), 'node-1');
    assert.equal(shortHostname('worker'), 'worker');
  });

  test('goArch: Go names for node architectures', () => {
    assert.equal(goArch('x64'), 'amd64');
    assert.equal(goArch('arm64'), 'arm64');
    assert.equal(goArch('arm'), 'arm');
    assert.equal(goArch('ia32'), '386');
    assert.equal(goArch('ppc64', 'LE'), 'ppc64le');
    assert.equal(goArch('ppc64', 'BE'), 'ppc64');
    assert.equal(goArch('s390x', 'BE'), 's390x');
    assert.equal(goArch('mipsel'), 'mipsle');
    assert.equal(goArch('riscv64'), 'riscv64');
  });

  test('parseOsRelease: quoted, single-quoted, escaped and bare values; comments skipped', () => {
    assert.deepEqual(
      parseOsRelease(`# comment\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nNAME='Some OS'\nVARIANT="say \\"hi\\" \\$x"\nbad line\n`),
      { PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)', ID: 'debian', NAME: 'Some OS', VARIANT: 'say "hi" $x' },
    );
  });
});

describe('collectFacts', () => {
  test('every field, from the config and the host', async () => {
    const root = fakeRoot({ 'etc/os-release': OS_RELEASE, 'etc/machine-id': '0123456789ABCDEF0123456789abcdef\n' });
    const facts = await collectFacts(CONFIG, 'v0.1.0', { root });
    const expected: NodeFacts = {
      nodeName: shortHostname(hostname()),
      hostname: hostname(),
      machineId: '0123456789abcdef0123456789abcdef',
      address: '203.0.113.7',
      internalAddress: '203.0.113.7',
      roles: ['etcd', 'worker'],
      labels: { 'example.com/tier': 'db' },
      taints: ['dedicated=db:NoSchedule', 'spot:PreferNoSchedule'],
      cpuCount: facts.cpuCount,
      memoryKiB: Math.floor(totalmem() / 1024),
      operatingSystem: 'Ubuntu 22.04.4 LTS',
      kernelVersion: release(),
      architecture: goArch(arch(), endianness()),
      agentVersion: 'v0.1.0',
    };
    assert.deepEqual(facts, expected);
    assert.ok(Number.isInteger(facts.cpuCount) && facts.cpuCount >= 1);
  });

  test('a plain JSON object that survives a round trip', async () => {
    const facts = await collectFacts(CONFIG, 'v0.1.0', { root: fakeRoot({ 'etc/os-release': OS_RELEASE }) });
    assert.deepEqual(JSON.parse(JSON.stringify(facts)), facts);
    for (const [key, v] of Object.entries(facts)) {
      const flat = typeof v === 'string' || typeof v === 'number' || Array.isArray(v) || (typeof v === 'object' && v !== null && Object.values(v).every((x) => typeof x === 'string'));
      assert.ok(flat, `${key} is flat`);
    }
  });

  test('--node-name and --internal-address win', async () => {
    const facts = await collectFacts({ ...CONFIG, nodeName: 'db-1', internalAddress: '10.0.0.7' }, 'v0.1.0', { root: fakeRoot({}) });
    assert.equal(facts.nodeName, 'db-1');
    assert.equal(facts.internalAddress, '10.0.0.7');
    assert.equal(facts.address, '203.0.113.7');
  });

  test('facts do not share arrays or maps with the config', async () => {
    const facts = await collectFacts(CONFIG, 'v0.1.0', { root: fakeRoot({}) });
    facts.roles.push('controlplane');
    facts.labels.x = 'y';
    assert.deepEqual(CONFIG.roles, ['etcd', 'worker']);
    assert.deepEqual(CONFIG.labels, { 'example.com/tier': 'db' });
  });

  test('fallbacks: /usr/lib/os-release, NAME without PRETTY_NAME, dbus machine-id, no files at all', async () => {
    const lib = await collectFacts(CONFIG, 'v0', { root: fakeRoot({ 'usr/lib/os-release': 'NAME="Alpine Linux"\n', 'var/lib/dbus/machine-id': 'ffffffffffffffffffffffffffffffff' }) });
    assert.equal(lib.operatingSystem, 'Alpine Linux');
    assert.equal(lib.machineId, 'f'.repeat(32));

    const none = await collectFacts(CONFIG, 'v0', { root: fakeRoot({}) });
    assert.equal(none.operatingSystem, type());
    assert.equal('machineId' in none, false);
    assert.equal('machineId' in JSON.parse(JSON.stringify(none)), false);
  });

  test('a machine-id that is not 32 hex characters is left out', async () => {
    for (const text of ['uninitialized\n', '', 'xyz']) {
      const facts = await collectFacts(CONFIG, 'v0', { root: fakeRoot({ 'etc/machine-id': text }) });
      assert.equal('machineId' in facts, false, JSON.stringify(text));
    }
  });

  test('on this machine (root /)', async () => {
    const facts = await collectFacts(CONFIG, 'v0.1.0');
    assert.ok(facts.operatingSystem.length > 0);
    assert.ok(facts.memoryKiB > 0);
    assert.equal(facts.kernelVersion, release());
    assert.ok(['amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x', 'riscv64'].includes(facts.architecture), facts.architecture);
    if (facts.machineId !== undefined) assert.match(facts.machineId, /^[0-9a-f]{32}$/);
  });
});
