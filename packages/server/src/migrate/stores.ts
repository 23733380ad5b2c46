import { stat } from 'node:fs/promises';
import Database from 'better-sqlite3';
import type { Etcd3 } from 'etcd3';
import { connectEtcd, EtcdTlsFileError, readEtcdTls, type EtcdConnectionOptions } from '../store/etcd/etcd-client.js';
import { EtcdStore } from '../store/etcd/etcd-store.js';
import { SqliteStore, sqlitePath } from '../store/sqlite/sqlite-store.js';
import { errnoCode } from '../tls/errors.js';
import { MigrateError, firstLine } from './errors.js';
import type { EtcdTarget } from './options.js';


/** Opens the source store; a data dir without paddock.db is refused rather than given an empty one. */
export async function openSource(dataDir: string): Promise<SqliteStore> {
  const path = sqlitePath(dataDir);
  const found = await stat(path).then(
    (s) => s.isFile(),
    (err: unknown) => {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return false;
      throw new MigrateError(`--from: cannot read ${path} (${errnoCode(err) ?? String(err)})`, { cause: err });
    },
  );
  if (!found) throw new MigrateError(`--from: ${dataDir} has no paddock.db; give the --data-dir of the server that used --datastore sqlite`);
  try {
    return SqliteStore.open({ path });
  } catch (err) {
    throw new MigrateError(`--from: ${path} cannot be opened: ${firstLine((err as Error).message)}`, { cause: err });
  }
}

/**
 * Every kind that has objects in the source file. The store's interface lists one kind at a time, so
 * this reads the file itself (read-only) to make sure no kind is left behind, whichever code wrote it.
 */
export function kindsInSource(dataDir: string): string[] {
  const db = new Database(sqlitePath(dataDir), { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[], string>('SELECT DISTINCT kind FROM objects ORDER BY kind').pluck().all();
  } finally {
    db.close();
  }
}

/** The etcd store and a raw client for the whole prefix (the store works one kind at a time). */
export interface OpenTarget {
  store: EtcdStore;
  client: Etcd3;
  close(): Promise<void>;
}

/** Connects to the target as `paddock server --datastore etcd` would; an unreachable etcd names --to. */
export async function openTarget(target: EtcdTarget): Promise<OpenTarget> {
  const tls = await readEtcdTls(target).catch((err: unknown) => {
    throw err instanceof EtcdTlsFileError ? new MigrateError(err.message, { cause: err }) : err;
  });
  const connection: EtcdConnectionOptions = { endpoints: target.endpoints, tls, requestTimeoutMs: target.requestTimeoutMs };
  let store: EtcdStore;
  try {
    store = await EtcdStore.open({ ...connection, prefix: target.prefix });
  } catch (err) {
    throw new MigrateError(`--to: cannot reach etcd at ${target.endpoints.join(', ')}: ${firstLine((err as Error).message)}`, { cause: err });
  }
  const client = connectEtcd(connection);
  return {
    store,
    client,
    async close() {
      client.close();
      await store.close();
    },
  };
}
