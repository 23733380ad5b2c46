import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AddressError, defaultAddress, defaultRouteInterface, readHostNetwork, resolveAddress } from './address.js';
import { ipv4, routeTable, TEST_NETWORK } from './testing/network.js';

describe('defaultRouteInterface', () => {
  test('the up default route with the lowest metric', () => {
    assert.equal(defaultRouteInterface(TEST_NETWORK.routeTable ?? ''), 'eth1');
  });

  test('ignores routes that are down or not default', () => {
    const table = routeTable([
      ['eth0', '0000000A', '0001', 0, '000000FF'],
      ['eth1', '00000000', '0002', 0, '00000000'],
      ['eth2', '00000000', '0003', 600, '00000000'],
    ]);
    assert.equal(defaultRouteInterface(table), 'eth2');
  });

  test('none in a table without a default route, or an empty one', () => {
    assert.equal(defaultRouteInterface(routeTable([['eth0', '0000000A', '0001', 0, '000000FF']])), undefined);
    assert.equal(defaultRouteInterface(''), undefined);
  });
});

describe('defaultAddress', () => {
  test("the default route's interface, else the first non-internal IPv4", () => {
    assert.equal(defaultAddress(TEST_NETWORK), '192.168.1.7');
    assert.equal(defaultAddress({ ...TEST_NETWORK, routeTable: '' }), '10.0.0.5');
  });

  test('a default route through an interface without IPv4 falls back too', () => {
    const table = routeTable([['wg0', '00000000', '0003', 0, '00000000']]);
    assert.equal(defaultAddress({ ...TEST_NETWORK, routeTable: table }), '10.0.0.5');
  });

  test('nothing but loopback is an AddressError', () => {
    assert.throws(() => defaultAddress({ interfaces: { lo: [ipv4('127.0.0.1', true)] }, routeTable: undefined }), AddressError);
  });

  test('this machine has one (read from /proc/net/route and os.networkInterfaces())', () => {
    const net = readHostNetwork();
    assert.ok(Object.keys(net.interfaces).length > 0);
    const address = defaultAddress(net);
    const all = Object.values(net.interfaces).flatMap((infos) => infos ?? []).map((i) => i.address);
    assert.ok(all.includes(address), `${address} is on this machine`);
  });
});

describe('resolveAddress', () => {
  test('IPs as given, interface names to their first IPv4', () => {
    assert.equal(resolveAddress('198.51.100.3', TEST_NETWORK), '198.51.100.3');
    assert.equal(resolveAddress('2001:db8::1', TEST_NETWORK), '2001:db8::1');
    assert.equal(resolveAddress('[2001:db8::1]', TEST_NETWORK), '2001:db8::1');
    assert.equal(resolveAddress('eth0', TEST_NETWORK), '10.0.0.5');
  });

  test('what cannot be resolved', () => {
    assert.throws(() => resolveAddress('eth7', TEST_NETWORK), /neither an IP address nor a network interface/);
    assert.throws(() => resolveAddress('wg0', TEST_NETWORK), /no IPv4 address/);
    assert.throws(() => resolveAddress('gceexternal', TEST_NETWORK), /cloud metadata/);
    assert.throws(() => resolveAddress('300.1.1.1', TEST_NETWORK), AddressError);
  });
});
