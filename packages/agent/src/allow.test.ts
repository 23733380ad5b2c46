import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allowRuleMatches, parseAllowRule, type AllowRule } from './allow.js';

const rule = (spec: string): AllowRule => {
  const parsed = parseAllowRule(spec);
  assert.ok(typeof parsed !== 'string', `${spec}: ${String(parsed)}`);
  return parsed;
};

describe('parseAllowRule', () => {
  test('CIDRs, bare IPs, host:port', () => {
    assert.deepEqual(parseAllowRule('10.0.0.0/8'), { kind: 'cidr', spec: '10.0.0.0/8', family: 'ipv4', network: '10.0.0.0', prefix: 8 });
    assert.deepEqual(parseAllowRule('fd00::/64'), { kind: 'cidr', spec: 'fd00::/64', family: 'ipv6', network: 'fd00::', prefix: 64 });
    assert.deepEqual(parseAllowRule('10.1.2.3'), { kind: 'cidr', spec: '10.1.2.3', family: 'ipv4', network: '10.1.2.3', prefix: 32 });
    assert.deepEqual(parseAllowRule('DB.Internal:5432'), { kind: 'hostPort', spec: 'DB.Internal:5432', host: 'db.internal', port: 5432 });
    assert.deepEqual(parseAllowRule('10.0.0.1:6443'), { kind: 'hostPort', spec: '10.0.0.1:6443', host: '10.0.0.1', port: 6443 });
    assert.deepEqual(parseAllowRule('[fd00::1]:6443'), { kind: 'hostPort', spec: '[fd00::1]:6443', host: 'fd00::1', port: 6443 });
    // Without brackets an IPv6 address with a port is just another IPv6 address.
    assert.deepEqual(parseAllowRule('fd00::1:80'), { kind: 'cidr', spec: 'fd00::1:80', family: 'ipv6', network: 'fd00::1:80', prefix: 128 });
  });

  test('malformed entries give a message quoting them', () => {
    for (const [spec, fragment] of [
      ['db.internal', 'expected a CIDR'],
      ['10.0.0.0/33', 'prefix length must be 0 to 32'],
      ['fd00::/129', 'prefix length must be 0 to 128'],
      ['10.0.0.0/x', 'prefix length'],
      ['nonsense/8', 'expected a CIDR'],
      ['db:0', 'port must be 1 to 65535'],
      ['db:70000', 'port must be 1 to 65535'],
      ['db:', 'expected a CIDR'],
      ['bad_host:80', 'not a host name'],
      ['[db]:80', 'not a host name'],
    ] as const) {
      const result = parseAllowRule(spec);
      assert.equal(typeof result, 'string', spec);
      assert.ok(String(result).includes(`"${spec}"`) && String(result).includes(fragment), `${spec}: ${String(result)}`);
    }
  });
});

describe('allowRuleMatches', () => {
  test('a CIDR covers every port of its addresses, and no host names', () => {
    const r = rule('10.0.0.0/8');
    assert.equal(allowRuleMatches(r, '10.200.1.1', 22), true);
    assert.equal(allowRuleMatches(r, '11.0.0.1', 22), false);
    assert.equal(allowRuleMatches(r, 'ten.example', 22), false);
    assert.equal(allowRuleMatches(rule('fd00::/64'), '[fd00::42]', 443), true);
    assert.equal(allowRuleMatches(rule('fd00::/64'), 'fd00:0:0:1::1', 443), false);
  });

  test('host:port covers exactly that host and port', () => {
    const r = rule('db.internal:5432');
    assert.equal(allowRuleMatches(r, 'DB.internal', 5432), true);
    assert.equal(allowRuleMatches(r, 'db.internal', 5433), false);
    assert.equal(allowRuleMatches(r, 'other', 5432), false);
    assert.equal(allowRuleMatches(rule('[fd00::1]:6443'), '[fd00::1]', 6443), true);
  });
});
