import { Duplex } from 'node:stream';
import { TunnelStreamError, messageOf } from './errors.js';
import type { TunnelLimits } from './limits.js';
import type { DialTarget } from './target.js';
import { ReceiveWindow } from './window.js';

/**
 * What a stream needs from its session: the only way a stream touches the wire.
 *
 * Contract: `send*` never throw and never block. `canSend()` says whether the session's websocket buffer
 * has room for more `Data`; when it has not, the stream calls `waitForDrain` and the session calls the
 * stream's `flush()` once it has. `release` is called exactly once, when no more frames will be exchanged
 * for the stream (a `Close` either way, or `End` both ways).
 */
export interface StreamSink {
  canSend(): boolean;
  waitForDrain(stream: TunnelStream): void;
  sendData(streamId: number, chunk: Buffer): void;
  sendEnd(streamId: number): void;
  sendWindow(streamId: number, bytes: number): void;
  sendClose(streamId: number, reason: string): void;
  release(stream: TunnelStream): void;
}

interface PendingWrite {
  chunk: Buffer;
  offset: number;
  callback: (err?: Error | null) => void;
}

/**
 * One multiplexed stream, a `Duplex` that stands in for a TCP socket (e.g. returned from an http.Agent's
 * `createConnection`). `end()` sends `End` (half-close); `destroy(err)` sends `Close` with the error's
 * message (`destroy()` sends a normal close). A `Close` from the peer destroys it, with a
 * {@link TunnelStreamError} carrying the peer's reason unless the reason is empty.
 *
 * Flow control (by credit, see frame.ts): the peer may send at most `streamWindowBytes` beyond what our
 * reader has consumed; as the reader consumes, the peer is granted more with `Window` frames, and a peer
 * sending beyond its credit gets the stream closed. We send only as much as the peer has granted us:
 * while we have no credit, or the session's websocket buffer is full, the current write's callback is
 * held, so `write()` returns false and writers wait. The methods marked "session only" are called by the
 * owning session, not by users.
 */
export class TunnelStream extends Duplex {
  readonly id: number;
  readonly target: DialTarget;
  /** `Date.now()` when the stream was created; young streams are spared by `SyncStreams`. */
  readonly createdAt = Date.now();
  /** The dialed host and port, as a socket's remote end would be. */
  readonly remoteAddress: string;
  readonly remotePort: number;

