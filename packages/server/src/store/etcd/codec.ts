import type { IKeyValue } from 'etcd3';
import type { StoredObject } from '../types.js';

/**
 * How the etcd store lays objects out in etcd's flat, byte-ordered key space.
 *
 * - Key: `<prefix>/<kind>/<id>`. The kind is percent-encoded (encodeURIComponent), so a kind can never
 *   contain the `/` that ends it and one kind's range never includes another's; ordinary kinds
 *   (`cluster`, `node`) are unchanged. The id is stored as is, so a kind's keys sort by id (UTF-8 bytes,
 *   the same order as SQLite's BINARY collation).
 * - Value: JSON `{"created":"<ISO-8601>","data":<data>}`.
 * - `resourceVersion` is the key's `mod_revision`; a delete's version is the delete's revision.
 * - The store owns every key under `<prefix>/`; anything else there is reported as corrupt.
 * - Each kind's write mark: `<prefix>-kinds/<kind>`, put in the transaction of every write of the kind, so its
 *   `mod_revision` is the revision of the kind's last write (deletes too). Reads that must not be older than
 *   any acknowledged write wait until the cache has that revision (see `kindRevisions`).
 */
export class KeyLayout {
  /** `<prefix>/`, the range of every kind. */
  readonly root: string;
  /** `<prefix>-kinds/`, the range of the kinds' write marks. */
  readonly marks: string;

  constructor(prefix: string) {
    const trimmed = prefix.replace(/\/+$/, '');
    if (trimmed === '' || !trimmed.startsWith('/')) {
      throw new TypeError(`etcd key prefix must start with "/" and name something, got ${JSON.stringify(prefix)}`);
    }
    this.root = `${trimmed}/`;
    this.marks = `${trimmed}-kinds/`;
  }

  /** The key whose mod_revision is the revision of the kind's last write. */
  mark(kind: string): Buffer {
    return Buffer.from(`${this.marks}${encodeURIComponent(kind)}`);
  }

  /** The kind of a write mark's key. */
  markKind(key: Buffer): string {
    return decodeURIComponent(key.toString().slice(this.marks.length));
  }

  key(kind: string, id: string): Buffer {
    return Buffer.from(`${this.root}${encodeURIComponent(kind)}/${id}`);
  }

  /** The key prefix of one kind, or of every kind when absent. */
  range(kind?: string): Buffer {
    return Buffer.from(kind === undefined ? this.root : `${this.root}${encodeURIComponent(kind)}/`);
  }

  /** Splits a stored key into kind and id; throws on a key this layout did not produce. */
  parse(key: Buffer): { kind: string; id: string } {
    const text = key.toString();
    const slash = text.indexOf('/', this.root.length);
    if (!text.startsWith(this.root) || slash < 0) throw new CorruptValueError(text, 'not a <kind>/<id> key');
    let kind: string;
    try {
      kind = decodeURIComponent(text.slice(this.root.length, slash));
    } catch {
      throw new CorruptValueError(text, 'kind is not percent-encoded');
    }
    return { kind, id: text.slice(slash + 1) };
  }
}

/** The end of etcd's range of every key starting with `prefix` (etcd's `GetPrefixRangeEnd`). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] ?? 0) < 0xff) {
      end[i] = (end[i] ?? 0) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** JSON text of `data`; TypeError (before anything is written) when it is not JSON-serializable. */
export function encodeData(data: unknown): string {
  const json = JSON.stringify(data);
  if (json === undefined) throw new TypeError(`store data must be JSON-serializable, got ${typeof data}`);
  return json;
}

export function encodeValue(created: string, dataJson: string): Buffer {
  return Buffer.from(`{"created":${JSON.stringify(created)},"data":${dataJson}}`);
}

/** Decodes a stored value into a new object that shares nothing with earlier decodes. */
export function decodeObject<T>(layout: KeyLayout, kv: IKeyValue, resourceVersion = revisionOf(kv.mod_revision)): StoredObject<T> {
  const { kind, id } = layout.parse(kv.key);
  let value: unknown;
  try {
    value = JSON.parse(kv.value.toString());
  } catch {
    throw new CorruptValueError(kv.key.toString(), 'value is not JSON');
  }
  if (typeof value !== 'object' || value === null || !('created' in value) || typeof value.created !== 'string' || !('data' in value)) {
    throw new CorruptValueError(kv.key.toString(), 'value is not {"created","data"}');
  }
  return { kind, id, resourceVersion, created: value.created, data: value.data as T };
}

/** etcd's int64 fields arrive as decimal strings; revisions stay far below 2^53. */
export function revisionOf(value: string | number): number {
  const revision = Number(value);
  if (!Number.isSafeInteger(revision) || revision < 0) throw new Error(`etcd returned a bad revision ${String(value)}`);
  return revision;
}

/** A key under the store's prefix that the store did not write (or that was damaged). */
export class CorruptValueError extends Error {
  constructor(readonly key: string, reason: string) {
    super(`etcd key ${JSON.stringify(key)} is not a Paddock object: ${reason}`);
    this.name = 'CorruptValueError';
  }
}
