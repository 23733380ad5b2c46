/**
 * The logging surface the tunnel needs. Structural and pino-compatible: a `pino()` logger (or a child of
 * one) can be passed as is. Called with a context object first and a message second. Must not throw.
 */
export interface TunnelLogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

/** See {@link TunnelLogFn}. The tunnel logs nothing per frame; only session events and peers misbehaving. */
export interface TunnelLogger {
  debug: TunnelLogFn;
  info: TunnelLogFn;
  warn: TunnelLogFn;
  error: TunnelLogFn;
}

const discard: TunnelLogFn = () => undefined;

/** The default logger: drops everything. */
export const silentLogger: TunnelLogger = { debug: discard, info: discard, warn: discard, error: discard };
