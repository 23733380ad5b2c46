import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AgentConfigError, parseAgentConfig, type AgentConfig, type HostNetwork, type RawAgentOptions } from './config.js';
import { TEST_NETWORK } from './testing/network.js';

const TOKEN = 'x'.repeat(54);
const SUM = 'a1b2c3d4'.repeat(8);
const BASE = { server: ['https://paddock.example.com'], token: TOKEN };

const parse = (raw: RawAgentOptions, env: NodeJS.ProcessEnv = {}, net: HostNetwork = TEST_NETWORK): AgentConfig =>
  parseAgentConfig(raw, env, net);

/** Asserts an AgentConfigError whose message contains each of `parts` and is one line. */
function configError(fn: () => unknown, ...parts: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AgentConfigError, `expected an AgentConfigError, got ${String(err)}`);
    assert.equal(err.name, 'AgentConfigError');
    assert.ok(!err.message.includes('\n'), `"${err.message}" is one line`);
    for (const part of parts) assert.ok(err.message.includes(part), `"${err.message}" includes ${part}`);
    return true;
  });
}

describe('parseAgentConfig', () => {
  test('server and token alone: worker role, default-route address, defaults for the rest', () => {
    assert.deepEqual(parse(BASE), {
      servers: ['https://paddock.example.com'],
      token: TOKEN,
      caChecksum: undefined,
      roles: ['worker'],
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

  test('every flag', () => {
    const config = parse({
      server: ['https://h:8443/'],
      token: TOKEN,
      caChecksum: SUM.toUpperCase(),
      etcd: true,
      controlplane: true,
      nodeName: 'node-1.example',
      address: '203.0.113.9',
      internalAddress: 'eth0',
      label: ['a=b', 'example.com/tier=db'],
      taints: ['dedicated=infra:NoSchedule', 'gpu:NoExecute'],
      logLevel: 'debug',
      allow: ['10.0.0.0/8', 'db.local:5432'],
      pingTimeout: '1.5',
    });
    assert.deepEqual(config, {
      servers: ['https://h:8443'],
      token: TOKEN,
      caChecksum: SUM,
      roles: ['etcd', 'controlplane'],
      nodeName: 'node-1.example',
      address: '203.0.113.9',
      internalAddress: '10.0.0.5',
      labels: { a: 'b', 'example.com/tier': 'db' },
      taints: [
        { key: 'dedicated', value: 'infra', effect: 'NoSchedule' },
        { key: 'gpu', value: '', effect: 'NoExecute' },
      ],
      logLevel: 'debug',
      allow: [
        { kind: 'cidr', spec: '10.0.0.0/8', family: 'ipv4', network: '10.0.0.0', prefix: 8 },
        { kind: 'hostPort', spec: 'db.local:5432', host: 'db.local', port: 5432 },
      ],
      pingTimeoutMs: 1500,
      clusterAgent: false,
      serviceAccountDir: '/var/run/secrets/kubernetes.io/serviceaccount',
    });
  });

  describe('server and token', () => {
    test('missing server or token names the flag and the Rancher variable', () => {
      configError(() => parse({ token: TOKEN }), '--server is required', 'CATTLE_SERVER');
      configError(() => parse({ server: ['https://h'] }), '--token is required', 'CATTLE_TOKEN');
      configError(() => parse({ server: ['  '], token: TOKEN }), '--server is required');
    });

    test('server must be an http(s) URL without credentials, query or fragment', () => {
      configError(() => parse({ ...BASE, server: ['paddock.example.com'] }), '--server', 'URL', 'paddock.example.com');
      configError(() => parse({ ...BASE, server: ['ftp://h'] }), '--server must be an https:// (or http://) URL', 'ftp://h');
      configError(() => parse({ ...BASE, server: ['wss://h'] }), '--server', 'https://');
      configError(() => parse({ ...BASE, server: ['https://u:p@h'] }), '--server', 'credentials');
      configError(() => parse({ ...BASE, server: ['https://h/?x=1'] }), '--server', 'query');
    });

    test('server is normalised: trailing slashes go, a path stays, http is accepted', () => {
      assert.deepEqual(parse({ ...BASE, server: ['https://H.example.com:443///'] }).servers, ['https://h.example.com']);
      assert.deepEqual(parse({ ...BASE, server: ['https://h/paddock/'] }).servers, ['https://h/paddock']);
      assert.deepEqual(parse({ ...BASE, server: ['http://127.0.0.1:8080'] }).servers, ['http://127.0.0.1:8080']);
    });

    test('several servers: a comma list, the flag repeated, in the order given', () => {
      const servers = (server: string[]) => parse({ ...BASE, server }).servers;
      assert.deepEqual(servers(['https://a:8443,https://b:8443']), ['https://a:8443', 'https://b:8443']);
      assert.deepEqual(servers(['https://a:8443', 'https://b:8443, https://c/paddock/']), ['https://a:8443', 'https://b:8443', 'https://c/paddock']);
      assert.deepEqual(servers([' , https://b,,https://a, ']), ['https://b', 'https://a']);
    });

    test('several servers from the environment; the flag replaces them', () => {
      assert.deepEqual(parse({ token: TOKEN }, { PADDOCK_AGENT_SERVER: 'https://a, https://b/' }).servers, ['https://a', 'https://b']);
      assert.deepEqual(parse({ token: TOKEN }, { CATTLE_SERVER: 'https://a,https://b' }).servers, ['https://a', 'https://b']);
      assert.deepEqual(parse({ token: TOKEN }, { PADDOCK_AGENT_SERVER: ' , ', CATTLE_SERVER: 'https://c' }).servers, ['https://c']);
      assert.deepEqual(parse({ ...BASE, server: ['https://f'] }, { CATTLE_SERVER: 'https://a,https://b' }).servers, ['https://f']);
    });

    test('duplicate servers are dropped, compared once normalised', () => {
      assert.deepEqual(parse({ ...BASE, server: ['https://a:443/,https://b', 'https://A', 'https://b:443//'] }).servers, ['https://a', 'https://b']);
    });

    test('one bad URL among good ones is an error naming it and where it came from', () => {
      configError(() => parse({ ...BASE, server: ['https://a,ftp://b', 'https://c'] }), '--server must be an https:// (or http://) URL', '"ftp://b"');
      configError(() => parse({ ...BASE, server: ['https://a', 'https://u:p@b'] }), '--server', 'credentials', 'https://u:p@b');
      configError(() => parse({ token: TOKEN }, { CATTLE_SERVER: 'https://a,nope' }), '--server (set by CATTLE_SERVER) must be a URL', '"nope"');
      configError(() => parse({ ...BASE, server: [','] }), '--server is required');
    });

    test('token must not contain whitespace', () => {
      configError(() => parse({ ...BASE, token: 'abc def' }), '--token', 'spaces');
    });
  });

  describe('--ca-checksum', () => {
    test('64 hex characters, lower-cased', () => {
      assert.equal(parse({ ...BASE, caChecksum: SUM.toUpperCase() }).caChecksum, SUM);
    });

    test('wrong length or non-hex is rejected with the length', () => {
      configError(() => parse({ ...BASE, caChecksum: SUM.slice(1) }), '--ca-checksum must be a SHA-256 checksum, 64 hex characters', '(63 characters)');
      configError(() => parse({ ...BASE, caChecksum: `${SUM.slice(1)}g` }), '--ca-checksum', '64 hex');
    });

    test('an empty value means no checksum, as in Rancher', () => {
      assert.equal(parse({ ...BASE, caChecksum: '' }).caChecksum, undefined);
      assert.equal(parse(BASE, { CATTLE_CA_CHECKSUM: '' }).caChecksum, undefined);
    });

    test('pinning a CA needs an https server, every one of them', () => {
      configError(() => parse({ ...BASE, server: ['http://h'], caChecksum: SUM }), '--ca-checksum', 'https://');
      configError(() => parse({ ...BASE, server: ['https://a,http://b:8080,https://c'], caChecksum: SUM }), '--ca-checksum', 'got http://b:8080');
      assert.deepEqual(parse({ ...BASE, server: ['https://a,https://b'], caChecksum: SUM }).servers, ['https://a', 'https://b']);
    });
  });

  describe('environment', () => {
    test("Rancher's CATTLE_* variables", () => {
      const config = parse({}, {
        CATTLE_SERVER: 'https://env.example',
        CATTLE_TOKEN: TOKEN,
        CATTLE_CA_CHECKSUM: SUM,
        CATTLE_NODE_NAME: 'env-node',
        CATTLE_ADDRESS: '198.51.100.1',
        CATTLE_INTERNAL_ADDRESS: 'eth0',
        CATTLE_ROLE: 'etcd,worker',
        CATTLE_NODE_LABEL: 'a=1,b=2',
        CATTLE_NODE_TAINTS: 'k=v:NoSchedule,x:PreferNoSchedule',
      });
      assert.deepEqual(
        { ...config },
        {
          servers: ['https://env.example'],
          token: TOKEN,
          caChecksum: SUM,
          roles: ['etcd', 'worker'],
          nodeName: 'env-node',
          address: '198.51.100.1',
          internalAddress: '10.0.0.5',
          labels: { a: '1', b: '2' },
          taints: [
            { key: 'k', value: 'v', effect: 'NoSchedule' },
            { key: 'x', value: '', effect: 'PreferNoSchedule' },
          ],
          logLevel: 'info',
          allow: [],
          pingTimeoutMs: 60_000,
          clusterAgent: false,
          serviceAccountDir: '/var/run/secrets/kubernetes.io/serviceaccount',
        },
      );
    });

    test('PADDOCK_AGENT_* for every flag, winning over CATTLE_*', () => {
      const config = parse({}, {
        PADDOCK_AGENT_SERVER: 'https://paddock.env',
        CATTLE_SERVER: 'https://cattle.env',
        PADDOCK_AGENT_TOKEN: 'paddock-token',
        CATTLE_TOKEN: 'cattle-token',
        PADDOCK_AGENT_CA_CHECKSUM: SUM,
        PADDOCK_AGENT_CONTROLPLANE: 'true',
        PADDOCK_AGENT_WORKER: '1',
        CATTLE_ROLE: 'etcd',
        PADDOCK_AGENT_NODE_NAME: 'paddock-node',
        CATTLE_NODE_NAME: 'cattle-node',
        PADDOCK_AGENT_ADDRESS: 'eth0',
        PADDOCK_AGENT_INTERNAL_ADDRESS: '10.9.9.9',
        PADDOCK_AGENT_LABEL: 'p=1',
        CATTLE_NODE_LABEL: 'c=1',
        PADDOCK_AGENT_TAINTS: 'p=1:NoExecute',
        PADDOCK_AGENT_LOG_LEVEL: 'warn',
        PADDOCK_AGENT_ALLOW: '10.1.0.0/16, kube:6443',
        PADDOCK_AGENT_PING_TIMEOUT: '30',
      });
      assert.deepEqual(config.servers, ['https://paddock.env']);
      assert.equal(config.token, 'paddock-token');
      assert.equal(config.caChecksum, SUM);
      assert.deepEqual(config.roles, ['controlplane', 'worker']);
      assert.equal(config.nodeName, 'paddock-node');
      assert.equal(config.address, '10.0.0.5');
      assert.equal(config.internalAddress, '10.9.9.9');
      assert.deepEqual(config.labels, { p: '1' });
      assert.deepEqual(config.taints, [{ key: 'p', value: '1', effect: 'NoExecute' }]);
      assert.equal(config.logLevel, 'warn');
      assert.deepEqual(config.allow.map((r) => r.spec), ['10.1.0.0/16', 'kube:6443']);
      assert.equal(config.pingTimeoutMs, 30_000);
      assert.deepEqual(parse({}, { PADDOCK_AGENT_SERVER: 'https://h', PADDOCK_AGENT_TOKEN: 't', PADDOCK_AGENT_ALL_ROLES: 'yes' }).roles, ['etcd', 'controlplane', 'worker']);
      assert.deepEqual(parse({}, { PADDOCK_AGENT_SERVER: 'https://h', PADDOCK_AGENT_TOKEN: 't', PADDOCK_AGENT_ETCD: 'on' }).roles, ['etcd']);
    });

    test('flags win over the environment, list flags replace the env list', () => {
      const config = parse(
        { server: ['https://flag'], token: 'flag-token', worker: true, label: ['f=1'], taints: ['f:NoSchedule'], address: '10.2.2.2' },
        {
          PADDOCK_AGENT_SERVER: 'https://paddock.env',
          CATTLE_SERVER: 'https://cattle.env',
          CATTLE_TOKEN: 'cattle-token',
          PADDOCK_AGENT_ETCD: 'true',
          CATTLE_ROLE: 'controlplane',
          CATTLE_NODE_LABEL: 'c=1',
          CATTLE_NODE_TAINTS: 'c:NoExecute',
          CATTLE_ADDRESS: 'eth0',
        },
      );
      assert.deepEqual(config.servers, ['https://flag']);
      assert.equal(config.token, 'flag-token');
      assert.deepEqual(config.roles, ['worker']);
      assert.deepEqual(config.labels, { f: '1' });
      assert.deepEqual(config.taints, [{ key: 'f', value: '', effect: 'NoSchedule' }]);
      assert.equal(config.address, '10.2.2.2');
    });

    test('an error in an env value names the flag and the variable', () => {
      configError(() => parse({}, { CATTLE_SERVER: 'ftp://h', CATTLE_TOKEN: 't' }), '--server (set by CATTLE_SERVER)', 'ftp://h');
      configError(() => parse({}, { PADDOCK_AGENT_SERVER: 'h', CATTLE_TOKEN: 't' }), '--server (set by PADDOCK_AGENT_SERVER)');
      configError(() => parse(BASE, { CATTLE_CA_CHECKSUM: 'abc' }), '--ca-checksum (set by CATTLE_CA_CHECKSUM)');
      configError(() => parse(BASE, { CATTLE_NODE_LABEL: 'ok=1,bad key=1' }), '--label (set by CATTLE_NODE_LABEL)', 'bad key');
      configError(() => parse(BASE, { PADDOCK_AGENT_PING_TIMEOUT: 'soon' }), '--ping-timeout (set by PADDOCK_AGENT_PING_TIMEOUT)');
    });
  });

  describe('roles', () => {
    const roles = (raw: RawAgentOptions, env: NodeJS.ProcessEnv = {}) => parse({ ...BASE, ...raw }, env).roles;

    test('role flags, in canonical order', () => {
      assert.deepEqual(roles({ worker: true, etcd: true }), ['etcd', 'worker']);
      assert.deepEqual(roles({ controlplane: true }), ['controlplane']);
      assert.deepEqual(roles({ etcd: true, controlplane: true, worker: true }), ['etcd', 'controlplane', 'worker']);
      assert.deepEqual(roles({ allRoles: true }), ['etcd', 'controlplane', 'worker']);
      assert.deepEqual(roles({ allRoles: true, etcd: true }), ['etcd', 'controlplane', 'worker']);
    });

    test('no role anywhere means worker, as Rancher shows such a node', () => {
      assert.deepEqual(roles({}), ['worker']);
      assert.deepEqual(roles({}, { CATTLE_ROLE: ' , ' }), ['worker']);
    });

    test('CATTLE_ROLE comma list', () => {
      assert.deepEqual(roles({}, { CATTLE_ROLE: 'worker, etcd,controlplane' }), ['etcd', 'controlplane', 'worker']);
      configError(() => roles({}, { CATTLE_ROLE: 'etcd,master' }), 'CATTLE_ROLE', '"master"', 'etcd, controlplane, worker');
    });

    test('PADDOCK_AGENT_<ROLE> must be a boolean and must leave a role', () => {
      configError(() => roles({}, { PADDOCK_AGENT_ETCD: 'maybe' }), '--etcd (set by PADDOCK_AGENT_ETCD) must be true or false', 'maybe');
      configError(() => roles({}, { PADDOCK_AGENT_WORKER: 'false', CATTLE_ROLE: 'etcd' }), 'no role');
      assert.deepEqual(roles({}, { PADDOCK_AGENT_WORKER: '', CATTLE_ROLE: 'etcd' }), ['etcd']);
    });
  });

  describe('labels and taints', () => {
    test('Kubernetes label syntax', () => {
      const labels = (label: string[]) => parse({ ...BASE, label }).labels;
      assert.deepEqual(labels(['a=b', 'k8s.example.com/Role_1=v-1.2', 'empty=', 'bare']), {
        a: 'b',
        'k8s.example.com/Role_1': 'v-1.2',
        empty: '',
        bare: '',
      });
      assert.deepEqual(labels(['a=b', 'a=b']), { a: 'b' });
      configError(() => labels(['a b=c']), '--label "a b=c"', 'key name');
      configError(() => labels(['-a=c']), '--label', 'start and end with a letter or digit');
      configError(() => labels([`${'n'.repeat(64)}=v`]), '--label', 'longer than 63');
      configError(() => labels(['Example.com/a=b']), '--label', 'prefix "Example.com"');
      configError(() => labels(['a/b/c=d']), '--label', 'more than one "/"');
      configError(() => labels(['/a=b']), '--label', 'prefix ""');
      configError(() => labels(['a=b c']), '--label', 'value "b c"');
      configError(() => labels([`a=${'v'.repeat(64)}`]), '--label', 'longer than 63');
      configError(() => labels(['a=1', 'a=2']), '--label gives label "a" twice', '"1"', '"2"');
    });

    test('taints: key=value:Effect or key:Effect', () => {
      const taints = (t: string[]) => parse({ ...BASE, taints: t }).taints;
      assert.deepEqual(taints(['dedicated=gpu:NoSchedule', 'example.com/spot:PreferNoSchedule', 'x=y:NoExecute']), [
        { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
        { key: 'example.com/spot', value: '', effect: 'PreferNoSchedule' },
        { key: 'x', value: 'y', effect: 'NoExecute' },
      ]);
      configError(() => taints(['a=b']), '--taints "a=b": no effect', 'NoSchedule, PreferNoSchedule, NoExecute');
      configError(() => taints(['a=b:noschedule']), '--taints', 'unknown effect "noschedule"');
      configError(() => taints(['a=b:']), '--taints', 'unknown effect ""');
      configError(() => taints(['bad key=b:NoSchedule']), '--taints', 'key name "bad key"');
      configError(() => taints(['k=b@d:NoSchedule']), '--taints', 'value "b@d"');
      configError(() => taints(['k=1:NoSchedule', 'k=2:NoSchedule']), '--taints gives taint "k" with effect NoSchedule twice');
      assert.equal(taints(['k=1:NoSchedule', 'k=2:NoExecute']).length, 2);
    });
  });

  describe('addresses', () => {
    const addresses = (raw: RawAgentOptions, net: HostNetwork = TEST_NETWORK) => {
      const c = parse({ ...BASE, ...raw }, {}, net);
      return [c.address, c.internalAddress];
    };

    test('an IP is used as given, even when it is not on this machine', () => {
      assert.deepEqual(addresses({ address: '203.0.113.4', internalAddress: 'fd00::9' }), ['203.0.113.4', 'fd00::9']);
    });

    test('an interface name becomes its first IPv4 address', () => {
      assert.deepEqual(addresses({ address: 'eth0', internalAddress: 'eth1' }), ['10.0.0.5', '192.168.1.7']);
    });

    test('default: the interface of the default route with the lowest metric', () => {
      assert.deepEqual(addresses({}), ['192.168.1.7', undefined]);
    });

    test('default without a routing table: the first non-internal IPv4', () => {
      assert.deepEqual(addresses({}, { ...TEST_NETWORK, routeTable: undefined }), ['10.0.0.5', undefined]);
    });

    test('unknown interfaces, interfaces without IPv4 and cloud keywords are errors naming the flag', () => {
      configError(() => addresses({ address: 'eth9' }), '--address "eth9" is neither an IP address nor a network interface', 'lo, eth0, eth1, wg0');
      configError(() => addresses({ internalAddress: 'wg0' }), '--internal-address "wg0"', 'no IPv4 address');
      configError(() => addresses({ address: 'awspublic' }), '--address "awspublic"', 'cloud metadata');
      configError(() => parse(BASE, { CATTLE_ADDRESS: 'eth9' }), '--address (set by CATTLE_ADDRESS) "eth9"');
    });

    test('no address to be found at all', () => {
      const bare: HostNetwork = { interfaces: { lo: TEST_NETWORK.interfaces.lo ?? [] }, routeTable: undefined };
      configError(() => addresses({}, bare), '--address not given and none found');
    });
  });

  describe('other options', () => {
    test('--node-name must be a lower-case DNS name', () => {
      assert.equal(parse({ ...BASE, nodeName: 'node-1' }).nodeName, 'node-1');
      configError(() => parse({ ...BASE, nodeName: 'Node_1' }), '--node-name must be a lower-case DNS name', 'Node_1');
    });

    test('--log-level', () => {
      assert.equal(parse({ ...BASE, logLevel: 'trace' }).logLevel, 'trace');
      configError(() => parse({ ...BASE, logLevel: 'loud' }), '--log-level must be one of fatal, error, warn, info, debug, trace, silent', 'loud');
    });

    test('--ping-timeout in seconds', () => {
      assert.equal(parse({ ...BASE, pingTimeout: '10' }).pingTimeoutMs, 10_000);
      for (const bad of ['0', '-5', 'ten', '1e3', '86401']) {
        configError(() => parse({ ...BASE, pingTimeout: bad }), '--ping-timeout', `"${bad}"`);
      }
    });

    test('--allow', () => {
      configError(() => parse({ ...BASE, allow: ['10.0.0.0/8', 'nonsense'] }), '--allow "nonsense"', 'CIDR');
    });
  });
});

describe('--cluster-agent', () => {
  test('from the flag, PADDOCK_AGENT_CLUSTER_AGENT or CATTLE_CLUSTER=true; needs no address of its own', () => {
    // No interface and no route: a node agent would fail to find its address; a cluster agent needs none.
    const noNetwork: HostNetwork = { interfaces: {}, routeTable: undefined };
    assert.equal(parseAgentConfig({ ...BASE, clusterAgent: true }, {}, noNetwork).clusterAgent, true);
    assert.equal(parseAgentConfig(BASE, { CATTLE_CLUSTER: 'true' }, noNetwork).clusterAgent, true);
    assert.equal(parseAgentConfig(BASE, { PADDOCK_AGENT_CLUSTER_AGENT: '1' }, noNetwork).address, '');
    assert.equal(parse(BASE, { CATTLE_CLUSTER: 'false' }).clusterAgent, false);
    configError(() => parse(BASE, { CATTLE_CLUSTER: 'maybe' }), '--cluster-agent (set by CATTLE_CLUSTER)', 'true or false');
  });

  test('the service-account directory: default, flag, env', () => {
    assert.equal(parse({ ...BASE, clusterAgent: true }).serviceAccountDir, '/var/run/secrets/kubernetes.io/serviceaccount');
    assert.equal(parse({ ...BASE, clusterAgent: true, serviceAccountDir: '/sa' }).serviceAccountDir, '/sa');
    assert.equal(parse({ ...BASE, clusterAgent: true }, { PADDOCK_AGENT_SERVICE_ACCOUNT_DIR: '/env-sa' }).serviceAccountDir, '/env-sa');
  });
});
