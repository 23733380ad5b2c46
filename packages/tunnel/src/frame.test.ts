import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError, type ProtocolErrorCode } from './errors.js';
import { MessageType, PROTOCOL_VERSION, decodeFrame, encodeFrame, readVarint, varintLength, writeVarint, type Frame } from './frame.js';
import { DEFAULT_LIMITS, resolveLimits } from './limits.js';
import { formatConnectAddress, parseConnectAddress, parseHostPort } from './target.js';

const V = PROTOCOL_VERSION;

function roundTrip(frame: Frame): Frame {
  return decodeFrame(encodeFrame(frame));
}

function assertProtocolError(bytes: number[] | Buffer, code: ProtocolErrorCode): void {
  assert.throws(
    () => decodeFrame(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes)),
    (err: unknown) => err instanceof ProtocolError && err.code === code,
    `expected ProtocolError ${code}`,
  );
}

describe('frame encoding', () => {
  test('every message type round-trips', () => {
    const frames: Frame[] = [
      { type: MessageType.Connect, streamId: 1, address: 'tcp/10.43.0.1:443' },
      { type: MessageType.Connected, streamId: 2 },
      { type: MessageType.Data, streamId: 300, data: Buffer.from([0, 1, 2, 255]) },
      { type: MessageType.Data, streamId: 5, data: Buffer.alloc(0) },
      { type: MessageType.End, streamId: 7 },
      { type: MessageType.Close, streamId: 9, reason: 'connect ECONNREFUSED 127.0.0.1:1' },
      { type: MessageType.Close, streamId: 11, reason: '' },
      { type: MessageType.Close, streamId: 11, reason: 'adresse refusée ✓' },
      { type: MessageType.Window, streamId: 128, bytes: 1 },
      { type: MessageType.Window, streamId: 16384, bytes: 2 ** 40 },
      { type: MessageType.SyncStreams, streamId: 0, streamIds: [] },
      { type: MessageType.SyncStreams, streamId: 0, streamIds: [1, 2, 127, 128, 2 ** 40, Number.MAX_SAFE_INTEGER] },
    ];
    for (const frame of frames) assert.deepEqual(roundTrip(frame), frame);
  });

  test('header layout: version, type, LEB128 stream id, payload', () => {
    const bytes = encodeFrame({ type: MessageType.Data, streamId: 300, data: Buffer.from('hi') });
    assert.deepEqual([...bytes], [PROTOCOL_VERSION, MessageType.Data, 0xac, 0x02, 0x68, 0x69]);
  });

  test('varints: lengths and boundaries', () => {
    for (const [value, length] of [[0, 1], [127, 1], [128, 2], [16383, 2], [16384, 3], [2 ** 32, 5], [Number.MAX_SAFE_INTEGER, 8]] as const) {
      assert.equal(varintLength(value), length);
      const buf = Buffer.alloc(10);
      assert.equal(writeVarint(buf, 1, value), 1 + length);
      assert.deepEqual(readVarint(buf, 1), { value, next: 1 + length });
    }
    assert.throws(() => writeVarint(Buffer.alloc(10), 0, -1), RangeError);
    assert.throws(() => writeVarint(Buffer.alloc(10), 0, 1.5), RangeError);
  });
});

describe('frame decoding rejects malformed input with a typed ProtocolError', () => {
  test('too short', () => {
    assertProtocolError([], 'TRUNCATED');
    assertProtocolError([V, 3], 'TRUNCATED');
  });

  test('wrong protocol version', () => {
    assertProtocolError([1, MessageType.Data, 1, 0x41], 'BAD_VERSION'); // version 1: Pause/Resume flow control
    assertProtocolError([V + 1, MessageType.Data, 1, 0x41], 'BAD_VERSION');
  });

  test('unknown message type', () => {
    assertProtocolError([V, 0, 1], 'UNKNOWN_TYPE');
    assertProtocolError([V, 6, 1], 'UNKNOWN_TYPE'); // version 1's Pause
    assertProtocolError([V, 7, 1], 'UNKNOWN_TYPE'); // version 1's Resume
    assertProtocolError([V, 10, 1], 'UNKNOWN_TYPE');
    assertProtocolError([V, 200, 1, 1, 2], 'UNKNOWN_TYPE');
  });

  test('malformed varints', () => {
    assertProtocolError([V, MessageType.Data, 0x80], 'BAD_VARINT'); // truncated
    assertProtocolError([V, MessageType.Data, 0x81, 0x00], 'BAD_VARINT'); // not shortest form
    assertProtocolError([V, MessageType.Data, ...Array(8).fill(0xff), 0x01], 'BAD_VARINT'); // too long
    assertProtocolError([V, MessageType.Data, ...Array(7).fill(0xff), 0x7f], 'BAD_VARINT'); // > 2^53
    assertProtocolError([V, MessageType.SyncStreams, 0, 1, 0x80], 'BAD_VARINT'); // truncated id list
  });

  test('stream ids: 0 is for session frames only', () => {
    assertProtocolError([V, MessageType.Data, 0, 0x41], 'BAD_STREAM_ID');
    assertProtocolError([V, MessageType.SyncStreams, 1, 1], 'BAD_STREAM_ID');
  });

  test('payloads where none belongs, and invalid UTF-8', () => {
    assertProtocolError([V, MessageType.Connected, 1, 0], 'BAD_PAYLOAD');
    assertProtocolError([V, MessageType.End, 1, 0], 'BAD_PAYLOAD');
    assertProtocolError([V, MessageType.Close, 1, 0xff, 0xfe], 'BAD_PAYLOAD');
    assertProtocolError([V, MessageType.Connect, 1, 0xc3], 'BAD_PAYLOAD');
  });

  test('a Window is one varint above 0', () => {
    assertProtocolError([V, MessageType.Window, 1], 'BAD_VARINT');
    assertProtocolError([V, MessageType.Window, 1, 0], 'BAD_PAYLOAD');
    assertProtocolError([V, MessageType.Window, 1, 0x80, 0x01, 0x00], 'BAD_PAYLOAD');
    assert.deepEqual(decodeFrame(Buffer.from([V, MessageType.Window, 1, 0x80, 0x01])), { type: MessageType.Window, streamId: 1, bytes: 128 });
  });

  test('Data payloads are views of the message, not copies', () => {
    const message = encodeFrame({ type: MessageType.Data, streamId: 1, data: Buffer.from('abc') });
    const frame = decodeFrame(message);
    assert.equal(frame.type, MessageType.Data);
    if (frame.type === MessageType.Data) assert.equal(frame.data.buffer, message.buffer);
  });
});

