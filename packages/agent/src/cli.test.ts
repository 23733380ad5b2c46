import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { buildAgentCommand } from './cli.js';
import { AGENT_OPTIONS, type AgentConfig } from './config.js';
import { TEST_NETWORK } from './testing/network.js';
import { TrustError } from './trust.js';

const TOKEN = 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqr';
const SUM = '0f'.repeat(32);

/** The agent command under a `paddock` program, with output captured and exits turned into exceptions. */
function harness(run: (config: AgentConfig) => Promise<void> = async () => {}, env: NodeJS.ProcessEnv = {}) {
  const calls: AgentConfig[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const agent = buildAgentCommand(async (config) => {
    calls.push(config);
    await run(config);
  }, { env, network: TEST_NETWORK });
  agent.exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
  const program = new Command('paddock').exitOverride().addCommand(agent);
  /** Parses a shell-like command line starting with `bin/paddock agent`. */
  const parse = (line: string) => program.parseAsync(['node', ...line.split(/\s+/)], { from: 'node' });
  return { agent, calls, out, err, parse };
}

async function exits(promise: Promise<unknown>, exitCode: number): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof CommanderError, `expected a CommanderError, got ${String(e)}`);
    assert.equal(e.exitCode, exitCode);
    return true;
  });
}

describe('paddock agent', () => {
  test("a registration token's nodeCommand parses as is with `docker run ... <image>` replaced", async () => {
    const nodeCommand = `sudo docker run -d --privileged --restart=unless-stopped --net=host -v /etc/kubernetes:/etc/kubernetes -v /var/run:/var/run paddock/paddock-agent:v0.1.0 --server https://h:8443 --token ${TOKEN} --ca-checksum ${SUM}`;
    const line = `${nodeCommand} --etcd --controlplane --worker`.replace(/^sudo docker run .* paddock\/paddock-agent:v0\.1\.0 /, 'bin/paddock agent ');
    assert.ok(line.startsWith('bin/paddock agent --server'));
    const h = harness();
    await h.parse(line);
    assert.equal(h.calls.length, 1);
    assert.deepEqual(h.calls[0], {
      servers: ['https://h:8443'],
      token: TOKEN,
      caChecksum: SUM,
      roles: ['etcd', 'controlplane', 'worker'],
      nodeName: undefined,
      address: '192.168.1.7',
      internalAddress: undefined,
      labels: {},
      taints: [],
      logLevel: 'info',
      allow: [],
      pingTimeoutMs: 60_000,
      clusterAgent: false,
      serviceAccountDir: '/var/run/secrets/kubernetes.io/serviceaccount',
    });
  });

  test("Rancher's short flags, repeated flags and --flag=value", async () => {
    const h = harness();
    await h.parse(`bin/paddock agent -s https://h -t ${TOKEN} -c ${SUM} -a -n node-1 -i eth0 -l a=1 --label b=2 --taints k=v:NoSchedule --taints=x:NoExecute --allow 10.0.0.0/8 --allow kube:6443 --address=198.51.100.2 --log-level debug --ping-timeout 15`);
    const c = h.calls[0];
    assert.ok(c);
    assert.deepEqual(c.roles, ['etcd', 'controlplane', 'worker']);
    assert.equal(c.nodeName, 'node-1');
    assert.equal(c.address, '198.51.100.2');
    assert.equal(c.internalAddress, '10.0.0.5');
    assert.deepEqual(c.labels, { a: '1', b: '2' });
    assert.deepEqual(c.taints.map((t) => `${t.key}:${t.effect}`), ['k:NoSchedule', 'x:NoExecute']);
    assert.deepEqual(c.allow.map((r) => r.spec), ['10.0.0.0/8', 'kube:6443']);
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.pingTimeoutMs, 15_000);
  });

  test('several servers: a comma list and the flag repeated', async () => {
    const h = harness();
    await h.parse(`bin/paddock agent --server https://a:8443,https://b:8443 -s https://c:8443 --server https://a:8443/ --token ${TOKEN}`);
    assert.deepEqual(h.calls[0]?.servers, ['https://a:8443', 'https://b:8443', 'https://c:8443']);
  });

  test('the environment fills in what flags leave out', async () => {
    const h = harness(async () => {}, { CATTLE_SERVER: 'https://env', CATTLE_TOKEN: TOKEN, CATTLE_ROLE: 'etcd' });
    await h.parse('bin/paddock agent --worker');
    assert.deepEqual(h.calls[0]?.servers, ['https://env']);
    assert.deepEqual(h.calls[0]?.roles, ['worker']);
  });

  test('a config error is one line on stderr, exit code 1, and run is not called', async () => {
    const h = harness();
    await exits(h.parse('bin/paddock agent --server https://h'), 1);
    assert.equal(h.calls.length, 0);
    assert.equal(h.err.join(''), "paddock agent: --token is required (or set CATTLE_TOKEN): the cluster registration token from the cluster's registration command\n");
  });

  test('a TrustError from run is reported the same way; other errors propagate', async () => {
    const trust = harness(async () => {
      throw new TrustError('the CA certificate from https://h/v3/settings/cacerts has checksum x, expected y');
    });
    await exits(trust.parse(`bin/paddock agent --server https://h --token ${TOKEN}`), 1);
    assert.equal(trust.err.join(''), 'paddock agent: the CA certificate from https://h/v3/settings/cacerts has checksum x, expected y\n');

    const boom = new Error('boom');
    const other = harness(async () => {
      throw boom;
    });
    await assert.rejects(other.parse(`bin/paddock agent --server https://h --token ${TOKEN}`), (e) => e === boom);
  });

  test('unknown options and stray arguments are refused by commander', async () => {
    const h = harness();
    await exits(h.parse(`bin/paddock agent --server https://h --token ${TOKEN} --bogus`), 1);
    assert.match(h.err.join(''), /unknown option '--bogus'/);
    await exits(harness().parse(`bin/paddock agent --server https://h --token ${TOKEN} extra`), 1);
  });

  test('--help explains every flag with its environment variables and the role default', async () => {
    const h = harness();
    await exits(h.parse('bin/paddock agent --help'), 0);
    const help = h.out.join('');
    for (const spec of AGENT_OPTIONS) {
      assert.ok(help.includes(spec.flag), `help mentions ${spec.flag}`);
      for (const name of spec.env) assert.ok(help.includes(name), `help mentions ${name}`);
    }
    for (const text of ['-a, --all-roles', 'CATTLE_ROLE', 'the node is a worker', 'NoSchedule, PreferNoSchedule, NoExecute', '/v3/settings/cacerts']) {
      assert.ok(help.includes(text), `help mentions ${text}`);
    }
    assert.equal(h.calls.length, 0);
  });
});
