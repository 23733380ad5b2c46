import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex, type Writable } from 'node:stream';
import { dialTcp } from './dial.js';
import { TunnelStreamError } from './errors.js';
import { MessageType, decodeFrame, encodeFrame, type Frame } from './frame.js';
import { DEFAULT_LIMITS } from './limits.js';
import { TestEnv, nextEvent, pattern, readAll, streamError, waitFor } from './testing/harness.js';

const MiB = 1024 * 1024;

/** A dial target whose reading the test controls: it accepts nothing until `release()`. */
class StuckTarget extends Duplex {
  received = 0;
  #held: (() => void)[] = [];
  #released = false;

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.received += chunk.length;
    if (this.#released) callback();
    else this.#held.push(callback);
  }

  release(): void {
    this.#released = true;
    for (const callback of this.#held.splice(0)) callback();
  }
}

/**
 * Writes `total` bytes as fast as `write()` allows (waiting for 'drain' when it says so); `acked` counts
 * bytes whose write callback fired, `blocked` says it is waiting for 'drain'.
 */
function flood(stream: Writable, total: number, chunkSize = 64 * 1024) {
  const state = { acked: 0, blocked: false, done: false, failed: undefined as Error | undefined };
  const chunk = Buffer.alloc(chunkSize, 0x5a);
  const finished = (async () => {
    let written = 0;
    while (written < total) {
      const size = Math.min(chunkSize, total - written);
      written += size;
      const onWritten = (err?: Error | null) => {
        if (err) state.failed ??= err;
        else state.acked += size;
      };
      if (!stream.write(chunk.subarray(0, size), onWritten)) {
        state.blocked = true;
        await nextEvent(stream, 'drain');
        state.blocked = false;
      }
    }
    await new Promise<void>((resolve) => stream.end(resolve));
    state.done = true;
  })();
  return { state, finished };
}

/**
 * Waits until `value()` has not changed for 300 ms and 40 polls: the flow has stalled. Both ends run in
 * this process, so many turns of the event loop without progress mean stalled, not just slow.
 */
async function waitForStall(value: () => number, what: string): Promise<number> {
  let last = -1;
  let since = Date.now();
  let polls = 0;
  await waitFor(() => {
    const now = value();
    if (now !== last) {
      last = now;
      since = Date.now();
      polls = 0;
    }
    return ++polls > 40 && Date.now() - since > 300;
  }, what, 30_000);
  return last;
}

describe('backpressure', () => {
  test('a stream whose reader never reads stops its writer, and only it', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { port } = await env.echoServer();
    const stuck = new StuckTarget();
    const { server, client } = await env.tunnelPair({
      client: { dial: (target, signal) => (target.port === 1111 ? Promise.resolve(stuck) : dialTcp(target, signal)) },
    });
    const slow = await server.open({ host: '127.0.0.1', port: 1111 });
    let slowError: Error | undefined;
    slow.on('error', (err) => (slowError ??= err));
    const writer = flood(slow, 64 * MiB);

    const acked = await waitForStall(() => writer.state.acked, 'the writer to stall');
    assert.equal(writer.state.blocked, true, 'write() returned false and no drain came');
    // Bounded by the receiving stream's window plus the one 64 KiB chunk the target took (and holds):
    // the sender never has more credit than that, whatever the sockets in between could buffer.
    assert.ok(acked <= DEFAULT_LIMITS.streamWindowBytes + 64 * 1024, `acked ${acked} bytes`);
    assert.ok(slow.writableLength <= slow.writableHighWaterMark + 64 * 1024, 'the writable buffer is bounded');

    // Another stream on the same session keeps flowing meanwhile.
    const other = await server.open({ host: '127.0.0.1', port });
    const payload = pattern(8 * MiB, 7);
    const echoed = readAll(other);
    other.end(payload);
    assert.ok((await echoed).equals(payload), 'the other stream carried 8 MiB intact');
    assert.equal(writer.state.acked, acked, 'the stuck writer made no progress meanwhile');
    assert.equal(client.streamCount, 1);

    // Once the target reads, everything flows and nothing was lost.
    stuck.release();
    await writer.finished;
    await waitFor(() => stuck.received === 64 * MiB, 'the target to get all 64 MiB');
    assert.equal(slowError, undefined, 'the paused stream was never closed');
  });

  test('closing the session fails a held write', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const stuck = new StuckTarget();
    const limits = { streamWindowBytes: 16 * 1024 };
    const { server } = await env.tunnelPair({ server: { limits }, client: { limits, dial: () => Promise.resolve(stuck) } });
    const slow = await server.open({ host: '127.0.0.1', port: 1111 });
    const failed = streamError(slow);
    const writer = flood(slow, 64 * MiB);
    await waitForStall(() => writer.state.acked, 'the writer to stall');
    server.close('bye');
    assert.equal((await failed).message, 'tunnel closed: bye');
    await waitFor(() => writer.state.failed !== undefined, 'the held write to fail');
    assert.equal(writer.state.failed?.message, 'tunnel closed: bye');
  });

