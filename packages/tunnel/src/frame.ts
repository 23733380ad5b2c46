import { ProtocolError } from './errors.js';

/**
 * The wire format. One binary websocket message is one frame:
 *
 *   byte 0   protocol version ({@link PROTOCOL_VERSION})
 *   byte 1   message type ({@link MessageType})
 *   then     stream id, unsigned LEB128 varint (0 only for session-level frames)
 *   then     payload, to the end of the message
 *
 * Stream ids are allocated by the side that opens the stream: the server role uses odd ids, the client
 * role even ids, so the two never collide. Text messages are not frames (a protocol error).
 *
 * Flow control is by credit, as in HTTP/2 and SSH: each side may send a stream only as many `Data` bytes
 * as the other has granted with `Window` frames. The opener grants its window right after `Connect`,
 * the dialing side right after `Connected`, and each grants again as its reader consumes. So the bytes
 * waiting for a reader never exceed the window, whatever sits in socket buffers between the two.
 *
 * Version 2 replaced version 1's `Pause`/`Resume`, which bounded nothing but the kernels' buffers.
 */
export const PROTOCOL_VERSION = 2;

/** Message types; the values are on the wire, never renumber them. */
export enum MessageType {
  /** Opener to peer: dial the payload address, UTF-8 `tcp/<host>:<port>`, for this new stream id. */
  Connect = 1,
  /** Peer to opener: the dial succeeded, data may flow both ways. No payload. */
  Connected = 2,
  /** Bytes of the stream (at most the receiver's `maxFrameBytes`). */
  Data = 3,
  /** The sender will write no more (half-close): the receiver's readable side ends. No payload. */
  End = 4,
  /** Abort the stream both ways. Payload: UTF-8 reason, "" for a normal close. Never answered. */
  Close = 5,
  // 6 and 7 were version 1's Pause and Resume; not to be reused.
  /** Session-level (stream id 0). Payload: the sender's live stream ids, each a varint (leak repair). */
  SyncStreams = 8,
  /** Flow control: the peer may send this many more `Data` bytes on the stream. Payload: one varint, > 0. Never answered. */
  Window = 9,
}

/** A decoded frame; build one as a literal and pass it to {@link encodeFrame}. */
export type Frame =
  | { type: MessageType.Connect; streamId: number; address: string }
  | { type: MessageType.Connected; streamId: number }
  | { type: MessageType.Data; streamId: number; data: Buffer }
  | { type: MessageType.End; streamId: number }
  | { type: MessageType.Close; streamId: number; reason: string }
  | { type: MessageType.SyncStreams; streamId: 0; streamIds: number[] }
  | { type: MessageType.Window; streamId: number; bytes: number };

/** A varint holding a safe integer takes at most 8 bytes (56 bits). */
const MAX_VARINT_BYTES = 8;

/** Bytes the unsigned LEB128 encoding of `value` takes. */
export function varintLength(value: number): number {
  let length = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) length++;
  return length;
}

