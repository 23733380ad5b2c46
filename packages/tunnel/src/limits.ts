/**
 * Every interval and limit of the tunnel, in one place (as remotedialer's `types.go`).
 *
 * Contract: a session resolves its limits once, at construction, from the role's defaults plus the
 * caller's overrides; `resolveLimits` throws a `RangeError` naming the bad field. All times are in
 * milliseconds and all sizes in bytes.
 */
export interface TunnelLimits {
  /**
   * How often this side sends a websocket ping; 0 disables pinging (the side then relies on the peer's
   * pings, which it answers). Default: 5 s for the client (as remotedialer), 15 s for the server.
   */
  pingIntervalMs: number;
  /**
   * The session is dead when nothing at all (message, ping or pong) has arrived for this long: the
   * websocket is terminated and the session closes with "ping timeout after N ms". This is what detects a
   * half-open connection. Must be larger than the peer's ping interval. Default 40 s.
   */
  pingTimeoutMs: number;
  /** How long `open()` waits for the peer's `Connected` unless the call says otherwise. Default 15 s. */
  openTimeoutMs: number;
  /**
   * How long this side lets its `dial` run for an incoming `Connect` before refusing it with
   * "dial timed out". Default 10 s: shorter than the opener's 15 s, so the opener learns why.
   */
  dialTimeoutMs: number;
  /** Streams a session may hold at once, both directions together; a `Connect` beyond it is refused. Default 1024. */
  maxStreams: number;
  /**
   * Largest payload of one `Data` frame. Larger writes are cut into frames of this size; a received
   * `Data` frame above it closes that stream. Default 64 KiB.
   */
  maxFrameBytes: number;
  /**
   * The flow-control window of one stream (see frame.ts): the peer may send this many bytes beyond what
   * our reader has consumed, so at most this much received data waits for a reader, per stream; a peer
   * sending more gets the stream closed with "peer ignores flow control". Also the stream's readable and
   * writable high-water mark. One stream's throughput is at most this window per round trip through both
   * processes. Default 1 MiB.
   */
  streamWindowBytes: number;
  /**
   * Bytes handed to the websocket whose send has not completed yet, per session. Above it, writers'
   * callbacks are held until it drains, so a slow network makes writers wait instead of buffering.
   * Control frames are never held. Default 1 MiB.
   */
  sessionBufferBytes: number;
  /**
   * How often this side sends `SyncStreams` (its live stream ids) so the peer can free streams it has
   * leaked; 0 disables. Default 60 s (as remotedialer's SyncConnectionsInterval).
   */
  syncIntervalMs: number;
  /**
   * Streams younger than this are never closed by a received `SyncStreams`: the peer's list may have been
   * made before our `Connect` reached it. Default 30 s.
   */
  syncGraceMs: number;
}

export type TunnelRole = 'server' | 'client';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Defaults shared by both roles; see each field of {@link TunnelLimits}. */
export const DEFAULT_LIMITS: Readonly<TunnelLimits> = Object.freeze({
  pingIntervalMs: 5_000,
  pingTimeoutMs: 40_000,
  openTimeoutMs: 15_000,
  dialTimeoutMs: 10_000,
  maxStreams: 1024,
  maxFrameBytes: 64 * KiB,
  streamWindowBytes: 1 * MiB,
  sessionBufferBytes: 1 * MiB,
  syncIntervalMs: 60_000,
  syncGraceMs: 30_000,
});

/** The server pings less often: the client's pings already keep both read deadlines fresh. */
const ROLE_DEFAULTS: Record<TunnelRole, Partial<TunnelLimits>> = {
  client: {},
  server: { pingIntervalMs: 15_000 },
};

/** Frame header: version byte, type byte, stream id varint (at most 8 bytes for a safe integer). */
export const MAX_HEADER_BYTES = 10;

/**
 * The `maxPayload` to give `ws` (`new WebSocketServer({ maxPayload })`, `new WebSocket(url, { maxPayload })`):
 * room for a full `Data` frame at the default `maxFrameBytes` and a `SyncStreams` list of tens of thousands
 * of ids, while a peer cannot make `ws` buffer ws's default of 100 MiB for one message.
 */
export const WS_MAX_PAYLOAD = 256 * KiB;

/** The limits a session of `role` uses: role defaults, then `overrides`. Throws RangeError naming a bad field. */
export function resolveLimits(role: TunnelRole, overrides: Partial<TunnelLimits> = {}): Readonly<TunnelLimits> {
  const limits: TunnelLimits = { ...DEFAULT_LIMITS, ...ROLE_DEFAULTS[role] };
  for (const [key, value] of Object.entries(overrides) as [keyof TunnelLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_LIMITS)) throw new RangeError(`tunnel limits: unknown field "${key}"`);
    limits[key] = value;
  }
  const canBeZero = new Set<keyof TunnelLimits>(['pingIntervalMs', 'syncIntervalMs', 'syncGraceMs']);
  for (const [key, value] of Object.entries(limits) as [keyof TunnelLimits, number][]) {
    const min = canBeZero.has(key) ? 0 : 1;
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(`tunnel limits: ${key} must be an integer >= ${min}, got ${String(value)}`);
    }
  }
  if (limits.maxFrameBytes + MAX_HEADER_BYTES > WS_MAX_PAYLOAD) {
    throw new RangeError(`tunnel limits: maxFrameBytes must be at most ${WS_MAX_PAYLOAD - MAX_HEADER_BYTES}`);
  }
  return Object.freeze(limits);
}
