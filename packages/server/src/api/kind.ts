import type { Schema } from '../schema/schema.js';
import type { JsonObject } from '../schema/validate.js';
import type { ResourceStore, StoredObject } from '../store/types.js';
import type { RequestContext } from './context.js';

export type Verb = 'list' | 'get' | 'create' | 'update' | 'delete';

/** A read-only view of a kind's objects, kept current by an informer. */
export interface ObjectCache<T = JsonObject> {
  get(id: string): StoredObject<T> | undefined;
  list(): StoredObject<T>[];
  /** Resolves once the cache reflects every store write up to `revision` (read-your-writes). */
  waitForRevision(revision: number): Promise<void>;
}

export interface ActionResult {
  status?: number;
  body?: JsonObject;
  headers?: Record<string, string | string[]>;
}

export type ResourceAction = (ctx: RequestContext, obj: StoredObject<JsonObject>, input: unknown) => Promise<ActionResult>;
export type CollectionAction = (ctx: RequestContext, input: unknown) => Promise<ActionResult>;

export interface PreparedCreate {
  id: string;
  /** What is stored: declared fields plus any internal ones (internal ones are never output). */
  data: JsonObject;
  /** Fields shown in the create response only (secrets shown once). */
  shownOnce?: JsonObject;
}

/**
 * Where a kind's objects are written, when not in Paddock's store: the same calls, the same errors
 * (StoreConflictError, StoreNotFoundError, ...). The returned object is already in the kind's cache.
 */
export type KindBackend = Pick<ResourceStore, 'create' | 'update' | 'delete'>;

/**
 * One resource kind as the v3 API serves it: its schema plus the hooks that differ from the generic
 * behaviour. Hooks validate, authorize and shape writes; they do not orchestrate (controllers do).
 */
export interface ResourceKind {
  schema: Schema;
  cache: ObjectCache;
  /** Writes go here instead of the store (kinds that live elsewhere, like a cluster's namespaces). */
  backend?: KindBackend;
  /** May the caller do `verb` (on `obj`)? A refused `get` is answered as not found. */
  allowed(ctx: RequestContext, verb: Verb, obj?: StoredObject<JsonObject>): boolean;
  /**
   * Run prepareCreate and the store write of this kind one at a time, so uniqueness checks made in
   * prepareCreate (names, usernames) cannot race each other.
   */
  serializeCreates?: boolean;
  /** Reads allowed without authentication (e.g. the `cacerts` setting). */
  publicRead?(id: string): boolean;
  /** Completes a validated create body: id, derived and internal fields. Throws ApiError to refuse. */
  prepareCreate?(ctx: RequestContext, input: JsonObject): Promise<PreparedCreate>;
  /**
   * Resolves once what the creator relies on next is in place (e.g. the controllers have made them the
   * owner of the cluster they created, so they can read it at once), with the object as it is then.
   */
  settled?(ctx: RequestContext, stored: StoredObject<JsonObject>): Promise<StoredObject<JsonObject>>;
  /** Checks and completes a merged update. Throws ApiError to refuse. */
  prepareUpdate?(ctx: RequestContext, current: StoredObject<JsonObject>, merged: JsonObject, changed: string[]): Promise<JsonObject>;
  /**
   * Resolves once what goes with a deleted object is gone too (the controllers' cascade), so the DELETE
   * answers when the whole deletion is visible. Optional.
   */
  deleted?(ctx: RequestContext, obj: StoredObject<JsonObject>): Promise<void>;
  /** Refuses a delete by throwing ApiError. */
  checkDelete?(ctx: RequestContext, obj: StoredObject<JsonObject>): void;
  /** Adds computed fields to the output (`out` already holds the declared fields, links and actions). */
  format?(ctx: RequestContext, obj: StoredObject<JsonObject>, out: JsonObject): void;
  /** Extra links (relations) of a resource, name → URL path below the resource (e.g. `nodes`). */
  relations?: string[];
  /** Names of the resource actions available on this object now (default: all declared). */
  availableActions?(ctx: RequestContext, obj: StoredObject<JsonObject>): string[];
  actions?: Record<string, ResourceAction>;
  /** The verb each resource action needs on its object (default `update`; e.g. `get` for generateKubeconfig). */
  actionVerbs?: Record<string, Verb>;
  collectionActions?: Record<string, CollectionAction>;
}
