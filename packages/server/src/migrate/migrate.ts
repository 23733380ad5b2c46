import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResourceStore } from '../store/types.js';
import { copySnapshot, readSnapshot, type RestoringStore } from './copy.js';
import { MigrateError } from './errors.js';
import type { MigrateConfig } from './options.js';
import { sqlitePath } from '../store/sqlite/sqlite-store.js';
import { kindsInSource, openSource, openTarget } from './stores.js';
import { TargetPrefix } from './target-prefix.js';
import { verifyCopy, type Verification } from './verify.js';

export interface MigrateDeps {
  /** Every kind the server keeps; kinds found only in the source file are copied too. */
  kinds: readonly string[];
  /** Progress for the operator, one line at a time. */
  log: (line: string) => void;
  /** A monotonic clock in ms, for the time the migration took. */
  now: () => number;
}

/** What a migration did; `verification.differences` is empty when the target matches the source. */
export interface MigrationResult {
  /** The SQLite file read. */
  source: string;
  /** The etcd endpoints and key prefix written, as shown to the operator. */
  target: string;
  /** Keys deleted from the target first (--force). */
  cleared: number;
  copied: number;
  verification: Verification;
  seconds: number;
  /** The source's generated CA and serving certificate, which live in files and not in the store. */
  tlsDir: string | undefined;
}

/**
 * Copies every object from a SQLite data dir into an etcd prefix and compares the two. Everything that
 * can refuse (no source, unreachable or non-empty target, a source being written) is checked before the
 * target is touched.
 */
export async function migrate(config: MigrateConfig, deps: MigrateDeps): Promise<MigrationResult> {
  const started = deps.now();
  const source = await openSource(config.from);
  try {
    const target = await openTarget(config.to);
    try {
      const prefix = new TargetPrefix(target.client, config.to.prefix);
      const copied = await copyInto(source, target.store, prefix, config, deps);
      return {
        ...copied,
        source: sqlitePath(config.from),
        target: `etcd ${config.to.endpoints.join(',')} under ${prefix.root}`,
        seconds: (deps.now() - started) / 1000,
        tlsDir: await existingDir(join(config.from, 'tls')),
      };
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

async function copyInto(source: ResourceStore, target: ResourceStore & RestoringStore, prefix: TargetPrefix, config: MigrateConfig, deps: MigrateDeps) {
  const present = await prefix.count();
  if (present > 0 && !config.force) {
    throw new MigrateError(`--to: etcd already holds ${present} objects under ${prefix.root}; give --force to delete them and copy again`);
  }
  const kinds = [...new Set([...deps.kinds, ...kindsInSource(config.from)])];
  const snapshot = await readSnapshot(source, kinds);
  // Only now, with the source read, is anything in the target deleted.
  const cleared = present > 0 ? await prefix.clear() : 0;
  if (cleared > 0) deps.log(`--force: deleted ${cleared} objects under ${prefix.root}`);
  const copied = await copySnapshot(snapshot, target);
  const verification = await verifyCopy(source, target, kinds, snapshot.revision);
  return { cleared, copied, verification };
}

async function existingDir(path: string): Promise<string | undefined> {
  return stat(path).then(
    (s) => (s.isDirectory() ? path : undefined),
    () => undefined, // no tls/ to read: nothing for the operator to copy
  );
}