  test('a slow websocket makes writers wait instead of buffering', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    let received = 0;
    const { port } = await env.tcpServer((socket) => socket.on('data', (chunk: Buffer) => (received += chunk.length)));
    const { client, serverSide, clientWs } = await env.tunnelPair({ server: { dial: dialTcp } });
    const stream = await client.open({ host: '127.0.0.1', port });
    stream.on('error', () => undefined); // closed when the test ends

    serverSide.ws.pause(); // the server stops reading: the network looks stalled to the client
    const writer = flood(stream, 256 * MiB);
    const acked = await waitForStall(() => writer.state.acked, 'the writer to stall');
    assert.equal(writer.state.blocked, true);
    assert.ok(acked < 256 * MiB);
    const limit = DEFAULT_LIMITS.sessionBufferBytes + DEFAULT_LIMITS.maxFrameBytes + 64;
    assert.ok(clientWs.bufferedAmount <= limit, `websocket buffer ${clientWs.bufferedAmount} <= ${limit}`);

    serverSide.ws.resume();
    await writer.finished;
    await waitFor(() => received === 256 * MiB, 'the target to get everything');
  });

  test('data nobody reads stays within the window, however much the sockets could hold', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    let offered = 0;
    const { port } = await env.tcpServer((socket) => {
      const chunk = Buffer.alloc(64 * 1024, 0x42);
      const pump = () => {
        while (offered < 256 * MiB && socket.write(chunk)) offered += chunk.length;
        if (offered < 256 * MiB) socket.once('drain', pump);
      };
      pump();
    });
    const { server } = await env.tunnelPair();
    const stream = await server.open({ host: '127.0.0.1', port });
    stream.pause();
    await waitForStall(() => offered, 'the source to be held back');
    assert.ok(stream.readableLength <= DEFAULT_LIMITS.streamWindowBytes, `${stream.readableLength} bytes wait, window ${DEFAULT_LIMITS.streamWindowBytes}`);
    assert.ok(offered < 256 * MiB, 'the source was held back by TCP, through the tunnel');
    stream.destroy();
  });

  test('a reader that lets the window fill, then drains it with read(), gets everything', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const payload = pattern(16 * MiB, 11);
    const { port } = await env.tcpServer((socket) => socket.end(payload));
    const limits = { streamWindowBytes: 256 * 1024 };
    const { server } = await env.tunnelPair({ server: { limits }, client: { limits } });
    const stream = await server.open({ host: '127.0.0.1', port });
    stream.on('error', () => undefined); // its writable side is closed when the test ends
    const chunks: Buffer[] = [];
    let ended = false;
    stream.once('end', () => (ended = true));
    // Paused mode: nothing is read until the window is full (or the stream ended), then all of it at once.
    // Node does not call _read while the buffer drains this way, so only read() can grant the credit back.
    while (!ended) {
      await waitFor(() => stream.readableLength >= limits.streamWindowBytes - 64 * 1024 || stream.readableEnded || ended, 'the window to fill');
      for (let chunk = stream.read() as Buffer | null; chunk !== null; chunk = stream.read() as Buffer | null) chunks.push(chunk);
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(Buffer.concat(chunks).equals(payload), 'all 16 MiB arrived intact');
  });
});