/** Writes `value` as unsigned LEB128 at `offset`; returns the offset after it. */
export function writeVarint(buf: Uint8Array, offset: number, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint value ${value} is not a non-negative safe integer`);
  let v = value;
  while (v >= 0x80) {
    buf[offset++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[offset++] = v;
  return offset;
}

/**
 * Reads an unsigned LEB128 varint at `offset`. Throws ProtocolError BAD_VARINT if it is truncated,
 * longer than 8 bytes, not a safe integer, or not in its shortest form.
 */
export function readVarint(buf: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    const byte = buf[offset + i];
    if (byte === undefined) throw new ProtocolError('BAD_VARINT', 'truncated');
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (byte === 0 && i > 0) throw new ProtocolError('BAD_VARINT', 'not in shortest form');
      if (value > Number.MAX_SAFE_INTEGER) throw new ProtocolError('BAD_VARINT', 'value too large');
      return { value, next: offset + i + 1 };
    }
    scale *= 0x80;
  }
  throw new ProtocolError('BAD_VARINT', `longer than ${MAX_VARINT_BYTES} bytes`);
}

function encodeVarints(values: number[]): Buffer {
  const out = Buffer.allocUnsafe(values.reduce((n, value) => n + varintLength(value), 0));
  let offset = 0;
  for (const value of values) offset = writeVarint(out, offset, value);
  return out;
}

function payloadOf(frame: Frame): Uint8Array | undefined {
  switch (frame.type) {
    case MessageType.Connect:
      return Buffer.from(frame.address, 'utf8');
    case MessageType.Data:
      return frame.data;
    case MessageType.Close:
      return Buffer.from(frame.reason, 'utf8');
    case MessageType.SyncStreams:
      return encodeVarints(frame.streamIds);
    case MessageType.Window:
      return encodeVarints([frame.bytes]);
    default:
      return undefined;
  }
}

/** Writes the header of a frame at the start of `out`; returns its length. */
function writeHeader(out: Uint8Array, type: MessageType, streamId: number): number {
  out[0] = PROTOCOL_VERSION;
  out[1] = type;
  return writeVarint(out, 2, streamId);
}

/** The websocket message for a frame. */
export function encodeFrame(frame: Frame): Buffer {
  const payload = payloadOf(frame);
  const headerLength = 2 + varintLength(frame.streamId);
  const out = Buffer.allocUnsafe(headerLength + (payload?.length ?? 0));
  writeHeader(out, frame.type, frame.streamId);
  if (payload) out.set(payload, headerLength);
  return out;
}

/**
 * The websocket message for a `Data` frame, written into `target` instead of a new allocation (the same
 * bytes as {@link encodeFrame}); returns the view of `target` that is the message. `target` must hold
 * the header (`MAX_HEADER_BYTES` of limits.ts is always enough) plus `data`; a RangeError says otherwise.
 */
export function encodeDataFrameInto(target: Buffer, streamId: number, data: Uint8Array): Buffer {
  const needed = 2 + varintLength(streamId) + data.length;
  if (target.length < needed) throw new RangeError(`a Data frame of ${needed} bytes does not fit a ${target.length}-byte buffer`);
  const headerLength = writeHeader(target, MessageType.Data, streamId);
  target.set(data, headerLength);
  return target.subarray(0, needed);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(payload: Buffer, type: string): string {
  try {
    return utf8.decode(payload);
  } catch (err) {
    throw new ProtocolError('BAD_PAYLOAD', `${type} payload is not valid UTF-8 (${(err as Error).message})`);
  }
}

function noPayload(payload: Buffer, type: string): void {
  if (payload.length > 0) throw new ProtocolError('BAD_PAYLOAD', `${type} carries no payload, got ${payload.length} bytes`);
}

/** A `Window` payload: exactly one varint, above 0. */
function decodeWindow(payload: Buffer): number {
  const { value, next } = readVarint(payload, 0);
  if (next !== payload.length) throw new ProtocolError('BAD_PAYLOAD', `Window carries ${payload.length - next} bytes after its varint`);
  if (value === 0) throw new ProtocolError('BAD_PAYLOAD', 'Window of 0 bytes');
  return value;
}

function decodeStreamIds(payload: Buffer): number[] {
  const ids: number[] = [];
  for (let offset = 0; offset < payload.length; ) {
    const { value, next } = readVarint(payload, offset);
    ids.push(value);
    offset = next;
  }
  return ids;
}

/**
 * Decodes one websocket message. `Data` payloads are views of `message`, not copies. Throws
 * {@link ProtocolError} for anything malformed: short header, other version, unknown type, bad varint,
 * stream id 0 on a stream frame (or not 0 on `SyncStreams`), a payload where none belongs, invalid UTF-8,
 * a `Window` that is not one varint above 0.
 */
export function decodeFrame(message: Buffer): Frame {
  if (message.length < 3) throw new ProtocolError('TRUNCATED', `${message.length} bytes`);
  const version = message[0]!;
  if (version !== PROTOCOL_VERSION) throw new ProtocolError('BAD_VERSION', `got ${version}, expected ${PROTOCOL_VERSION}`);
  const type = message[1]!;
  const { value: streamId, next } = readVarint(message, 2);
  const payload = message.subarray(next);
  if (type === MessageType.SyncStreams) {
    if (streamId !== 0) throw new ProtocolError('BAD_STREAM_ID', `SyncStreams must use stream id 0, got ${streamId}`);
    return { type, streamId: 0, streamIds: decodeStreamIds(payload) };
  }
  if (!(type in MessageType)) throw new ProtocolError('UNKNOWN_TYPE', String(type));
  if (streamId === 0) throw new ProtocolError('BAD_STREAM_ID', `stream id 0 is reserved for session frames (type ${MessageType[type]})`);
  switch (type as MessageType) {
    case MessageType.Connect:
      return { type: MessageType.Connect, streamId, address: text(payload, 'Connect') };
    case MessageType.Data:
      return { type: MessageType.Data, streamId, data: payload };
    case MessageType.Close:
      return { type: MessageType.Close, streamId, reason: text(payload, 'Close') };
    case MessageType.Window:
      return { type: MessageType.Window, streamId, bytes: decodeWindow(payload) };
    case MessageType.Connected:
    case MessageType.End:
      noPayload(payload, MessageType[type]!);
      return { type, streamId } as Frame;
    default:
      throw new ProtocolError('UNKNOWN_TYPE', String(type));
  }
}