describe('targets', () => {
  test('Connect addresses', () => {
    assert.equal(formatConnectAddress({ host: '10.0.0.9', port: 22 }), 'tcp/10.0.0.9:22');
    assert.equal(formatConnectAddress({ host: 'fd00::1', port: 6443 }), 'tcp/[fd00::1]:6443');
    assert.deepEqual(parseConnectAddress('tcp/[fd00::1]:6443'), { host: 'fd00::1', port: 6443 });
    assert.deepEqual(parseConnectAddress('tcp/kubernetes.default:443'), { host: 'kubernetes.default', port: 443 });
    assert.match(parseConnectAddress('unix:/var/run/docker.sock') as string, /unsupported address/);
    assert.match(parseConnectAddress('tcp/host:0') as string, /port/);
    assert.match(parseConnectAddress('tcp/host') as string, /not host:port/);
    assert.match(parseConnectAddress('tcp/a b:80') as string, /not allowed/);
  });

  test('via addresses (between server replicas)', () => {
    const target = { host: '10.43.0.1', port: 443, via: 'c-abc12:m-xyz34' };
    assert.equal(formatConnectAddress(target), 'via/c-abc12:m-xyz34/tcp/10.43.0.1:443');
    assert.deepEqual(parseConnectAddress('via/c-abc12:m-xyz34/tcp/10.43.0.1:443'), target);
    assert.deepEqual(parseConnectAddress('via/c-abc12/tcp/[fd00::1]:6443'), { host: 'fd00::1', port: 6443, via: 'c-abc12' });
    assert.match(parseConnectAddress('via/c-abc12') as string, /via\/<id>/);
    assert.match(parseConnectAddress('via//tcp/a:1') as string, /not a node or cluster id/);
    assert.match(parseConnectAddress('via/a b/tcp/a:1') as string, /not a node or cluster id/);
    assert.match(parseConnectAddress('via/a/via/b/tcp/a:1') as string, /nested via/);
  });

  test('host:port strings', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
    assert.match(parseHostPort('127.0.0.1:99999') as string, /port/);
    assert.match(parseHostPort('fd00::1:80') as string, /not host:port/);
  });
});

describe('limits', () => {
  test('role defaults and overrides', () => {
    assert.equal(resolveLimits('client').pingIntervalMs, 5_000);
    assert.equal(resolveLimits('server').pingIntervalMs, 15_000);
    assert.equal(resolveLimits('client', { maxStreams: 3 }).maxStreams, 3);
    assert.equal(resolveLimits('client', { maxStreams: undefined }).maxStreams, DEFAULT_LIMITS.maxStreams);
  });

  test('bad values name the field', () => {
    assert.throws(() => resolveLimits('client', { maxStreams: 0 }), /maxStreams must be an integer >= 1/);
    assert.throws(() => resolveLimits('client', { pingTimeoutMs: -1 }), /pingTimeoutMs/);
    assert.throws(() => resolveLimits('client', { maxFrameBytes: 10 * 1024 * 1024 }), /maxFrameBytes/);
    assert.throws(() => resolveLimits('client', { streamWindowBytes: 0 }), /streamWindowBytes must be an integer >= 1/);
    assert.throws(() => resolveLimits('client', { bogus: 1 } as never), /unknown field "bogus"/);
  });
});
