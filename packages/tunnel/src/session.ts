import { EventEmitter } from 'node:events';
import { WebSocket, type RawData } from 'ws';
import { refusalFor, serveAcceptedStream, type AllowFunction, type DialFunction } from './accept.js';
import { toBuffer, truncateUtf8 } from './bytes.js';
import { ProtocolError, TunnelDialError, TunnelStreamError, messageOf, type DialErrorKind } from './errors.js';
import { dataFramePool } from './buffer-pool.js';
import { MessageType, decodeFrame, encodeDataFrameInto, encodeFrame, type Frame } from './frame.js';
import { MAX_HEADER_BYTES, resolveLimits, type TunnelLimits, type TunnelRole } from './limits.js';
import { Liveness } from './liveness.js';
import { silentLogger, type TunnelLogger } from './logger.js';
import { TunnelStream, type StreamSink } from './stream.js';
import { staleStreams } from './sync.js';
import { checkTarget, formatConnectAddress, formatHostPort, parseConnectAddress, parseHostPort, type DialTarget } from './target.js';

export interface TunnelSessionOptions {
  /** `server` allocates odd stream ids, `client` even ones; also picks the default ping interval. */
  role: TunnelRole;
  /** Dials for the peer's `Connect`s. Without it every `Connect` is refused. */
  dial?: DialFunction;
  /** Checked before dialing: `true` to allow, or the refusal reason the opener sees. */
  allow?: AllowFunction;
  /** Accept `Connect`s whose target names a `via` (server replicas forwarding to each other). Default false. */
  acceptVia?: boolean;
  limits?: Partial<TunnelLimits>;
  logger?: TunnelLogger;
}

export interface OpenOptions {
  /** Default: the session's `openTimeoutMs` (15 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface PendingOpen {
  stream: TunnelStream;
  resolve: (stream: TunnelStream) => void;
  reject: (err: TunnelDialError) => void;
  timer: NodeJS.Timeout;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/** Longest websocket close reason (RFC 6455 allows 123 bytes) and longest `Close` frame reason we send. */
const WS_REASON_BYTES = 123;
const CLOSE_REASON_BYTES = 1024;

const ignore = (): void => undefined;
/** Smaller payloads are copied into Node's shared 8 KiB slab by `Buffer.allocUnsafe`, which is cheap. */
const POOLED_PAYLOAD_BYTES = 4 * 1024;

/**
 * Many TCP-like streams multiplexed over one websocket (a `ws` WebSocket), on either end: the Paddock
 * server and the node agent run the same code, told apart by `role`. Make the session as soon as the
 * websocket exists (in `handleUpgrade`'s callback; right after `new WebSocket(url)`, while it is still
 * connecting): a message that arrives before the session listens is lost.
 *
 * Contract:
 * - `open(target)` asks the peer to dial and resolves with the stream once the peer answers `Connected`;
 *   it rejects with a {@link TunnelDialError} on the peer's refusal, on timeout, on abort, or when the
 *   session closes first.
 * - The peer's `Connect`s are checked (`maxStreams`, `allow`), dialed with `dial` and joined to the stream.
 * - A stream whose reader does not read pauses only itself; a slow websocket makes all writers wait.
 * - The session ends on `close()`, when the websocket closes, on a ping timeout, or on a protocol error
 *   (websocket close code 1002). Then 'close' is emitted exactly once with the reason, every stream is
 *   destroyed with "tunnel closed: <reason>" and pending `open()`s reject. Nothing here throws out of an
 *   event handler.
 */
export class TunnelSession extends EventEmitter<{ close: [reason: string] }> {
  readonly role: TunnelRole;
  readonly limits: Readonly<TunnelLimits>;

