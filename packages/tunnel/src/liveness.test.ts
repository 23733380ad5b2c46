import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TunnelStreamError } from './errors.js';
import { TestEnv, nextEvent, streamError } from './testing/harness.js';

describe('liveness', () => {
  test('a peer that stops answering pings is detected and the session closed', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { port } = await env.echoServer();
    // The server side neither answers pings (autoPong: false) nor sends any of its own.
    const { server, client } = await env.tunnelPair({
      wsServer: { autoPong: false },
      server: { limits: { pingIntervalMs: 0 } },
      client: { limits: { pingIntervalMs: 20, pingTimeoutMs: 300 } },
    });
    const stream = await server.open({ host: '127.0.0.1', port });
    assert.equal(client.streamCount, 1);
    const [reason] = await nextEvent<[string]>(client, 'close');
    assert.equal(reason, 'ping timeout after 300 ms');
    assert.equal(client.closed, true);
    assert.equal(client.streamCount, 0);
    // terminate() drops the TCP connection, so the server learns at once.
    const err = await streamError(stream);
    assert.ok(err instanceof TunnelStreamError);
    assert.match(err.message, /^tunnel closed: websocket closed \(1006\)$/);
    assert.equal(server.closed, true);
  });

  test('answered pings keep an idle session up', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const limits = { pingIntervalMs: 20, pingTimeoutMs: 1_000 };
    const { server, client } = await env.tunnelPair({ server: { limits }, client: { limits } });
    const before = client.lastSeen;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(client.closed, false);
    assert.equal(server.closed, false);
    assert.ok(client.lastSeen > before, 'pongs and pings count as traffic');
  });
});
