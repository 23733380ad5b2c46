/**
 * Test fixtures: real `ws` servers on 127.0.0.1 port 0, real TCP servers, no mocks. A `TestEnv` owns
 * everything a test starts and closes it all in `close()` (call it from `t.after`).
 */
import type { IncomingMessage } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { WebSocket, WebSocketServer, type ServerOptions } from 'ws';
import { dialTcp } from '../dial.js';
import { WS_MAX_PAYLOAD } from '../limits.js';
import { TunnelSession, type TunnelSessionOptions } from '../session.js';

type SessionOptions = Partial<TunnelSessionOptions>;

/** A server-role session with the websocket and HTTP request it came from. */
export interface ServerSide {
  session: TunnelSession;
  ws: WebSocket;
  req: IncomingMessage;
}

export interface TunnelPair {
  server: TunnelSession;
  client: TunnelSession;
  serverSide: ServerSide;
  clientWs: WebSocket;
}

/** Polls `condition` every 5 ms until it holds; fails after `timeoutMs` (generous: these are not timing tests). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolves with the first event `name` of `emitter` (its arguments). */
export function nextEvent<T extends unknown[]>(emitter: NodeJS.EventEmitter, name: string): Promise<T> {
  return new Promise((resolve) => emitter.once(name, (...args: unknown[]) => resolve(args as T)));
}

/** Everything `stream` yields until it ends; rejects if it errors. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The error `stream` is destroyed with (waits for it, or returns the one it already has). */
export function streamError(stream: Duplex): Promise<Error> {
  if (stream.errored) return Promise.resolve(stream.errored);
  return new Promise((resolve) => stream.once('error', resolve));
}

/** Deterministic pseudo-random bytes, different for each seed. */
export function pattern(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761 + 1) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export class TestEnv {
  readonly #cleanups: (() => Promise<void> | void)[] = [];

  defer(fn: () => Promise<void> | void): void {
    this.#cleanups.push(fn);
  }

  async close(): Promise<void> {
    for (const fn of this.#cleanups.reverse()) {
      // Cleanup is best effort: one failing step must not keep the others from running.
      await Promise.resolve().then(fn).catch((err: unknown) => process.emitWarning(`test cleanup failed: ${String(err)}`));
    }
  }

  /** A TCP server on 127.0.0.1:0 running `handler` per connection (half-open allowed). */
  async tcpServer(handler: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
    const sockets = new Set<Socket>();
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      handler(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.defer(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });
    return { server, port: (server.address() as AddressInfo).port };
  }

  /** Echoes every byte back; ends its side after the client ends its side. */
  echoServer(): Promise<{ server: Server; port: number }> {
    return this.tcpServer((socket) => socket.pipe(socket));
  }

  /** A websocket server on 127.0.0.1:0 that calls `onConnection` for each websocket. */
  async wsServer(onConnection: (ws: WebSocket, req: IncomingMessage) => void, options: ServerOptions = {}): Promise<{ wss: WebSocketServer; url: string }> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: WS_MAX_PAYLOAD, ...options });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws, req) => {
      ws.on('error', () => undefined);
      onConnection(ws, req);
    });
    this.defer(
      () =>
        new Promise<void>((resolve) => {
          for (const ws of wss.clients) ws.terminate();
          wss.close(() => resolve());
        }),
    );
    return { wss, url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/` };
  }

  /** A websocket server whose every connection gets a server-role TunnelSession; `accepted` lists them in order. */
  async tunnelServer(options: SessionOptions = {}, wsOptions: ServerOptions = {}): Promise<{ url: string; wss: WebSocketServer; accepted: ServerSide[] }> {
    const accepted: ServerSide[] = [];
    const { wss, url } = await this.wsServer((ws, req) => {
      const session = new TunnelSession(ws, { role: 'server', ...options });
      accepted.push({ session, ws, req });
      this.defer(() => session.close('test done'));
    }, wsOptions);
    return { url, wss, accepted };
  }

  /** An open client websocket to `url`. */
  async wsClient(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<WebSocket> {
    const ws = new WebSocket(url, { maxPayload: WS_MAX_PAYLOAD, ...(options as object) });
    ws.on('error', () => undefined);
    this.defer(() => ws.terminate());
    await nextEvent(ws, 'open');
    return ws;
  }

  /**
   * A client-role session (dialing with `dialTcp` unless told otherwise) connected to `url`. The session
   * is made while the websocket is still connecting, as an agent should, so no early message is missed.
   */
  async tunnelClient(url: string, options: SessionOptions = {}): Promise<{ session: TunnelSession; ws: WebSocket }> {
    const ws = new WebSocket(url, { maxPayload: WS_MAX_PAYLOAD });
    this.defer(() => ws.terminate());
    const session = new TunnelSession(ws, { role: 'client', dial: dialTcp, ...options });
    this.defer(() => session.close('test done'));
    const [error] = await Promise.race([nextEvent<[]>(ws, 'open'), nextEvent<[Error]>(ws, 'error')]);
    if (error) throw error;
    return { session, ws };
  }

  /** A tunnel server and one client connected to it; the client dials with `dialTcp` by default. */
  async tunnelPair(options: { server?: SessionOptions; client?: SessionOptions; wsServer?: ServerOptions } = {}): Promise<TunnelPair> {
    const { url, accepted } = await this.tunnelServer(options.server, options.wsServer);
    const { session: client, ws: clientWs } = await this.tunnelClient(url, options.client);
    await waitFor(() => accepted.length === 1, 'the server session');
    const serverSide = accepted[0]!;
    return { server: serverSide.session, client, serverSide, clientWs };
  }
}
