import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, TlsConfigError } from './errors.js';

/** Where generated material lives: `<dataDir>/tls/{ca,serving}.{crt,key}`. */
export interface TlsPaths {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly servingCert: string;
  readonly servingKey: string;
}

/** The file names of generated material under `dataDir`. */
export function tlsPaths(dataDir: string): TlsPaths {
  const dir = join(dataDir, 'tls');
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    servingCert: join(dir, 'serving.crt'),
    servingKey: join(dir, 'serving.key'),
  };
}

/** Creates `dir` (mode 0700) and its parents when missing. */
export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/** The text of `file`, or undefined when it does not exist. Other read errors are thrown as they are. */
export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** The text of a file the operator named; a missing or unreadable file is a TlsConfigError. */
export async function readConfigured(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(err)})`;
    throw new TlsConfigError(`${what} ${file} ${why}`, { file, cause: err });
  }
}

/**
 * Replaces `file` with `text` atomically (temporary file + rename), so a crash leaves either the old
 * or the new content. The file gets `mode` whatever the umask or the previous file's mode.
 */
export async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}