  readonly #ws: WebSocket;
  readonly #dial: DialFunction | undefined;
  readonly #allow: AllowFunction | undefined;
  readonly #acceptVia: boolean;
  readonly #log: TunnelLogger;
  readonly #liveness: Liveness;
  /** Streams live on the wire (opening, open, half-closed), by id. */
  readonly #streams = new Map<number, TunnelStream>();
  /** Our `open()`s waiting for `Connected`. */
  readonly #opening = new Map<number, PendingOpen>();
  /** Streams holding a write until the websocket buffer drains, oldest first. */
  readonly #drainWaiters = new Set<TunnelStream>();
  readonly #sink: StreamSink;
  /** Resolves when the websocket is open or the session closed, for `open()` on a connecting socket. */
  readonly #ready: Promise<void>;
  #nextId: number;
  #lastPeerId = 0;
  /** Bytes handed to `ws.send` whose callback has not fired yet. */
  #unsent = 0;
  #closeReason: string | undefined;
  #syncTimer: NodeJS.Timeout | undefined;

  constructor(ws: WebSocket, options: TunnelSessionOptions) {
    super();
    this.role = options.role;
    this.limits = resolveLimits(options.role, options.limits);
    this.#ws = ws;
    this.#dial = options.dial;
    this.#allow = options.allow;
    this.#acceptVia = options.acceptVia ?? false;
    this.#log = options.logger ?? silentLogger;
    this.#nextId = options.role === 'server' ? 1 : 2;
    this.#sink = {
      canSend: () => this.#unsent < this.limits.sessionBufferBytes,
      waitForDrain: (stream) => this.#drainWaiters.add(stream),
      sendData: (streamId, data) => this.#sendData(streamId, data),
      sendEnd: (streamId) => this.#send({ type: MessageType.End, streamId }),
      sendWindow: (streamId, bytes) => this.#send({ type: MessageType.Window, streamId, bytes }),
      sendClose: (streamId, reason) => this.#sendClose(streamId, reason),
      release: (stream) => this.#release(stream),
    };
    this.#liveness = new Liveness(ws, this.limits, () => {
      const reason = `ping timeout after ${this.limits.pingTimeoutMs} ms`;
      this.#log.warn({ role: this.role, lastSeen: new Date(this.#liveness.lastSeen).toISOString() }, 'tunnel peer stopped answering');
      this.#shutdown(reason, () => this.#ws.terminate());
    });
    ws.on('error', this.#onWsError);
    ws.on('message', this.#onMessage);
    ws.on('close', this.#onWsClose);
    if (ws.readyState === WebSocket.OPEN) {
      this.#ready = Promise.resolve();
      this.#start();
    } else if (ws.readyState === WebSocket.CONNECTING) {
      this.#ready = new Promise((resolve) => {
        ws.once('open', () => {
          this.#start();
          resolve();
        });
        this.once('close', () => resolve());
      });
    } else {
      this.#ready = Promise.resolve();
      process.nextTick(() => this.#shutdown('websocket already closed', ignore));
    }
  }

  /** Streams live on the wire, both directions, including ones still opening. */
  get streamCount(): number {
    return this.#streams.size;
  }

  get closed(): boolean {
    return this.#closeReason !== undefined;
  }

  /** Why the session closed; undefined while open. */
  get closeReason(): string | undefined {
    return this.#closeReason;
  }

  /** `Date.now()` of the last inbound message, ping or pong. */
  get lastSeen(): number {
    return this.#liveness.lastSeen;
  }

  /**
   * Asks the peer to connect to `target` (`{ host, port }` or `"host:port"`) and resolves with the stream
   * once it has. A malformed target rejects with a TypeError; everything else with a TunnelDialError.
   */
  async open(target: DialTarget | string, options: OpenOptions = {}): Promise<TunnelStream> {
    const checked = typeof target === 'string' ? parseHostPort(target) : checkTarget(target);
    if (typeof checked === 'string') throw new TypeError(`invalid dial target: ${checked}`);
    await this.#ready;
    const { signal } = options;
    if (this.#closeReason !== undefined) throw new TunnelDialError('closed', checked, `tunnel closed: ${this.#closeReason}`);
    if (signal?.aborted) throw new TunnelDialError('aborted', checked, messageOf(signal.reason));
    if (this.#streams.size >= this.limits.maxStreams) {
      throw new TunnelDialError('refused', checked, `too many streams (limit ${this.limits.maxStreams})`);
    }
    const id = this.#nextId;
    this.#nextId += 2;
    const stream = new TunnelStream(this.#sink, id, checked, this.limits);
    // Until the caller has it, errors of the stream are reported through the rejection instead.
    stream.on('error', ignore);
    this.#streams.set(id, stream);
    const timeoutMs = options.timeoutMs ?? this.limits.openTimeoutMs;
    return new Promise<TunnelStream>((resolve, reject) => {
      const timer = setTimeout(() => this.#failOpen(id, 'timeout', `no answer within ${timeoutMs} ms`, 'open timed out'), timeoutMs);
      timer.unref();
      const onAbort = () => this.#failOpen(id, 'aborted', messageOf(signal?.reason), 'open aborted');
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#opening.set(id, { stream, resolve, reject, timer, signal, onAbort });
      this.#send({ type: MessageType.Connect, streamId: id, address: formatConnectAddress(checked) });
      stream.grantWindow();
    });
  }

  /**
   * Ends the session: streams are destroyed with "tunnel closed: <reason>", pending opens reject, the
   * websocket is closed with `code` (default 1000, normal) and `reason`, and 'close' is emitted. Idempotent.
   */
  close(reason = 'session closed', code = 1000): void {
    this.#shutdown(reason, () => this.#ws.close(code, truncateUtf8(reason, WS_REASON_BYTES)));
  }

  // --- lifecycle ----------------------------------------------------------------------------------

  #start(): void {
    if (this.#closeReason !== undefined) return;
    this.#liveness.start();
    if (this.limits.syncIntervalMs > 0) {
      this.#syncTimer = setInterval(() => this.#send({ type: MessageType.SyncStreams, streamId: 0, streamIds: [...this.#streams.keys()] }), this.limits.syncIntervalMs);
      this.#syncTimer.unref();
    }
  }

  #shutdown(reason: string, closeWebSocket: () => void): void {
    if (this.#closeReason !== undefined) return;
    this.#closeReason = reason;
    this.#liveness.stop();
    clearInterval(this.#syncTimer);
    const text = `tunnel closed: ${reason}`;
    for (const id of [...this.#opening.keys()]) this.#failOpen(id, 'closed', text);
    for (const stream of [...this.#streams.values()]) stream.abort(new TunnelStreamError(text));
    this.#streams.clear();
    this.#drainWaiters.clear();
    try {
      closeWebSocket();
    } catch (err) {
      // A socket that cannot close cleanly (e.g. still connecting) is cut instead.
      this.#log.debug({ err }, 'websocket close failed; terminating');
      this.#ws.terminate();
    }
    this.#log.debug({ role: this.role, reason }, 'tunnel session closed');
    try {
      this.emit('close', reason);
    } catch (err) {
      this.#log.error({ err }, "a tunnel session 'close' listener threw");
    }
  }

  /** The peer broke the protocol: close with 1002 and say why. */
  #fail(err: ProtocolError): void {
    const reason = `protocol error: ${err.message}`;
    this.#log.warn({ role: this.role, code: err.code, err }, 'tunnel peer broke the protocol');
    this.#shutdown(reason, () => this.#ws.close(1002, truncateUtf8(reason, WS_REASON_BYTES)));
  }

  readonly #onWsError = (err: Error): void => {
    // 'close' follows; this listener also keeps an 'error' from crashing the process.
    this.#log.debug({ role: this.role, err }, 'tunnel websocket error');
  };

  readonly #onWsClose = (code: number, reason: Buffer): void => {
    const text = reason.toString();
    this.#shutdown(text ? `websocket closed by peer (${code}): ${text}` : `websocket closed (${code})`, ignore);
  };

  // --- receiving ----------------------------------------------------------------------------------

  readonly #onMessage = (data: RawData, isBinary: boolean): void => {
    if (this.#closeReason !== undefined) return;
    this.#liveness.touch();
    try {
      if (!isBinary) throw new ProtocolError('TEXT_MESSAGE');
      this.#dispatch(decodeFrame(toBuffer(data)));
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.#fail(err);
      } else {
        this.#log.error({ role: this.role, err }, 'tunnel session failed');
        const reason = `internal error: ${messageOf(err)}`;
        this.#shutdown(reason, () => this.#ws.close(1011, truncateUtf8(reason, WS_REASON_BYTES)));
      }
    }
  };

  /** One switch for every received frame (as remotedialer's `session_serve.go`). */
  #dispatch(frame: Frame): void {
    if (frame.type === MessageType.Connect) return this.#accept(frame.streamId, frame.address);
    if (frame.type === MessageType.SyncStreams) return this.#onSync(frame.streamIds);
    const id = frame.streamId;
    const stream = this.#streams.get(id);
    if (!stream) {
      // Frames still in flight after a Close cross it; Close itself is never answered.
      if (frame.type === MessageType.Data || frame.type === MessageType.End || frame.type === MessageType.Connected) {
        this.#sendClose(id, 'unknown stream');
      }
      return;
    }
    try {
      switch (frame.type) {
        case MessageType.Connected: {
          const pending = this.#settleOpen(id);
          if (pending) {
            pending.resolve(pending.stream);
            // Errors that strike before the caller's continuation could listen are not fatal; later
            // ones are the caller's, as with any socket.
            setImmediate(() => pending.stream.off('error', ignore));
          }
          return;
        }
        case MessageType.Data:
          if (frame.data.length > this.limits.maxFrameBytes) {
            const reason = `Data frame of ${frame.data.length} bytes exceeds the limit of ${this.limits.maxFrameBytes}`;
            stream.destroy(new TunnelStreamError(reason));
          } else {
            stream.receiveData(frame.data);
          }
          return;
        case MessageType.End:
          return stream.receiveEnd();
        case MessageType.Close:
          if (this.#opening.has(id)) return this.#failOpen(id, 'refused', frame.reason || 'closed by peer');
          return stream.receiveClose(frame.reason);
        case MessageType.Window:
          return stream.receiveWindow(frame.bytes);
      }
    } catch (err) {
      // A stream's listener threw (push emits 'data' synchronously): that stream fails, not the session.
      this.#log.error({ role: this.role, streamId: id, err }, 'tunnel stream listener threw');
      stream.destroy(err instanceof Error ? err : new Error(messageOf(err)));
    }
  }

  /** The peer's `Connect`: check id, limits and `allow`, then dial in the background. */
  #accept(id: number, address: string): void {
    const ownIds = this.role === 'server' ? 1 : 0;
    if (id % 2 === ownIds) throw new ProtocolError('BAD_STREAM_ID', `peer opened stream ${id}, an id of this side's range`);
    if (id <= this.#lastPeerId) throw new ProtocolError('BAD_STREAM_ID', `peer reused stream id ${id}`);
    this.#lastPeerId = id;
    const target = parseConnectAddress(address);
    const dial = this.#dial;
    if (typeof target === 'string') return this.#refuse(id, address, target);
    if (this.#streams.size >= this.limits.maxStreams) return this.#refuse(id, address, `too many streams (limit ${this.limits.maxStreams})`);
    if (!dial) return this.#refuse(id, address, 'this side does not dial');
    if (target.via !== undefined && !this.#acceptVia) return this.#refuse(id, address, 'this side does not forward (via)');
    const refusal = refusalFor(this.#allow, target);
    if (refusal !== undefined) return this.#refuse(id, address, refusal);
    const stream = new TunnelStream(this.#sink, id, target, this.limits);
    stream.on('error', ignore); // reported to the peer as the Close reason
    this.#streams.set(id, stream);
    void serveAcceptedStream(stream, dial, this.limits.dialTimeoutMs, () => {
      this.#send({ type: MessageType.Connected, streamId: id });
      stream.grantWindow();
    });
  }

  #refuse(id: number, address: string, reason: string): void {
    this.#log.debug({ role: this.role, streamId: id, address, reason }, 'tunnel connect refused');
    this.#sendClose(id, reason);
  }

  #onSync(peerIds: number[]): void {
    for (const stream of staleStreams(this.#streams.values(), peerIds, Date.now(), this.limits.syncGraceMs)) {
      const reason = 'stream unknown to the peer (closed by SyncStreams)';
      this.#log.warn({ role: this.role, streamId: stream.id, target: formatHostPort(stream.target) }, 'closing a stream the peer no longer has');
      if (this.#opening.has(stream.id)) this.#failOpen(stream.id, 'refused', reason);
      else stream.abort(new TunnelStreamError(reason));
    }
  }

  // --- opening ------------------------------------------------------------------------------------

  #settleOpen(id: number): PendingOpen | undefined {
    const pending = this.#opening.get(id);
    if (!pending) return undefined;
    this.#opening.delete(id);
    clearTimeout(pending.timer);
    pending.signal?.removeEventListener('abort', pending.onAbort);
    return pending;
  }

  /** Rejects a pending open; `closeReason` also tells the peer to drop the stream. */
  #failOpen(id: number, kind: DialErrorKind, reason: string, closeReason?: string): void {
    const pending = this.#settleOpen(id);
    if (!pending) return;
    pending.stream.abort(undefined, closeReason);
    pending.reject(new TunnelDialError(kind, pending.stream.target, reason));
  }

  // --- sending ------------------------------------------------------------------------------------

  #send(frame: Frame): void {
    if (this.#closeReason !== undefined) return;
    this.#sendMessage(encodeFrame(frame), undefined);
  }

  /** A `Data` frame; large ones are encoded into a pooled buffer, returned once `ws` is done with it. */
  #sendData(streamId: number, data: Buffer): void {
    if (this.#closeReason !== undefined) return;
    if (data.length < POOLED_PAYLOAD_BYTES) return this.#sendMessage(encodeFrame({ type: MessageType.Data, streamId, data }), undefined);
    const buffer = dataFramePool.acquire(this.limits.maxFrameBytes + MAX_HEADER_BYTES);
    this.#sendMessage(encodeDataFrameInto(buffer, streamId, data), buffer);
  }

  /** Hands one message to `ws`; `pooled` (the buffer under it, if any) goes back to the pool when ws calls back. */
  #sendMessage(message: Buffer, pooled: Buffer | undefined): void {
    const size = message.length;
    this.#unsent += size;
    try {
      this.#ws.send(message, (err) => {
        if (pooled) dataFramePool.release(pooled);
        this.#onSent(size, err);
      });
    } catch (err) {
      this.#unsent -= size;
      if (pooled) dataFramePool.release(pooled);
      this.#log.debug({ role: this.role, err }, 'tunnel send failed');
    }
  }

  #sendClose(streamId: number, reason: string): void {
    this.#send({ type: MessageType.Close, streamId, reason: truncateUtf8(reason, CLOSE_REASON_BYTES) });
  }

  #onSent(size: number, err: Error | undefined): void {
    this.#unsent -= size;
    if (err && this.#closeReason === undefined) this.#log.debug({ role: this.role, err }, 'tunnel send failed');
    if (this.#drainWaiters.size > 0 && this.#sink.canSend()) this.#drain();
  }

  /** The websocket buffer has room again: let held writers go on, oldest first, while it lasts. */
  #drain(): void {
    for (const stream of this.#drainWaiters) {
      this.#drainWaiters.delete(stream);
      try {
        stream.flush();
      } catch (err) {
        this.#log.error({ role: this.role, streamId: stream.id, err }, 'tunnel stream write callback threw');
        stream.destroy(err instanceof Error ? err : new Error(messageOf(err)));
      }
      if (!this.#sink.canSend()) break;
    }
  }

  #release(stream: TunnelStream): void {
    if (this.#streams.get(stream.id) === stream) this.#streams.delete(stream.id);
    this.#drainWaiters.delete(stream);
    const pending = this.#settleOpen(stream.id);
    if (pending) pending.reject(new TunnelDialError('refused', stream.target, 'stream closed before the peer answered'));
  }
}
