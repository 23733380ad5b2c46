import type { Duplex } from 'node:stream';
import { messageOf } from './errors.js';
import { splice } from './splice.js';
import type { TunnelStream } from './stream.js';
import { formatHostPort, type DialTarget } from './target.js';

/**
 * Dials on behalf of the peer. Given the target of an incoming `Connect` (already allowed) and a signal
 * that aborts when the dial is no longer wanted (timeout, the opener gave up, the session closed), it
 * resolves with a connected socket-like stream or rejects with an error whose message the opener sees.
 */
export type DialFunction = (target: DialTarget, signal: AbortSignal) => Promise<Duplex>;

/** Checked before dialing for the peer: `true` allows, a string is the refusal reason the opener sees. */
export type AllowFunction = (target: DialTarget) => true | string;

/** Undefined when `allow` (if any) permits the target, else the refusal reason. A throwing check refuses. */
export function refusalFor(allow: AllowFunction | undefined, target: DialTarget): string | undefined {
  if (!allow) return undefined;
  try {
    const verdict = allow(target);
    if (verdict === true) return undefined;
    return typeof verdict === 'string' && verdict ? verdict : `address ${formatHostPort(target)} not allowed`;
  } catch (err) {
    return `allow check failed: ${messageOf(err)}`;
  }
}

/**
 * Serves one accepted stream: runs `dial` (at most `timeoutMs`), then calls `onConnected` (which sends
 * `Connected`) and joins the stream and the dialed socket both ways. A failed dial closes the stream with
 * the error text as the `Close` reason. Never rejects.
 */
export async function serveAcceptedStream(stream: TunnelStream, dial: DialFunction, timeoutMs: number, onConnected: () => void): Promise<void> {
  const controller = new AbortController();
  const onGone = () => controller.abort(new Error('stream closed while dialing'));
  stream.once('close', onGone);
  const timer = setTimeout(() => controller.abort(new Error(`dial timed out after ${timeoutMs} ms`)), timeoutMs);
  timer.unref();
  let socket: Duplex;
  try {
    socket = await untilAborted(dial, stream.target, controller.signal);
  } catch (err) {
    stream.abort(undefined, messageOf(err));
    return;
  } finally {
    clearTimeout(timer);
    stream.off('close', onGone);
  }
  if (stream.destroyed) {
    socket.destroy();
    return;
  }
  onConnected();
  splice(stream, socket);
}

/** Runs `dial`, rejecting with the signal's reason as soon as it aborts; a socket that arrives later is destroyed. */
function untilAborted(dial: DialFunction, target: DialTarget, signal: AbortSignal): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const dialing = (async () => dial(target, signal))();
    dialing.then(
      (socket: Duplex | undefined) => {
        signal.removeEventListener('abort', onAbort);
        if (typeof socket?.pipe !== 'function' || typeof socket.destroy !== 'function') reject(new Error('dial returned no stream'));
        else if (signal.aborted) socket.destroy();
        else resolve(socket);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
