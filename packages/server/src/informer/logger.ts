/**
 * The logging surface the informer, work queue and controllers need.
 *
 * Contract: structural and pino-compatible, so a `pino()` logger (or a child of one) can be passed as is.
 * Call with a context object first and a message second (`log.warn({ key, err }, 'sync failed')`), or with a
 * message alone. Implementations must not throw.
 */
export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

/** See {@link LogFn}: four levels, each a pino-style log function. */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const discard: LogFn = () => undefined;

/** A logger that drops everything; the default when none is given. */
export const noopLogger: Logger = { debug: discard, info: discard, warn: discard, error: discard };
