import type { DialTarget } from './target.js';
import { formatHostPort } from './target.js';

/** Why a received websocket message is not a valid frame. Every one of them is fatal to the session. */
export const PROTOCOL_ERROR_CODES = {
  TEXT_MESSAGE: 'a text websocket message (the tunnel speaks binary frames only)',
  TRUNCATED: 'the frame is shorter than its header',
  BAD_VERSION: 'unsupported protocol version',
  UNKNOWN_TYPE: 'unknown message type',
  BAD_VARINT: 'malformed varint',
  BAD_STREAM_ID: 'stream id not allowed here',
  BAD_PAYLOAD: 'payload not valid for the message type',
} as const;

export type ProtocolErrorCode = keyof typeof PROTOCOL_ERROR_CODES;

/** A peer broke the wire format. Thrown by `decodeFrame`; the session closes with websocket code 1002. */
export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, detail?: string) {
    super(detail ? `${PROTOCOL_ERROR_CODES[code]}: ${detail}` : PROTOCOL_ERROR_CODES[code]);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

/**
 * How `open()` failed: `refused` (the peer answered `Close`: not allowed, dial failed, too many
 * streams...), `timeout`, `aborted` (the caller's signal), or `closed` (the session ended first).
 */
export type DialErrorKind = 'refused' | 'timeout' | 'aborted' | 'closed';

/** `open()` did not get a stream. `reason` is the peer's text for `refused`, e.g. "connect ECONNREFUSED 127.0.0.1:1". */
export class TunnelDialError extends Error {
  readonly kind: DialErrorKind;
  readonly target: DialTarget;
  readonly reason: string;

  constructor(kind: DialErrorKind, target: DialTarget, reason: string) {
    super(`tunnel dial to ${formatHostPort(target)} failed: ${reason}`);
    this.name = 'TunnelDialError';
    this.kind = kind;
    this.target = target;
    this.reason = reason;
  }
}

/**
 * An open stream was aborted: by the peer (`Close` with a reason, e.g. "read ECONNRESET"), because the
 * session closed ("tunnel closed: <reason>"), or by this side's protections (flow control, sync). The code
 * is ECONNRESET so HTTP clients treat it as they treat a reset socket.
 */
export class TunnelStreamError extends Error {
  readonly code = 'ECONNRESET';

  constructor(message: string) {
    super(message);
    this.name = 'TunnelStreamError';
  }
}

/** The text of anything thrown, for a `Close` reason or a log line. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
