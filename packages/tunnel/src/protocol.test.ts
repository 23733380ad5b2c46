import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebSocket } from 'ws';
import { TunnelDialError } from './errors.js';
import { MessageType, PROTOCOL_VERSION, encodeFrame } from './frame.js';
import { TestEnv, nextEvent, readAll } from './testing/harness.js';

/** Sends `message` from a raw websocket client and returns how the server ended both the socket and its session. */
async function sendBad(env: TestEnv, url: string, message: Buffer | string): Promise<{ code: number; reason: string; ws: WebSocket }> {
  const ws = await env.wsClient(url);
  const closed = nextEvent<[number, Buffer]>(ws, 'close');
  ws.send(message);
  const [code, reason] = await closed;
  return { code, reason: reason.toString(), ws };
}

describe('protocol errors', () => {
  const cases: [string, Buffer | string, string][] = [
    ['a text message', 'hello', 'protocol error: a text websocket message (the tunnel speaks binary frames only)'],
    ['an unknown message type', Buffer.from([PROTOCOL_VERSION, 99, 1]), 'protocol error: unknown message type: 99'],
    ['another protocol version', Buffer.from([1, MessageType.Data, 1, 0x41]), `protocol error: unsupported protocol version: got 1, expected ${PROTOCOL_VERSION}`],
    ['a malformed varint', Buffer.from([PROTOCOL_VERSION, MessageType.Data, 0xff, 0xff]), 'protocol error: malformed varint: truncated'],
    ['a Connect with an id of the server\'s range', encodeFrame({ type: MessageType.Connect, streamId: 3, address: 'tcp/127.0.0.1:1' }), "protocol error: stream id not allowed here: peer opened stream 3, an id of this side's range"],
  ];

  for (const [what, message, expected] of cases) {
    test(`${what} closes that session with 1002 and a reason; other sessions keep working`, async (t) => {
      const env = new TestEnv();
      t.after(() => env.close());
      const { port } = await env.echoServer();
      const { url, accepted } = await env.tunnelServer();
      const { session: good } = await env.tunnelClient(url);

      const { code, reason } = await sendBad(env, url, message);
      assert.equal(code, 1002);
      assert.equal(reason, expected);
      const bad = accepted[1]!.session;
      assert.equal(bad.closed, true);
      assert.equal(bad.closeReason, expected);

      assert.equal(good.closed, false);
      const stream = await accepted[0]!.session.open({ host: '127.0.0.1', port });
      stream.end('still here');
      assert.equal((await readAll(stream)).toString(), 'still here');
    });
  }

  test('a reused stream id is fatal', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { url, accepted } = await env.tunnelServer();
    const ws = await env.wsClient(url);
    const closed = nextEvent<[number, Buffer]>(ws, 'close');
    ws.send(encodeFrame({ type: MessageType.Connect, streamId: 4, address: 'tcp/127.0.0.1:1' }));
    ws.send(encodeFrame({ type: MessageType.Connect, streamId: 2, address: 'tcp/127.0.0.1:1' }));
    const [code, reason] = await closed;
    assert.equal(code, 1002);
    assert.equal(reason.toString(), 'protocol error: stream id not allowed here: peer reused stream id 2');
    assert.equal(accepted[0]!.session.closed, true);
  });

  test('the client role treats a bad frame from the server the same way', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    // Answers the first Connect with a frame of an unknown type.
    const { url } = await env.wsServer((ws) => ws.once('message', () => ws.send(Buffer.from([PROTOCOL_VERSION, 42, 1]))));
    const { session } = await env.tunnelClient(url);
    const closed = nextEvent<[string]>(session, 'close');
    await assert.rejects(session.open({ host: 'a.test', port: 1 }), (err: unknown) => err instanceof TunnelDialError && err.kind === 'closed');
    const [reason] = await closed;
    assert.equal(reason, 'protocol error: unknown message type: 42');
  });
});
