import { createWriteStream, existsSync, mkdirSync, openSync, renameSync, statSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export interface AuditFileOptions {
  path: string;
  /** Rotate once the file reaches this many bytes. */
  maxBytes: number;
  /** Rotated files kept (at least 1): `<path>.1` (newest) to `<path>.<maxBackups>`. */
  maxBackups: number;
}

/**
 * An append-only JSON-lines file rotated by size: when the current file would pass `maxBytes`, it becomes
 * `<path>.1` (older ones shift up, the oldest beyond `maxBackups` is dropped) and a new file starts.
 */
export class AuditFile {
  #stream: WriteStream;
  #bytes: number;

  constructor(private readonly options: AuditFileOptions) {
    mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
    this.#bytes = existsSync(options.path) ? statSync(options.path).size : 0;
    this.#stream = this.#open();
  }

  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.#bytes > 0 && this.#bytes + bytes > this.options.maxBytes) this.#rotate();
    this.#stream.write(line);
    this.#bytes += bytes;
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve) => this.#stream.end(resolve));
  }

  #open(): WriteStream {
    // Opened synchronously so the file exists at once (rotation renames it). Audit entries hold who did
    // what: readable by the server's user only.
    const fd = openSync(this.options.path, 'a', 0o600);
    return createWriteStream(this.options.path, { fd });
  }

  #rotate(): void {
    // Lines already written to the old stream are flushed to the renamed file: the fd follows the rename.
    this.#stream.end();
    const { path, maxBackups } = this.options;
    for (let i = maxBackups - 1; i >= 1; i--) {
      if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
    }
    renameSync(path, `${path}.1`);
    this.#stream = this.#open();
    this.#bytes = 0;
  }
}
