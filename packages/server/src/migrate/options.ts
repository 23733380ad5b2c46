import { resolve } from 'node:path';
import { ConfigError, parseServerConfig, SERVER_OPTIONS, type DatastoreConfig, type RawServerOptions } from '../config/config.js';
import { MigrateError } from './errors.js';

/** Where the migration writes: the etcd the servers will use, as `--datastore etcd` describes it. */
export type EtcdTarget = Extract<DatastoreConfig, { type: 'etcd' }> & {
  /** Deadline of each etcd call, in ms (the store's default when absent). */
  requestTimeoutMs?: number;
};

/** What `paddock migrate` is asked to do, checked. */
export interface MigrateConfig {
  /** The SQLite server's data dir (it holds paddock.db and tls/). */
  from: string;
  to: EtcdTarget;
  /** Delete what the target prefix holds before copying. */
  force: boolean;
}

/** Raw option values as commander gives them. */
export interface RawMigrateOptions {
  from?: string;
  to?: string;
  force?: boolean;
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
  etcdPrefix?: string;
}

/** The server's etcd options that the migration takes as they are (same flags, env names, defaults). */
const SHARED_FLAGS = ['etcdCafile', 'etcdCertfile', 'etcdKeyfile', 'etcdPrefix'] as const;

/** The server's specs of the shared etcd options, for the command's help and env. */
export const SHARED_ETCD_OPTIONS = SERVER_OPTIONS.filter((o) => (SHARED_FLAGS as readonly string[]).includes(o.flag));

/** `--to` reads the server's `--etcd-endpoints` variable. */
export const TO_ENV = SERVER_OPTIONS.find((o) => o.flag === 'etcdEndpoints')?.env ?? 'PADDOCK_ETCD_ENDPOINTS';

/**
 * Checks the options. The etcd part goes through the server's own parser, so a value the server accepts
 * for `--datastore etcd` is accepted here and means the same; the parser is given only the etcd variables
 * of the environment, so that nothing unrelated in it (a bad PADDOCK_HTTPS_PORT) can fail a migration.
 */
export function parseMigrateConfig(raw: RawMigrateOptions, env: NodeJS.ProcessEnv): MigrateConfig {
  if (!raw.from) throw new MigrateError('--from is required: the --data-dir of the server that used --datastore sqlite');
  const to = raw.to ?? env[TO_ENV];
  if (!to?.trim()) throw new MigrateError(`--to is required: the etcd client URLs, comma-separated (or ${TO_ENV})`);
  const serverRaw: RawServerOptions = { datastore: 'etcd', etcdEndpoints: to };
  for (const flag of SHARED_FLAGS) if (raw[flag] !== undefined) serverRaw[flag] = raw[flag];
  const etcdEnv = Object.fromEntries([TO_ENV, ...SHARED_ETCD_OPTIONS.map((o) => o.env)].map((name) => [name, env[name]]));
  let datastore: DatastoreConfig;
  try {
    datastore = parseServerConfig(serverRaw, etcdEnv).datastore;
  } catch (err) {
    // The server's messages name its flag for the endpoints; here they are given with --to.
    if (err instanceof ConfigError) throw new MigrateError(err.message.replaceAll('--etcd-endpoints', '--to'), { cause: err });
    throw err;
  }
  if (datastore.type !== 'etcd') throw new Error('the server parser did not return an etcd datastore');
  return { from: resolve(raw.from), to: datastore, force: raw.force === true };
}
