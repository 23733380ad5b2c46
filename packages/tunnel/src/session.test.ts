import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dialTcp } from './dial.js';
import { TunnelDialError, TunnelStreamError } from './errors.js';
import { MessageType, decodeFrame, encodeFrame } from './frame.js';
import { TestEnv, nextEvent, pattern, readAll, streamError, waitFor } from './testing/harness.js';

describe('TunnelSession streams', () => {
  test('open + echo through the tunnel', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { port } = await env.echoServer();
    const { server, client } = await env.tunnelPair();

    const stream = await server.open({ host: '127.0.0.1', port });
    assert.equal(server.streamCount, 1);
    await waitFor(() => client.streamCount === 1, 'the client to hold the stream');
    stream.end('hello tunnel');
    assert.equal((await readAll(stream)).toString(), 'hello tunnel');
    await waitFor(() => server.streamCount === 0 && client.streamCount === 0, 'both sides to release the stream');
    assert.ok(server.lastSeen > 0 && server.lastSeen <= Date.now());
  });

  test('the client role can open too, and a "host:port" string works', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { port } = await env.echoServer();
    const { client } = await env.tunnelPair({ server: { dial: dialTcp } });
    const stream = await client.open(`127.0.0.1:${port}`);
    assert.equal(stream.id % 2, 0, 'client ids are even');
    stream.end('from the agent side');
    assert.equal((await readAll(stream)).toString(), 'from the agent side');
  });

  test('50 concurrent streams each carry their own data intact', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { port } = await env.echoServer();
    const { server } = await env.tunnelPair();

    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const payload = pattern(50_000 + i * 3_001, i);
        const stream = await server.open({ host: '127.0.0.1', port });
        assert.equal(stream.id % 2, 1, 'server ids are odd');
        const received = readAll(stream);
        // Several writes of odd sizes, so frames of different streams interleave.
        for (let offset = 0; offset < payload.length; offset += 7_777) stream.write(payload.subarray(offset, offset + 7_777));
        stream.end();
        return { payload, received: await received };
      }),
    );
    for (const [i, { payload, received }] of results.entries()) assert.ok(payload.equals(received), `stream ${i} intact`);
  });

  test('half-close: the client ends, the server\'s answer still arrives', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    // Answers only after the request side has ended, then closes.
    const { port } = await env.tcpServer((socket) => {
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('end', () => setTimeout(() => socket.end(`got ${Buffer.concat(chunks).length} bytes`), 20));
    });
    const { server } = await env.tunnelPair();
    const stream = await server.open({ host: '127.0.0.1', port });
    stream.end(Buffer.alloc(300_000, 7));
    await nextEvent(stream, 'finish');
    assert.equal(stream.writableFinished, true);
    assert.equal(stream.readableEnded, false, 'the readable side is still open after our End');
    assert.equal((await readAll(stream)).toString(), 'got 300000 bytes');
  });

  test('a target refused by the allow-list gives the reason', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { server, client } = await env.tunnelPair({
      client: { allow: (target) => (target.host === '127.0.0.1' ? true : `address ${target.host}:${target.port} not allowed`) },
    });
    const err = await server.open({ host: '10.0.0.9', port: 22 }).then(
      () => assert.fail('should be refused'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TunnelDialError);
    assert.equal(err.kind, 'refused');
    assert.equal(err.reason, 'address 10.0.0.9:22 not allowed');
    assert.match(err.message, /10\.0\.0\.9:22.*address 10\.0\.0\.9:22 not allowed/);
    assert.equal(server.streamCount, 0);
    assert.equal(client.streamCount, 0);
  });

  test('a failed dial gives the error text', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { server } = await env.tunnelPair();
    await assert.rejects(server.open({ host: '127.0.0.1', port: 1 }), (err: unknown) => {
      assert.ok(err instanceof TunnelDialError);
      assert.equal(err.kind, 'refused');
      assert.equal(err.reason, 'connect ECONNREFUSED 127.0.0.1:1');
      return true;
    });
  });

  test('without a dial function every Connect is refused', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { port } = await env.echoServer();
    const { client } = await env.tunnelPair();
    await assert.rejects(client.open({ host: '127.0.0.1', port }), (err: unknown) => err instanceof TunnelDialError && err.reason === 'this side does not dial');
  });

  test('a target with via is refused unless the side accepts via; then the dial function gets it', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { port } = await env.echoServer();
    const plain = await env.tunnelPair();
    await assert.rejects(plain.server.open({ host: '127.0.0.1', port, via: 'c-abc12:m-xyz34' }), (err: unknown) => err instanceof TunnelDialError && err.reason === 'this side does not forward (via)');
    const vias: (string | undefined)[] = [];
    const forwarding = await env.tunnelPair({ client: { acceptVia: true, dial: (target, signal) => (vias.push(target.via), dialTcp(target, signal)) } });
    const stream = await forwarding.server.open({ host: '127.0.0.1', port, via: 'c-abc12:m-xyz34' });
    stream.end('forwarded');
    assert.equal((await readAll(stream)).toString(), 'forwarded');
    assert.deepEqual(vias, ['c-abc12:m-xyz34']);
  });

  test('maxStreams: a Connect beyond it is refused, below it works again', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { port } = await env.echoServer();
    const { server } = await env.tunnelPair({ client: { limits: { maxStreams: 2 } } });
    const a = await server.open({ host: '127.0.0.1', port });
    const b = await server.open({ host: '127.0.0.1', port });
    await assert.rejects(server.open({ host: '127.0.0.1', port }), (err: unknown) => err instanceof TunnelDialError && err.reason === 'too many streams (limit 2)');
    a.destroy();
    await waitFor(() => server.streamCount === 1, 'the first stream to go');
    const c = await server.open({ host: '127.0.0.1', port });
    b.destroy();
    c.destroy();
  });

  test('open() times out and can be aborted; the peer is told to drop the stream', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    // A dial that never finishes until aborted.
    let aborted = 0;
    const { server, client } = await env.tunnelPair({
      client: {
        dial: (_target, signal) =>
          new Promise((_resolve, reject) => signal.addEventListener('abort', () => (aborted++, reject(signal.reason)))),
      },
    });
    await assert.rejects(server.open({ host: '127.0.0.1', port: 9 }, { timeoutMs: 50 }), (err: unknown) => err instanceof TunnelDialError && err.kind === 'timeout');
    const controller = new AbortController();
    const opening = server.open({ host: '127.0.0.1', port: 9 }, { signal: controller.signal });
    await waitFor(() => client.streamCount === 1, 'the client to start dialing');
    controller.abort(new Error('caller gave up'));
    await assert.rejects(opening, (err: unknown) => err instanceof TunnelDialError && err.kind === 'aborted' && err.reason === 'caller gave up');
    await waitFor(() => aborted === 2 && client.streamCount === 0 && server.streamCount === 0, 'both dials to be aborted');
  });

  test('closing the session errors every stream and rejects pending opens', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { port } = await env.echoServer();
    const { server, client } = await env.tunnelPair({
      client: { dial: (target, signal) => (target.port === 9 ? new Promise(() => undefined) : dialTcp(target, signal)) },
    });
    const streams = await Promise.all([1, 2, 3].map(() => server.open({ host: '127.0.0.1', port })));
    const errors = streams.map(streamError);
    const pending = server.open({ host: '127.0.0.1', port: 9 });
    await waitFor(() => client.streamCount === 4, 'the client to hold four streams');
    const clientClosed = nextEvent<[string]>(client, 'close');
    let closeEvents = 0;
    server.on('close', () => closeEvents++);

    server.close('going away');
    server.close('twice');
    assert.equal(server.closed, true);
    assert.equal(server.closeReason, 'going away');
    assert.equal(server.streamCount, 0);
    for (const err of await Promise.all(errors)) {
      assert.ok(err instanceof TunnelStreamError);
      assert.equal(err.message, 'tunnel closed: going away');
    }
    await assert.rejects(pending, (err: unknown) => err instanceof TunnelDialError && err.kind === 'closed' && err.reason === 'tunnel closed: going away');
    await assert.rejects(server.open({ host: '127.0.0.1', port }), (err: unknown) => err instanceof TunnelDialError && err.kind === 'closed');
    const [reason] = await clientClosed;
    assert.equal(reason, 'websocket closed by peer (1000): going away');
    assert.equal(client.streamCount, 0);
    assert.equal(closeEvents, 1);
  });

  test('a TCP reset of the target propagates to the opener', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { port } = await env.tcpServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    const { server } = await env.tunnelPair();
    const stream = await server.open({ host: '127.0.0.1', port });
    const failed = streamError(stream);
    stream.write('trigger');
    const err = await failed;
    assert.ok(err instanceof TunnelStreamError);
    assert.equal(err.code, 'ECONNRESET');
    assert.match(err.message, /ECONNRESET/);
    await waitFor(() => server.streamCount === 0, 'the stream to be released');
  });

  test('destroy(err) on the opener side closes the target connection', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    let targetClosed = false;
    const { port } = await env.tcpServer((socket) => socket.on('close', () => (targetClosed = true)));
    const { server, client } = await env.tunnelPair();
    const stream = await server.open({ host: '127.0.0.1', port });
    stream.on('error', () => undefined);
    stream.destroy(new Error('client went away'));
    await waitFor(() => targetClosed && client.streamCount === 0, 'the target socket to close');
  });

  test('streams work as http sockets (createConnection) and honour setTimeout', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const http = createHttpServer((req, res) => res.end(`you asked for ${req.url}`));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    env.defer(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const { port } = http.address() as AddressInfo;
    const { server } = await env.tunnelPair();

    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          path: '/healthz',
          headers: { host: `127.0.0.1:${port}` },
          createConnection: ((_opts: unknown, cb: (err: Error | null, socket?: unknown) => void) => {
            server.open({ host: '127.0.0.1', port }).then((s) => cb(null, s), cb);
            return undefined;
          }) as never,
          timeout: 5_000,
        },
        (res) => {
          res.setEncoding('utf8');
          let text = '';
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve(`${res.statusCode} ${text}`));
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(body, '200 you asked for /healthz');

    const idle = await server.open({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => idle.setTimeout(30, resolve));
    assert.equal(idle.setNoDelay(true), idle);
    assert.equal(idle.remoteAddress, '127.0.0.1');
    idle.destroy();
  });

  test('Data for an unknown stream is answered with Close "unknown stream", not fatal', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { url, accepted } = await env.tunnelServer();
    const raw = await env.wsClient(url);
    const replies: unknown[] = [];
    raw.on('message', (data: Buffer) => replies.push(decodeFrame(data)));
    raw.send(encodeFrame({ type: MessageType.Data, streamId: 42, data: Buffer.from('stray') }));
    raw.send(encodeFrame({ type: MessageType.Close, streamId: 44, reason: 'never answered' }));
    await waitFor(() => replies.length >= 1, 'a reply');
    assert.deepEqual(replies, [{ type: MessageType.Close, streamId: 42, reason: 'unknown stream' }]);
    assert.equal(accepted[0]!.session.closed, false);
  });
});
