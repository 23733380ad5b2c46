import type { Resource } from './api';

/**
 * Which live events can change a page of a server-sorted, server-filtered list. A page shows `limit` items
 * from `marker` on; an item not on it matters only if it could enter it: it was created or deleted, or a
 * field the sort or the filter uses changed. Anything else (a node's heartbeat turning a cluster's
 * conditions over, under agent churn) is left alone instead of reloading the page.
 */
export interface PageView {
  /** The sort field (`name`, `state`, `created`) and order, as sent to the server. */
  sort: string;
  order: 'asc' | 'desc';
  /** `name_like` (SQL LIKE, case-insensitive; without `%` it matches anywhere) and `state`; '' for none. */
  q: string;
  state: string;
  /** The page's first item's id ('' on the first page), and whether a next page exists. */
  marker: string;
  hasNext: boolean;
}

/** What the page remembers of an item it has seen: the fields sorting and filtering may use. */
export type Seen = Pick<Resource, 'id' | 'name' | 'state' | 'created' | 'resourceVersion'>;

const str = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** The server's comparison (api/query.ts): numbers as numbers, else strings; ties by id. */
function compare(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareFor(view: Pick<PageView, 'sort' | 'order'>, a: Seen, b: Seen): number {
  const sign = view.order === 'desc' ? -1 : 1;
  const primary = compare(str(a[view.sort as keyof Seen]), str(b[view.sort as keyof Seen]));
  return sign * (primary !== 0 ? primary : compare(a.id, b.id));
}

/** The server's LIKE (`%` any run, `_` any one character, case-insensitive; without `%`, anywhere). */
export function likeMatches(value: string, pattern: string): boolean {
  const piece = (p: string) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/_/g, '.');
  const pieces = pattern.split('%').map(piece);
  const source = pieces.length === 1 ? pieces[0] ?? '' : `^${pieces.join('.*')}$`;
  return new RegExp(source, 'is').test(value);
}

export function matchesFilter(view: Pick<PageView, 'q' | 'state'>, item: Seen): boolean {
  if (view.q.trim() && !likeMatches(str(item.name), view.q.trim())) return false;
  return !view.state || item.state === view.state;
}

/** Could `item`, as it is now, be on the page? (Between its first and last items, in the server's order.) */
export function couldBeOnPage(view: PageView, page: Seen[], item: Seen): boolean {
  if (!matchesFilter(view, item)) return false;
  const first = page[0];
  const last = page[page.length - 1];
  if (!first || !last) return true;
  const afterStart = !view.marker || compareFor(view, item, first) >= 0;
  const beforeEnd = !view.hasNext || compareFor(view, item, last) <= 0;
  return afterStart && beforeEnd;
}

/** The fields whose change can move an item into or out of the page, or change the total. */
export function fieldsUsed(view: Pick<PageView, 'sort' | 'q' | 'state'>): (keyof Seen)[] {
  const fields = new Set<keyof Seen>([view.sort as keyof Seen]);
  if (view.q.trim()) fields.add('name');
  if (view.state) fields.add('state');
  return [...fields];
}

export interface OffPageEvent {
  removed: boolean;
  item: Seen & { createdTS?: unknown };
}

/**
 * Should an event about an item that is NOT on the page reload it? `seen` is what the page last knew of
 * the item (undefined if never seen: then it is new if created since `since`, server time, else it matters
 * only if it could be on the page now).
 */
export function offPageEventMatters(view: PageView, page: Seen[], e: OffPageEvent, seen: Seen | undefined, since: number): boolean {
  if (e.removed) return true;
  // An event older than what the page knows (they may cross a reload) says nothing new.
  if (seen && Number(e.item.resourceVersion ?? 0) < Number(seen.resourceVersion ?? 0)) return false;
  if (seen) return fieldsUsed(view).some((f) => str(seen[f]) !== str(e.item[f]));
  const created = typeof e.item.createdTS === 'number' ? e.item.createdTS : Date.parse(str(e.item.created));
  if (Number.isFinite(created) && created >= since) return true;
  return couldBeOnPage(view, page, e.item);
}

/** The part of an item the page remembers. */
export const seenOf = (r: Seen): Seen => ({ id: r.id, name: r.name, state: r.state, created: r.created, resourceVersion: r.resourceVersion });
