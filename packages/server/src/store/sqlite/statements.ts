import type Database from 'better-sqlite3';
import type { WatchEventType } from '../types.js';

/** A row of `objects`. */
export interface ObjectRow {
  kind: string;
  id: string;
  resource_version: number;
  created: string;
  data: string;
}

/** A row of `events`. */
export interface EventRow {
  revision: number;
  type: WatchEventType;
  kind: string;
  id: string;
  created: string;
  data: string;
}

/** Every statement the store runs, prepared once per connection. */
export interface Statements {
  getObject: Database.Statement<[kind: string, id: string], ObjectRow>;
  listObjects: Database.Statement<[kind: string], ObjectRow>;
  insertObject: Database.Statement<[ObjectRow]>;
  updateObject: Database.Statement<[ObjectRow]>;
  deleteObject: Database.Statement<[kind: string, id: string]>;
  insertEvent: Database.Statement<[EventRow]>;
  eventsAfter: Database.Statement<[revision: number], EventRow>;
  kindEventsAfter: Database.Statement<[revision: number, kind: string], EventRow>;
  deleteEventsThrough: Database.Statement<[revision: number]>;
  getMeta: Database.Statement<[key: MetaKey], number>;
  setMeta: Database.Statement<[value: number, key: MetaKey]>;
  bumpRevision: Database.Statement<[], number>;
}

export type MetaKey = 'revision' | 'compacted';

const EVENT_COLUMNS = 'revision, type, kind, id, created, data';

export function prepareStatements(db: Database.Database): Statements {
  return {
    getObject: db.prepare('SELECT * FROM objects WHERE kind = ? AND id = ?'),
    listObjects: db.prepare('SELECT * FROM objects WHERE kind = ? ORDER BY id'),
    insertObject: db.prepare(
      `INSERT INTO objects (kind, id, resource_version, created, data)
       VALUES (@kind, @id, @resource_version, @created, @data)`,
    ),
    updateObject: db.prepare(
      `UPDATE objects SET resource_version = @resource_version, data = @data
       WHERE kind = @kind AND id = @id`,
    ),
    deleteObject: db.prepare('DELETE FROM objects WHERE kind = ? AND id = ?'),
    insertEvent: db.prepare(
      `INSERT INTO events (${EVENT_COLUMNS}) VALUES (@revision, @type, @kind, @id, @created, @data)`,
    ),
    eventsAfter: db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE revision > ? ORDER BY revision`),
    kindEventsAfter: db.prepare(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE revision > ? AND kind = ? ORDER BY revision`,
    ),
    deleteEventsThrough: db.prepare('DELETE FROM events WHERE revision <= ?'),
    getMeta: db.prepare<[MetaKey], number>('SELECT value FROM meta WHERE key = ?').pluck(),
    setMeta: db.prepare('UPDATE meta SET value = ? WHERE key = ?'),
    bumpRevision: db
      .prepare<[], number>("UPDATE meta SET value = value + 1 WHERE key = 'revision' RETURNING value")
      .pluck(),
  };
}