  readonly #sink: StreamSink;
  readonly #maxFrameBytes: number;
  /** What the peer may send us. */
  readonly #window: ReceiveWindow;
  /** Set once the session has had us grant our first window (the stream is on the wire by then). */
  #granting = false;
  /** Data bytes the peer lets us send. */
  #sendCredit = 0;
  /** No more frames go out or come in for this stream. */
  #released = false;
  #sentEnd = false;
  #gotEnd = false;
  #pending: PendingWrite | null = null;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(sink: StreamSink, id: number, target: DialTarget, limits: Pick<TunnelLimits, 'maxFrameBytes' | 'streamWindowBytes'>) {
    super({
      allowHalfOpen: true,
      readableHighWaterMark: limits.streamWindowBytes,
      writableHighWaterMark: limits.streamWindowBytes,
    });
    this.#sink = sink;
    this.id = id;
    this.target = target;
    this.remoteAddress = target.host;
    this.remotePort = target.port;
    this.#maxFrameBytes = limits.maxFrameBytes;
    this.#window = new ReceiveWindow(limits.streamWindowBytes);
  }

  /** Whether no more frames will be exchanged for this stream. */
  get released(): boolean {
    return this.#released;
  }

  // --- socket shims -------------------------------------------------------------------------------

  /**
   * As `net.Socket#setTimeout`: emit 'timeout' after `ms` without reads or writes (0 disables). The stream
   * is not closed; whoever listens decides.
   */
  setTimeout(ms: number, callback?: () => void): this {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    if (ms > 0 && Number.isFinite(ms) && !this.destroyed) {
      this.#idleTimer = setTimeout(() => this.emit('timeout'), ms);
      this.#idleTimer.unref();
    }
    if (callback) {
      if (ms > 0) this.once('timeout', callback);
      else this.removeListener('timeout', callback);
    }
    return this;
  }

  /** No-op: the tunnel's websocket decides about Nagle. */
  setNoDelay(_noDelay?: boolean): this {
    return this;
  }

  /** No-op: the tunnel's pings keep the path alive. */
  setKeepAlive(_enable?: boolean, _initialDelay?: number): this {
    return this;
  }

  /** No-op: the session's websocket holds the event loop, not the stream. */
  ref(): this {
    return this;
  }

  /** No-op, see {@link ref}. */
  unref(): this {
    return this;
  }

  #touch(): void {
    this.#idleTimer?.refresh();
  }

  // --- from the peer (session only) ---------------------------------------------------------------

  /** Session only: a `Data` frame arrived. */
  receiveData(data: Buffer): void {
    if (this.#released || this.destroyed) return;
    if (this.#gotEnd) {
      this.destroy(new TunnelStreamError('peer sent Data after End'));
      return;
    }
    if (!this.#window.take(data.length)) {
      const credit = this.#window.credit;
      this.destroy(new TunnelStreamError(`peer ignores flow control: sent ${data.length} bytes with ${credit} left of a ${this.#window.size}-byte window`));
      return;
    }
    this.#touch();
    this.push(data);
    this.#grant(); // a flowing reader may have taken it already, in push's own 'data' event
  }

  /** Session only: the peer will send no more. */
  receiveEnd(): void {
    if (this.#gotEnd || this.#released) return;
    this.#gotEnd = true;
    this.push(null);
    if (this.#sentEnd) this.#release();
  }

  /** Session only: the peer aborted the stream ("" = normal close). The peer is not answered. */
  receiveClose(reason: string): void {
    this.abort(reason ? new TunnelStreamError(reason) : undefined);
  }

  /** Session only: the peer lets us send `bytes` more. */
  receiveWindow(bytes: number): void {
    this.#sendCredit = Math.min(this.#sendCredit + bytes, Number.MAX_SAFE_INTEGER);
    this.flush();
  }

  /** Session only: the stream is on the wire (`Connect` or `Connected` sent): grant the peer our window. */
  grantWindow(): void {
    this.#granting = true;
    this.#grant();
  }

  #grant(): void {
    if (!this.#granting || this.#released || this.#gotEnd) return;
    const bytes = this.#window.grant(this.readableLength);
    if (bytes > 0) this.#sink.sendWindow(this.id, bytes);
  }

  /**
   * Session only: ends the stream without telling the peer, or telling it `closeReason` if given; the
   * stream is destroyed with `err` (none: a quiet close, no 'error' event).
   */
  abort(err?: Error, closeReason?: string): void {
    if (!this.#released && closeReason !== undefined) this.#sink.sendClose(this.id, closeReason);
    this.#release();
    this.destroy(err);
  }

  /** Session only: sends as much of the held write as the peer and the websocket allow now. */
  flush(): void {
    const pending = this.#pending;
    if (!pending || this.#released) return;
    while (pending.offset < pending.chunk.length) {
      if (this.#sendCredit === 0) return; // the peer's next Window flushes again
      if (!this.#sink.canSend()) {
        this.#sink.waitForDrain(this);
        return;
      }
      const end = Math.min(pending.offset + this.#maxFrameBytes, pending.offset + this.#sendCredit, pending.chunk.length);
      this.#sink.sendData(this.id, pending.chunk.subarray(pending.offset, end));
      this.#sendCredit -= end - pending.offset;
      pending.offset = end;
    }
    this.#pending = null;
    pending.callback();
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#sink.release(this);
  }

  // --- Duplex implementation ----------------------------------------------------------------------

  /**
   * Every way of reading (flowing mode, pipe, async iteration, 'readable') takes data through `read()`, so
   * this is where consumption shows. `_read` is no substitute: Node calls it again only after a `push`, and
   * a peer without credit pushes nothing.
   */
  override read(size?: number): Buffer | string | null {
    const chunk = super.read(size) as Buffer | string | null;
    if (chunk !== null) this.#grant();
    return chunk;
  }

  override _read(): void {
    this.#grant();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.#released) {
      callback(new TunnelStreamError('stream closed'));
      return;
    }
    this.#touch();
    this.#pending = { chunk, offset: 0, callback };
    this.flush();
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (!this.#released) {
      this.#sentEnd = true;
      this.#sink.sendEnd(this.id);
      if (this.#gotEnd) this.#release();
    }
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    if (!this.#released) {
      this.#sink.sendClose(this.id, err ? messageOf(err) : '');
      this.#release();
    }
    const pending = this.#pending;
    this.#pending = null;
    // The held write fails with the stream; Node only errors the writes still queued behind it.
    if (pending) process.nextTick(pending.callback, err ?? new TunnelStreamError('stream destroyed'));
    callback(err);
  }
}
