import type Database from 'better-sqlite3';

/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many have run.
 * Append new migrations; never edit one that has shipped.
 *
 * - `meta` holds two counters: `revision` (the store revision, bumped by every write) and `compacted`
 *   (every event with revision <= compacted has been deleted from history).
 * - `objects` holds the current objects, `data` as JSON text.
 * - `events` holds the recent history, one row per write, keyed by its revision; for `deleted` rows
 *   `data` is the object's last data.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO meta (key, value) VALUES ('revision', 0), ('compacted', 0);

  CREATE TABLE objects (
    kind             TEXT NOT NULL,
    id               TEXT NOT NULL,
    resource_version INTEGER NOT NULL,
    created          TEXT NOT NULL,
    data             TEXT NOT NULL,
    PRIMARY KEY (kind, id)
  ) WITHOUT ROWID;

  CREATE TABLE events (
    revision INTEGER PRIMARY KEY,
    type     TEXT NOT NULL CHECK (type IN ('added', 'modified', 'deleted')),
    kind     TEXT NOT NULL,
    id       TEXT NOT NULL,
    created  TEXT NOT NULL,
    data     TEXT NOT NULL
  );
  CREATE INDEX events_by_kind ON events (kind, revision);
  `,
];

/** The schema version this code writes; a database with a higher one was written by newer code. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database up to SCHEMA_VERSION, each migration in its own transaction.
 * Throws when the database is newer than this code, rather than guessing at its layout.
 */
export function migrate(db: Database.Database): void {
  const current = userVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `store database schema version ${current} is newer than this Paddock supports (${SCHEMA_VERSION})`,
    );
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    const sql = MIGRATIONS[version];
    if (sql === undefined) break;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}

function userVersion(db: Database.Database): number {
  const value: unknown = db.pragma('user_version', { simple: true });
  if (typeof value !== 'number') throw new Error(`unexpected PRAGMA user_version result: ${String(value)}`);
  return value;
}
