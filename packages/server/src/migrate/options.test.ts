import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MigrateError } from './errors.js';
import { parseMigrateConfig } from './options.js';

/** Asserts a MigrateError whose message starts with `flag`. */
function refused(fn: () => unknown, flag: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof MigrateError, `expected a MigrateError, got ${String(err)}`);
    assert.ok(err.message.startsWith(`${flag}`), `"${err.message}" starts with ${flag}`);
    return true;
  });
}

describe('parseMigrateConfig', () => {
  test('--from, --to and the etcd flags, parsed as paddock server parses them', () => {
    const config = parseMigrateConfig(
      { from: '/srv/paddock', to: ' https://10.0.0.1:2379, https://10.0.0.2:2379 ', etcdCafile: '/ca.pem', etcdCertfile: '/c.pem', etcdKeyfile: '/k.pem', etcdPrefix: '/p2' },
      {},
    );
    assert.deepEqual(config, {
      from: '/srv/paddock',
      to: { type: 'etcd', endpoints: ['https://10.0.0.1:2379', 'https://10.0.0.2:2379'], prefix: '/p2', caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' },
      force: false,
    });
    assert.equal(parseMigrateConfig({ from: 'd', to: 'http://a:1', force: true }, {}).force, true);
    assert.equal(parseMigrateConfig({ from: 'd', to: 'http://a:1' }, {}).to.prefix, '/paddock');
  });

  test('the server\'s environment variables: PADDOCK_ETCD_ENDPOINTS for --to, PADDOCK_ETCD_* for the rest', () => {
    const config = parseMigrateConfig({ from: 'd' }, { PADDOCK_ETCD_ENDPOINTS: 'http://e:2379', PADDOCK_ETCD_PREFIX: '/from-env' });
    assert.deepEqual([config.to.endpoints, config.to.prefix], [['http://e:2379'], '/from-env']);
    assert.equal(parseMigrateConfig({ from: 'd', to: 'http://flag:1' }, { PADDOCK_ETCD_ENDPOINTS: 'http://env:1' }).to.endpoints[0], 'http://flag:1');
  });

  test('ignores the rest of the environment: a server variable that is wrong does not stop a migration', () => {
    const config = parseMigrateConfig({ from: 'd', to: 'http://a:1' }, { PADDOCK_HTTPS_PORT: 'many', CATTLE_SERVER_URL: 'not a url', PADDOCK_DATASTORE: 'mysql' });
    assert.deepEqual(config.to.endpoints, ['http://a:1']);
  });

  test('a missing or bad value is refused naming the migrate flag', () => {
    refused(() => parseMigrateConfig({ to: 'http://a:1' }, {}), '--from');
    refused(() => parseMigrateConfig({ from: 'd' }, {}), '--to');
    refused(() => parseMigrateConfig({ from: 'd', to: 'localhost:2379' }, {}), '--to');
    refused(() => parseMigrateConfig({ from: 'd', to: 'http://a:1,https://b:2' }, {}), '--to');
    refused(() => parseMigrateConfig({ from: 'd', to: 'https://a:1', etcdCertfile: '/c.pem' }, {}), '--etcd-certfile');
    refused(() => parseMigrateConfig({ from: 'd', to: 'http://a:1', etcdCafile: '/ca.pem' }, {}), '--etcd-cafile');
    refused(() => parseMigrateConfig({ from: 'd', to: 'http://a:1', etcdPrefix: 'paddock' }, {}), '--etcd-prefix');
  });
});
