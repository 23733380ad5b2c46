/**
 * A TLS configuration problem the operator has to fix: a missing or unreadable certificate or key
 * file, a key that does not match its certificate, an invalid server URL, an expired CA.
 *
 * The message is meant to be shown as is and names the file or value at fault; `file` carries the
 * path when one file is to blame. Anything else thrown by this module is a bug or an I/O failure.
 */
export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
  /** The file the problem is in, when there is one. */
  readonly file: string | undefined;

  constructor(message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.file = options.file;
  }
}

/** The `code` of a Node.js system error (`ENOENT`, `EACCES`, ...), or undefined for anything else. */
export function errnoCode(err: unknown): string | undefined {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}
