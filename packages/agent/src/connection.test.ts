// keepConnected against plain ws servers standing in for replicas: the order it tries them, what it sends.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { TunnelLogFn } from '@paddock/tunnel';
import { WebSocketServer } from 'ws';
import { Backoff } from './backoff.js';
import { keepConnected } from './connection.js';
import { closedPort } from './testing/network.js';
import { TrustError } from './trust.js';

interface Visit {
  replica: string;
  path: string;
  nodeId: unknown;
}

/** A replica that answers register with a node id, and closes each tunnel once it opens. */
async function replica(name: string, visits: Visit[]) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  wss.on('headers', (headers, req) => {
    if (req.url === '/v3/connect/register') headers.push('x-paddock-node-id: node-1');
  });
  wss.on('connection', (ws, req) => {
    const params = JSON.parse(Buffer.from(String(req.headers['x-api-tunnel-params']), 'base64').toString('utf8'));
    visits.push({ replica: name, path: req.url ?? '', nodeId: params.nodeId });
    ws.close(1012, `${name} restarting`);
  });
  return { url: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`, close: () => new Promise((r) => wss.close(r)) };
}

test('moves on to the next server at once, registers once, and checks each server before connecting to it', async () => {
  const visits: Visit[] = [];
  const stop = new AbortController();
  const a = await replica('a', visits);
  const b = await replica('b', visits);
  const dead = `http://127.0.0.1:${await closedPort()}`;
  const untrusted = await replica('untrusted', visits);
  const checked: string[] = [];
  const logs: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const record = (level: string): TunnelLogFn => (fields: unknown, msg?: unknown) => {
    logs.push({ level, fields: fields as Record<string, unknown>, msg: String(msg) });
    if (logs.filter((l) => l.msg === 'connected').length === 3) stop.abort();
  };
  const started = Date.now();
  try {
    const outcome = await keepConnected({
      server: [dead, a.url, untrusted.url, b.url],
      token: 't',
      ca: async (server) => {
        checked.push(server);
        if (server === untrusted.url) throw new TrustError(`the CA certificate from ${server} has checksum x, expected y`);
        return undefined;
      },
      params: { nodeName: 'n' },
      allow: () => true,
      logger: { debug: () => undefined, info: record('info'), warn: record('warn'), error: record('error') },
      // A wait would be 10 s: the test passing quickly shows none happened within a round.
      backoff: new Backoff({ baseMs: 10_000, random: () => 1 }),
      signal: stop.signal,
    });
    assert.deepEqual(outcome, { kind: 'stopped' });
  } finally {
    await Promise.all([a.close(), b.close(), untrusted.close()]);
  }
  assert.ok(Date.now() - started < 5_000, 'no backoff between servers of one round');
  // Registered on a; b and then a again are reached with the node id a gave.
  assert.deepEqual(visits, [
    { replica: 'a', path: '/v3/connect/register', nodeId: undefined },
    { replica: 'b', path: '/v3/connect', nodeId: 'node-1' },
    { replica: 'a', path: '/v3/connect', nodeId: 'node-1' },
  ]);
  assert.deepEqual(checked, [dead, a.url, untrusted.url, b.url, dead, a.url]);
  const connected = logs.filter((l) => l.msg === 'connected').map((l) => l.fields.server);
  assert.deepEqual(connected, [a.url, b.url, a.url]);
  assert.ok(logs.some((l) => l.level === 'error' && l.fields.server === untrusted.url && /fails the CA check/.test(l.msg)));
  assert.ok(logs.some((l) => l.level === 'warn' && l.fields.server === dead && /^cannot reach the server: .*ECONNREFUSED/.test(l.msg)));
});
