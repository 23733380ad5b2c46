import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, LOG_LEVELS, parseServerConfig } from './config.js';

/** Asserts a ConfigError whose message names `flag`. */
function configError(fn: () => unknown, flag: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.name, 'ConfigError');
    assert.ok(err.message.includes(flag), `"${err.message}" names ${flag}`);
    return true;
  });
}

describe('parseServerConfig', () => {
  test('defaults', () => {
    assert.deepEqual(parseServerConfig({}, {}), {
      dataDir: resolve('./data'),
      httpsPort: 443,
      httpPort: 80,
      bindAddress: '0.0.0.0',
      serverUrl: undefined,
      tlsCert: undefined,
      tlsKey: undefined,
      logLevel: 'info',
      agentTimeoutSeconds: 40,
      audit: { level: 1, path: resolve('./data/audit/audit.log'), maxBytes: 100 * 1024 * 1024, maxBackups: 10, stdout: false },
      datastore: { type: 'sqlite' },
      kubeconfig: undefined,
      proxyProtocolFrom: [],
      settingsFromEnv: {},
    });
  });

  test('the audit log: level, path, rotation and stdout from flags or the environment', () => {
    const audit = parseServerConfig({ dataDir: '/srv/p', auditLevel: '3', auditLogMaxsize: '5', auditLogStdout: true }, {}).audit;
    assert.deepEqual(audit, { level: 3, path: '/srv/p/audit/audit.log', maxBytes: 5 * 1024 * 1024, maxBackups: 10, stdout: true });
    const fromEnv = parseServerConfig({}, { PADDOCK_AUDIT_LOG_STDOUT: 'false', PADDOCK_AUDIT_LOG_PATH: '/var/log/p.log', PADDOCK_AUDIT_LEVEL: '0' }).audit;
    assert.deepEqual([fromEnv.stdout, fromEnv.path, fromEnv.level], [false, '/var/log/p.log', 0]);
    configError(() => parseServerConfig({ auditLevel: '4' }, {}), '--audit-level');
    configError(() => parseServerConfig({ auditLogMaxbackup: '0' }, {}), '--audit-log-maxbackup');
    configError(() => parseServerConfig({}, { PADDOCK_AUDIT_LOG_STDOUT: 'maybe' }), '--audit-log-stdout');
  });

  test('the datastore: sqlite by default, etcd with checked endpoints and TLS files', () => {
    const etcd = parseServerConfig({ datastore: 'etcd', etcdEndpoints: ' https://10.0.0.1:2379, https://10.0.0.2:2379 ', etcdCafile: '/ca.pem', etcdCertfile: '/c.pem', etcdKeyfile: '/k.pem' }, {});
    assert.deepEqual(etcd.datastore, {
      type: 'etcd',
      endpoints: ['https://10.0.0.1:2379', 'https://10.0.0.2:2379'],
      prefix: '/paddock',
      caFile: '/ca.pem',
      certFile: '/c.pem',
      keyFile: '/k.pem',
    });
    assert.deepEqual(parseServerConfig({}, { PADDOCK_DATASTORE: 'etcd', PADDOCK_ETCD_ENDPOINTS: 'http://127.0.0.1:2379' }).datastore.type, 'etcd');
    configError(() => parseServerConfig({ datastore: 'mysql' }, {}), '--datastore');
    configError(() => parseServerConfig({ datastore: 'etcd' }, {}), '--etcd-endpoints');
    configError(() => parseServerConfig({ datastore: 'etcd', etcdEndpoints: 'localhost' }, {}), '--etcd-endpoints');
    configError(() => parseServerConfig({ datastore: 'etcd', etcdEndpoints: 'http://a:1,https://b:2' }, {}), '--etcd-endpoints');
    configError(() => parseServerConfig({ datastore: 'etcd', etcdEndpoints: 'http://a:1', etcdCafile: '/ca' }, {}), '--etcd-cafile');
    configError(() => parseServerConfig({ datastore: 'etcd', etcdEndpoints: 'https://a:1', etcdCertfile: '/c' }, {}), '--etcd-keyfile');
  });

  test('load balancers trusted to send PROXY protocol headers', () => {
    assert.deepEqual(parseServerConfig({ proxyProtocolFrom: '10.0.0.5, 192.168.0.0/16,fd00::/64' }, {}).proxyProtocolFrom, ['10.0.0.5', '192.168.0.0/16', 'fd00::/64']);
    assert.deepEqual(parseServerConfig({}, { PADDOCK_PROXY_PROTOCOL_FROM: '127.0.0.1' }).proxyProtocolFrom, ['127.0.0.1']);
    for (const bad of ['lb.example.com', '10.0.0.0/33', '10.0.0.1/8/2', 'fd00::/129', '10.0.0.0/x']) configError(() => parseServerConfig({ proxyProtocolFrom: bad }, {}), '--proxy-protocol-from');
  });

  test('the address other replicas reach this one at', () => {
    const advertise = (value: string) => {
      const config = parseServerConfig({ datastore: 'etcd', etcdEndpoints: 'http://e:2379', advertiseAddress: value }, {}).datastore;
      return config.type === 'etcd' ? config.advertise : undefined;
    };
    assert.deepEqual(advertise('10.0.0.7'), { host: '10.0.0.7' });
    assert.deepEqual(advertise('paddock-1.internal:8443'), { host: 'paddock-1.internal', port: 8443 });
    assert.deepEqual(advertise('[fd00::7]:443'), { host: 'fd00::7', port: 443 });
    const fromEnv = parseServerConfig({}, { PADDOCK_DATASTORE: 'etcd', PADDOCK_ETCD_ENDPOINTS: 'http://e:2379', PADDOCK_ADVERTISE_ADDRESS: '10.0.0.8' }).datastore;
    assert.deepEqual(fromEnv.type === 'etcd' && fromEnv.advertise, { host: '10.0.0.8' });
    for (const bad of ['', 'https://x', 'a b', 'host:0', 'host:99999', '[nothex]:1']) configError(() => advertise(bad), '--advertise-address');
  });

  test('PADDOCK_* environment variables are used when no flag is given', () => {
    const config = parseServerConfig({}, {
      PADDOCK_DATA_DIR: '/var/lib/paddock',
      PADDOCK_HTTPS_PORT: '8443',
      PADDOCK_HTTP_PORT: '0',
      PADDOCK_BIND_ADDRESS: '127.0.0.1',
      PADDOCK_SERVER_URL: 'https://paddock.example',
      PADDOCK_TLS_CERT: '/etc/tls/cert.pem',
      PADDOCK_TLS_KEY: '/etc/tls/key.pem',
      PADDOCK_LOG_LEVEL: 'debug',
    });
    assert.deepEqual(config, {
      dataDir: '/var/lib/paddock',
      httpsPort: 8443,
      httpPort: 0,
      bindAddress: '127.0.0.1',
      serverUrl: 'https://paddock.example',
      tlsCert: '/etc/tls/cert.pem',
      tlsKey: '/etc/tls/key.pem',
      logLevel: 'debug',
      agentTimeoutSeconds: 40,
      audit: { level: 1, path: '/var/lib/paddock/audit/audit.log', maxBytes: 100 * 1024 * 1024, maxBackups: 10, stdout: false },
      datastore: { type: 'sqlite' },
      kubeconfig: undefined,
      proxyProtocolFrom: [],
      settingsFromEnv: {},
    });
  });

  test('flags win over the environment', () => {
    const config = parseServerConfig(
      { dataDir: '/flag', httpsPort: '9443', httpPort: '9080', bindAddress: '::1', serverUrl: 'https://flag', logLevel: 'warn' },
      { PADDOCK_DATA_DIR: '/env', PADDOCK_HTTPS_PORT: '8443', PADDOCK_HTTP_PORT: '8080', PADDOCK_BIND_ADDRESS: '10.0.0.1', PADDOCK_SERVER_URL: 'https://env', PADDOCK_LOG_LEVEL: 'trace' },
    );
    assert.deepEqual(
      [config.dataDir, config.httpsPort, config.httpPort, config.bindAddress, config.serverUrl, config.logLevel],
      ['/flag', 9443, 9080, '::1', 'https://flag', 'warn'],
    );
  });

  test('a flag given as undefined falls back to the environment', () => {
    assert.equal(parseServerConfig({ httpsPort: undefined }, { PADDOCK_HTTPS_PORT: '8443' }).httpsPort, 8443);
  });

  test('relative paths are resolved', () => {
    const config = parseServerConfig({ dataDir: 'state', tlsCert: 'c.pem', tlsKey: 'k.pem' }, {});
    assert.equal(config.dataDir, resolve('state'));
    assert.equal(config.tlsCert, resolve('c.pem'));
    assert.equal(config.tlsKey, resolve('k.pem'));
  });

  test('ports from 0 to 65535 are accepted', () => {
    for (const p of ['0', '1', '80', '443', '65535']) {
      assert.equal(parseServerConfig({ httpsPort: p, httpPort: p }, {}).httpsPort, Number(p));
    }
  });

  for (const bad of ['65536', '-1', 'abc', '80x', '1.5', '1e3', '', ' ', '0x50']) {
    test(`port ${JSON.stringify(bad)} is a ConfigError naming the flag`, () => {
      configError(() => parseServerConfig({ httpsPort: bad }, {}), '--https-port');
      configError(() => parseServerConfig({ httpPort: bad }, {}), '--http-port');
    });
  }

  test('a bad port from the environment is a ConfigError too', () => {
    configError(() => parseServerConfig({}, { PADDOCK_HTTPS_PORT: 'https' }), '--https-port');
    configError(() => parseServerConfig({}, { PADDOCK_HTTP_PORT: '99999' }), '--http-port');
  });

  test('every log level is accepted', () => {
    for (const level of LOG_LEVELS) assert.equal(parseServerConfig({ logLevel: level }, {}).logLevel, level);
  });

  test('an unknown log level is a ConfigError naming --log-level and the choices', () => {
    for (const bad of ['verbose', 'INFO', '', 'warning']) {
      configError(() => parseServerConfig({ logLevel: bad }, {}), '--log-level');
    }
    configError(() => parseServerConfig({}, { PADDOCK_LOG_LEVEL: 'loud' }), 'debug');
  });

  test('--tls-cert without --tls-key (or the reverse) is a ConfigError', () => {
    configError(() => parseServerConfig({ tlsCert: 'c.pem' }, {}), '--tls-cert');
    configError(() => parseServerConfig({ tlsKey: 'k.pem' }, {}), '--tls-key');
    configError(() => parseServerConfig({ tlsCert: 'c.pem' }, { PADDOCK_DATA_DIR: '/x' }), '--tls-key');
    configError(() => parseServerConfig({}, { PADDOCK_TLS_KEY: 'k.pem' }), '--tls-cert');
  });

  test('the cert and key may come one from a flag and one from the environment', () => {
    const config = parseServerConfig({ tlsCert: '/c.pem' }, { PADDOCK_TLS_KEY: '/k.pem' });
    assert.deepEqual([config.tlsCert, config.tlsKey], ['/c.pem', '/k.pem']);
  });

  test('CATTLE_* variables become setting overrides by setting name', () => {
    const config = parseServerConfig({}, {
      CATTLE_SERVER_URL: 'https://from-env',
      CATTLE_AGENT_IMAGE: 'rancher/rancher-agent:v2.4.8',
      CATTLE_UI_PL: '',
      PADDOCK_LOG_LEVEL: 'info',
      HOME: '/root',
      cattle_lower: 'ignored',
      XCATTLE_Y: 'ignored',
      CATTLE_UNSET: undefined,
    });
    assert.deepEqual(config.settingsFromEnv, {
      'server-url': 'https://from-env',
      'agent-image': 'rancher/rancher-agent:v2.4.8',
      'ui-pl': '',
    });
    assert.equal(config.serverUrl, undefined, 'CATTLE_SERVER_URL is a setting, not the --server-url flag');
  });

  test('the environment object is not modified', () => {
    const env = { PADDOCK_HTTPS_PORT: '8443', CATTLE_X: 'y' };
    parseServerConfig({}, env);
    assert.deepEqual(env, { PADDOCK_HTTPS_PORT: '8443', CATTLE_X: 'y' });
  });
});
