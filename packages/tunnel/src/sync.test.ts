import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebSocket } from 'ws';
import { TunnelStreamError } from './errors.js';
import { MessageType, decodeFrame, encodeFrame, type Frame } from './frame.js';
import type { TunnelLimits } from './limits.js';
import { TestEnv, streamError, waitFor } from './testing/harness.js';

/** A raw websocket server that accepts every Connect; returns the client session connected to it. */
async function rawServer(env: TestEnv, limits: Partial<TunnelLimits>) {
  const received: Frame[] = [];
  let peer: WebSocket | undefined;
  const { url } = await env.wsServer((ws) => {
    peer = ws;
    ws.on('message', (data: Buffer) => {
      const frame = decodeFrame(data);
      received.push(frame);
      if (frame.type === MessageType.Connect) ws.send(encodeFrame({ type: MessageType.Connected, streamId: frame.streamId }));
    });
  });
  const { session } = await env.tunnelClient(url, { limits });
  const send = (frame: Frame) => peer!.send(encodeFrame(frame));
  return { session, received, send };
}

describe('SyncStreams', () => {
  test('a stream the peer no longer has is closed; listed ones stay', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { session, send } = await rawServer(env, { syncGraceMs: 0, syncIntervalMs: 0 });
    const stale = await session.open({ host: 'a.test', port: 1 });
    const live = await session.open({ host: 'b.test', port: 2 });
    live.on('error', () => undefined);
    assert.equal(session.streamCount, 2);

    send({ type: MessageType.SyncStreams, streamId: 0, streamIds: [live.id, 999] });
    const err = await streamError(stale);
    assert.ok(err instanceof TunnelStreamError);
    assert.equal(err.message, 'stream unknown to the peer (closed by SyncStreams)');
    assert.equal(session.streamCount, 1);
    assert.equal(live.destroyed, false);
  });

  test('streams younger than the grace period are spared', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { session, send, received } = await rawServer(env, { syncGraceMs: 60_000, syncIntervalMs: 0 });
    const young = await session.open({ host: 'a.test', port: 1 });
    young.on('error', () => undefined);
    send({ type: MessageType.SyncStreams, streamId: 0, streamIds: [] });
    // A Data frame sent after the sync is answered only once the sync has been handled.
    send({ type: MessageType.Data, streamId: 4242, data: Buffer.from('x') });
    await waitFor(() => received.some((f) => f.type === MessageType.Close && f.streamId === 4242), 'the sync to be handled');
    assert.equal(young.destroyed, false);
    assert.equal(session.streamCount, 1);
  });

  test('each side sends its live stream ids periodically', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { session, received } = await rawServer(env, { syncIntervalMs: 20 });
    const stream = await session.open({ host: 'a.test', port: 1 });
    stream.on('error', () => undefined);
    await waitFor(
      () => received.some((f) => f.type === MessageType.SyncStreams && f.streamIds.length === 1 && f.streamIds[0] === stream.id),
      'a SyncStreams frame listing the stream',
    );
  });
});
