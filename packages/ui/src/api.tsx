/**
 * The v3 API as the UI uses it: JSON over fetch with the session cookie, the CSRF header on writes, and
 * every failure turned into an ApiError whose message can be shown to a person as it is.
 */

/** A norman resource: the fields every kind has, and the kind's own fields. */
export interface Resource {
  id: string;
  type: string;
  name?: string;
  state?: string;
  transitioning?: string;
  transitioningMessage?: string;
  created?: string;
  resourceVersion?: string;
  links?: Record<string, string>;
  actions?: Record<string, string> | null;
  [field: string]: unknown;
}

export interface Pagination {
  limit?: number;
  total?: number;
  marker?: string;
  next?: string;
  previous?: string;
  first?: string;
  last?: string;
  partial?: boolean;
}

export interface Collection<T extends Resource = Resource> {
  type: 'collection';
  data: T[];
  pagination?: Pagination;
  /** The types the caller may create in this collection, by schema id (empty when they may not). */
  createTypes?: Record<string, string>;
}

/** An error from the API (norman's `{type:'error', status, code, message, fieldName}`) or from the network. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fieldName?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Called when the API says the session is gone (401 outside login), so the app can show the login page. */
let onUnauthorized: (() => void) | undefined;
export function setUnauthorizedHandler(fn: () => void) {
  onUnauthorized = fn;
}

function cookie(name: string): string {
  for (const part of document.cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return '';
}

type Query = Record<string, string | number | boolean | undefined | null | (string | number)[]>;

/** `?a=1&b=x&b=y`, skipping empty values. */
export function qs(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** Words for a failure, whatever was thrown. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The message of an error when it is about `field` (the API named it), else undefined. */
export function fieldError(err: unknown, ...fields: string[]): string | undefined {
  if (!(err instanceof ApiError) || err.fieldName === undefined) return undefined;
  const name = err.fieldName.toLowerCase();
  return fields.some((f) => f.toLowerCase() === name) ? err.message : undefined;
}

export interface CallOptions {
  body?: unknown;
  signal?: AbortSignal;
  /** Do not treat a 401 as "session over" (the login call itself). */
  anonymous?: boolean;
}

/** The server's clock minus this browser's, from the Date header of the last answer (whole seconds). */
let clockSkew = 0;

/** The server's time now, as well as this browser can tell (to the second or so). */
export const serverNow = () => Date.now() + clockSkew;

export async function api<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-api-csrf'] = cookie('CSRF');
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (err) {
    if (options.signal?.aborted) throw err;
    throw new ApiError(0, 'NetworkError', `Cannot reach the Paddock server (${errorText(err)}). Check your connection and try again.`);
  }
  const date = Date.parse(res.headers.get('date') ?? '');
  if (Number.isFinite(date)) clockSkew = date - Date.now();
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const body = (json ?? {}) as { code?: string; message?: string; fieldName?: string };
    if (res.status === 401 && !options.anonymous) onUnauthorized?.();
    const message = body.message || (text && !text.startsWith('<') ? text.slice(0, 300) : `${res.status} ${res.statusText || 'error'}`);
    throw new ApiError(res.status, body.code ?? 'ServerError', message.charAt(0).toUpperCase() + message.slice(1), body.fieldName);
  }
  return json as T;
}

export const get = <T = unknown,>(path: string, signal?: AbortSignal) => api<T>('GET', path, { signal });
export const post = <T = unknown,>(path: string, body?: unknown) => api<T>('POST', path, { body: body ?? {} });
export const put = <T = unknown,>(path: string, body: unknown) => api<T>('PUT', path, { body });
export const del = <T = unknown,>(path: string) => api<T>('DELETE', path);

/** `/v3/<type>/<id>` with the id escaped (ids like `c-x:m-y` stay readable). */
export function resourcePath(type: string, id: string): string {
  return `/v3/${type}/${encodeURIComponent(id).replace(/%3A/gi, ':')}`;
}

/** The marker in a pagination link (`...?marker=c-abcde`). */
export function markerOf(link: string | undefined): string | undefined {
  if (!link) return undefined;
  try {
    return new URL(link, location.origin).searchParams.get('marker') ?? undefined;
  } catch {
    return undefined;
  }
}

/** Is `a` at least as new as `b` (store revisions are numbers in strings)? */
export function newer(a: Pick<Resource, 'resourceVersion'>, b: Pick<Resource, 'resourceVersion'> | undefined): boolean {
  if (!b) return true;
  return Number(a.resourceVersion ?? 0) >= Number(b.resourceVersion ?? 0);
}
