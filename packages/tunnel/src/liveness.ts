import { WebSocket } from 'ws';

/**
 * Liveness of one websocket: sends a ping every `pingIntervalMs` (0: never) and calls `onDead` once if
 * nothing at all has arrived for `pingTimeoutMs`. Pings and pongs are watched here; the session reports
 * every inbound message with `touch()`. This is what notices a half-open TCP connection, where writes
 * still succeed and nothing ever comes back.
 */
export class Liveness {
  readonly #ws: WebSocket;
  readonly #pingIntervalMs: number;
  readonly #pingTimeoutMs: number;
  readonly #onDead: () => void;
  #lastSeen = Date.now();
  #pingTimer: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(ws: WebSocket, options: { pingIntervalMs: number; pingTimeoutMs: number }, onDead: () => void) {
    this.#ws = ws;
    this.#pingIntervalMs = options.pingIntervalMs;
    this.#pingTimeoutMs = options.pingTimeoutMs;
    this.#onDead = onDead;
    ws.on('ping', this.touch);
    ws.on('pong', this.touch);
  }

  /** `Date.now()` of the last inbound message, ping or pong. */
  get lastSeen(): number {
    return this.#lastSeen;
  }

  /** Starts the clocks; call once the websocket is open. */
  start(): void {
    if (this.#stopped) return;
    this.#lastSeen = Date.now();
    if (this.#pingIntervalMs > 0) {
      this.#pingTimer = setInterval(() => this.#ping(), this.#pingIntervalMs);
      this.#pingTimer.unref();
    }
    this.#arm(this.#pingTimeoutMs);
  }

  /** Something arrived. */
  readonly touch = (): void => {
    this.#lastSeen = Date.now();
  };

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#pingTimer);
    clearTimeout(this.#deadline);
    this.#ws.off('ping', this.touch);
    this.#ws.off('pong', this.touch);
  }

  #ping(): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    try {
      this.#ws.ping();
    } catch (err) {
      // ws throws only when the socket is no longer open: its 'close' event ends the session.
      if (this.#ws.readyState === WebSocket.OPEN) throw err;
    }
  }

  #arm(ms: number): void {
    this.#deadline = setTimeout(() => this.#check(), ms);
    this.#deadline.unref();
  }

  #check(): void {
    if (this.#stopped) return;
    const quiet = Date.now() - this.#lastSeen;
    if (quiet >= this.#pingTimeoutMs) {
      this.stop();
      this.#onDead();
    } else {
      this.#arm(this.#pingTimeoutMs - quiet);
    }
  }
}
