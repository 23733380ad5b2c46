import { ConfigError } from '../config/config.js';
import { isTransientError } from '../store/etcd/etcd-client.js';
import { StoreAlreadyExistsError } from '../store/types.js';

/**
 * A migration problem the operator fixes from the command line: a flag's value, the source, the target.
 * The message is shown as is, on one line, and names the flag at fault. Anything else is a bug or an
 * I/O failure and is thrown with its stack.
 */
export class MigrateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrateError';
  }
}

/** The one line to print for an error the operator can act on; undefined for anything else. */
export function operatorMessage(err: unknown): string | undefined {
  if (err instanceof MigrateError || err instanceof ConfigError) return firstLine(err.message);
  // The target was checked empty before the copy: something else wrote to it in the meantime.
  if (err instanceof StoreAlreadyExistsError) {
    return `--to: ${err.kind} "${err.id}" appeared in etcd during the copy; stop whatever writes there, then run again with --force`;
  }
  // etcd went away after it was reached: what was copied so far stays, and --force starts over.
  if (isTransientError(err)) return `--to: etcd stopped answering during the migration (${firstLine((err as Error).message)}); run again with --force`;
  return undefined;
}

/** gRPC and SQLite messages can span lines; the operator gets the first. */
export function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}
