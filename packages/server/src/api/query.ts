import { collectionFilters, MODIFIERS, type Modifier } from '../schema/filters.js';
import type { Schema } from '../schema/schema.js';
import type { JsonObject } from '../schema/validate.js';

export { collectionFilters, MODIFIERS };
export type { Modifier };

/**
 * Collection queries, applied in memory to the formatted resources (as norman does):
 * filters `field[_modifier]=value`, `sort`/`order`, and `limit`/`marker` pagination.
 * Unknown fields and modifiers are ignored, as in norman.
 */
export interface Condition {
  modifier: Modifier;
  value: string | string[];
}

export type Query = Record<string, string | string[] | undefined>;

const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 10000;

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Parses the filter conditions of a query for a schema's filterable fields. */
export function parseFilters(schema: Schema, query: Query): Record<string, Condition[]> {
  const allowed = collectionFilters(schema);
  const out: Record<string, Condition[]> = {};
  for (const [key, raw] of Object.entries(query)) {
    const cut = key.lastIndexOf('_');
    const suffix = cut > 0 ? key.slice(cut + 1) : '';
    const isModifier = (MODIFIERS as readonly string[]).includes(suffix);
    const name = isModifier ? key.slice(0, cut) : key;
    const modifier = (isModifier ? suffix : 'eq') as Modifier;
    const spec = Object.hasOwn(allowed, name) ? allowed[name] : undefined;
    if (!spec || !spec.modifiers.includes(modifier)) continue;
    const values = asList(raw);
    const value = modifier === 'in' || modifier === 'notin' ? values : (values[0] ?? '');
    (out[name] ??= []).push({ modifier, value });
  }
  return out;
}

function str(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Does `piece` (with `_` matching any one character) match `text` at `at`? */
function pieceAt(text: string, piece: string, at: number): boolean {
  if (at + piece.length > text.length) return false;
  for (let i = 0; i < piece.length; i++) if (piece[i] !== '_' && piece[i] !== text[at + i]) return false;
  return true;
}

function findPiece(text: string, piece: string, from: number): number {
  for (let at = from; at + piece.length <= text.length; at++) if (pieceAt(text, piece, at)) return at;
  return -1;
}

/**
 * SQL LIKE, case-insensitive: `%` is any run of characters, `_` any one; without `%` the pattern matches
 * anywhere. The pieces between `%`s are matched left-most first, which is exact for LIKE and takes
 * O(value × pattern) time: no regular expression, so a crafted pattern cannot make it backtrack.
 */
export function likeMatches(value: string, pattern: string): boolean {
  const text = value.toLowerCase();
  const pieces = pattern.toLowerCase().split('%');
  if (pieces.length === 1) return findPiece(text, pieces[0] ?? '', 0) >= 0;
  const first = pieces[0] ?? '';
  const last = pieces[pieces.length - 1] ?? '';
  if (!pieceAt(text, first, 0)) return false;
  let at = first.length;
  for (const piece of pieces.slice(1, -1)) {
    const found = findPiece(text, piece, at);
    if (found < 0) return false;
    at = found + piece.length;
  }
  const tail = text.length - last.length;
  return tail >= at && pieceAt(text, last, tail);
}

function compare(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function matches(actual: unknown, cond: Condition): boolean {
  const s = str(actual);
  const v = cond.value;
  switch (cond.modifier) {
    case 'eq':
      return (s ?? '') === v;
    case 'ne':
      return (s ?? '') !== v;
    case 'in':
      return (v as string[]).includes(s ?? '');
    case 'notin':
      return !(v as string[]).includes(s ?? '');
    case 'prefix':
      return s !== undefined && s.startsWith(v as string);
    case 'like':
      return s !== undefined && likeMatches(s, v as string);
    case 'null':
      return s === undefined || s === '';
    case 'notnull':
      return s !== undefined && s !== '';
    case 'gt':
      return s !== undefined && compare(s, v as string) > 0;
    case 'gte':
      return s !== undefined && compare(s, v as string) >= 0;
    case 'lt':
      return s !== undefined && compare(s, v as string) < 0;
    case 'lte':
      return s !== undefined && compare(s, v as string) <= 0;
  }
}

export function applyFilters(items: JsonObject[], filters: Record<string, Condition[]>): JsonObject[] {
  const entries = Object.entries(filters);
  if (entries.length === 0) return items;
  return items.filter((item) => entries.every(([name, conds]) => conds.every((c) => matches(item[name], c))));
}

export interface SortSpec {
  field: string | undefined;
  order: 'asc' | 'desc';
}

export function parseSort(schema: Schema, query: Query): SortSpec {
  const field = asList(query.sort)[0];
  const order = asList(query.order)[0] === 'desc' ? 'desc' : 'asc';
  const valid = field !== undefined && Object.hasOwn(collectionFilters(schema), field);
  return { field: valid ? field : undefined, order };
}

export function applySort(items: JsonObject[], sort: SortSpec): JsonObject[] {
  const key = sort.field ?? 'id';
  const sign = sort.order === 'desc' ? -1 : 1;
  return [...items].sort((a, b) => {
    const primary = compare(str(a[key]) ?? '', str(b[key]) ?? '');
    return sign * (primary !== 0 ? primary : compare(str(a.id) ?? '', str(b.id) ?? ''));
  });
}

export interface Page {
  items: JsonObject[];
  pagination: JsonObject;
}

/** norman's rule: -1 or more than the maximum means the maximum; anything not a positive integer, the default. */
function parseLimit(raw: string | undefined): number {
  const n = Number(raw);
  if (!Number.isFinite(n)) return DEFAULT_LIMIT;
  if (n === -1 || n > MAX_LIMIT) return MAX_LIMIT;
  return raw !== undefined && raw.trim() !== '' && Number.isInteger(n) && n > 0 ? n : DEFAULT_LIMIT;
}

/** `limit` (default 1000, max 10000, -1 = max) and `marker` (id of the first item of the page). */
export function paginate(items: JsonObject[], query: Query, pageUrl: (marker: string) => string): Page {
  const limit = parseLimit(asList(query.limit)[0]);
  const marker = asList(query.marker)[0];
  const found = marker === undefined ? -1 : items.findIndex((i) => i.id === marker);
  const start = found < 0 ? 0 : found;
  const page = items.slice(start, start + limit);
  const pagination: JsonObject = { limit, total: items.length };
  if (marker !== undefined) pagination.marker = marker;
  if (page.length < items.length) {
    const idAt = (i: number) => String(items[i]?.id ?? '');
    const lastStart = Math.max(0, Math.floor((items.length - 1) / limit) * limit);
    pagination.partial = true;
    pagination.first = pageUrl(idAt(0));
    if (start + limit < items.length) pagination.next = pageUrl(idAt(start + limit));
    if (start > 0) pagination.previous = pageUrl(idAt(Math.max(0, start - limit)));
    pagination.last = pageUrl(idAt(lastStart));
  }
  return { items: page, pagination };
}
