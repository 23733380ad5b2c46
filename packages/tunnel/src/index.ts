/**
 * @paddock/tunnel: many TCP-like streams multiplexed over one websocket, shared by the Paddock server and
 * the node agent. See `session.ts` for the contract, `frame.ts` for the wire format and `limits.ts` for
 * every interval and limit.
 */
export { TunnelSession, type TunnelSessionOptions, type OpenOptions } from './session.js';
export type { TunnelStream } from './stream.js';
export type { DialFunction, AllowFunction } from './accept.js';
export { dialTcp } from './dial.js';
export { splice } from './splice.js';
export {
  PROTOCOL_VERSION,
  MessageType,
  type Frame,
  encodeFrame,
  decodeFrame,
  readVarint,
  writeVarint,
  varintLength,
} from './frame.js';
export {
  ProtocolError,
  PROTOCOL_ERROR_CODES,
  type ProtocolErrorCode,
  TunnelDialError,
  type DialErrorKind,
  TunnelStreamError,
} from './errors.js';
export { DEFAULT_LIMITS, WS_MAX_PAYLOAD, MAX_HEADER_BYTES, resolveLimits, type TunnelLimits, type TunnelRole } from './limits.js';
export { formatHostPort, parseHostPort, formatConnectAddress, parseConnectAddress, type DialTarget } from './target.js';
export { silentLogger, type TunnelLogger, type TunnelLogFn } from './logger.js';