describe('a peer that breaks flow control', () => {
  const limits = { streamWindowBytes: 16 * 1024, maxFrameBytes: 16 * 1024 };

  /** A raw websocket peer answering the client session's Connect with Connected, then running `act`. */
  async function rawPeer(env: TestEnv, act: (send: (frame: Frame) => void, streamId: number) => void) {
    const received: Frame[] = [];
    const { url } = await env.wsServer((ws) => {
      const send = (frame: Frame) => ws.send(encodeFrame(frame));
      ws.on('message', (data: Buffer) => {
        const frame = decodeFrame(data);
        received.push(frame);
        if (frame.type === MessageType.Connect) {
          send({ type: MessageType.Connected, streamId: frame.streamId });
          act(send, frame.streamId);
        }
      });
    });
    const { session } = await env.tunnelClient(url, { limits: { ...limits, syncIntervalMs: 0 } });
    const stream = await session.open({ host: 'example.test', port: 80 });
    stream.on('error', () => undefined); // closed when the test ends, or by the test's own doing
    return { session, stream, received };
  }

  const dataSizes = (frames: Frame[]) => frames.flatMap((f) => (f.type === MessageType.Data ? [f.data.length] : []));

  test('sending beyond the granted window gets the stream closed', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { session, stream, received } = await rawPeer(env, (send, streamId) => {
      for (let i = 0; i < 10; i++) send({ type: MessageType.Data, streamId, data: Buffer.alloc(16 * 1024) });
    });
    const err = await streamError(stream); // never read
    assert.ok(err instanceof TunnelStreamError);
    assert.equal(err.message, 'peer ignores flow control: sent 16384 bytes with 0 left of a 16384-byte window');
    await waitFor(() => received.some((f) => f.type === MessageType.Close), 'the Close frame');
    const types = received.map((f) => f.type);
    assert.ok(types.indexOf(MessageType.Window) < types.indexOf(MessageType.Close), 'the window was granted first');
    assert.deepEqual(received.find((f) => f.type === MessageType.Window), { type: MessageType.Window, streamId: stream.id, bytes: 16 * 1024 });
    const close = received.find((f) => f.type === MessageType.Close);
    assert.match(close?.type === MessageType.Close ? close.reason : '', /peer ignores flow control/);
    assert.equal(session.closed, false, 'only the stream is closed');
    assert.equal(session.streamCount, 0);
  });

  test('a Data frame above maxFrameBytes gets the stream closed', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { session, stream } = await rawPeer(env, (send, streamId) => {
      send({ type: MessageType.Data, streamId, data: Buffer.alloc(16 * 1024 + 1) });
    });
    const err = await streamError(stream);
    assert.equal(err.message, 'Data frame of 16385 bytes exceeds the limit of 16384');
    assert.equal(session.closed, false);
  });

  test('writes larger than maxFrameBytes are cut into frames', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { stream, received } = await rawPeer(env, (send, streamId) => send({ type: MessageType.Window, streamId, bytes: MiB }));
    stream.end(Buffer.alloc(40 * 1024, 1));
    await waitFor(() => received.some((f) => f.type === MessageType.End), 'the End frame');
    assert.deepEqual(dataSizes(received), [16 * 1024, 16 * 1024, 8 * 1024]);
  });

  test('nothing is sent beyond the credit: a write waits for the next Window', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    let grant = (_bytes: number): void => undefined;
    const { stream, received } = await rawPeer(env, (send, streamId) => {
      grant = (bytes) => send({ type: MessageType.Window, streamId, bytes });
    });
    grant(20 * 1024);
    let written = false;
    stream.write(Buffer.alloc(40 * 1024, 2), () => (written = true));
    await waitFor(() => dataSizes(received).length === 2, 'the first 20 KiB');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(dataSizes(received), [16 * 1024, 4 * 1024], 'cut to the credit, then nothing more');
    assert.equal(written, false, 'the write is held');
    grant(20 * 1024);
    await waitFor(() => written, 'the write to complete');
    assert.deepEqual(dataSizes(received), [16 * 1024, 4 * 1024, 16 * 1024, 4 * 1024]);
  });
});
