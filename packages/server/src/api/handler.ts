import { randomUUID } from 'node:crypto';
import { renderSchema } from '../schema/render.js';
import type { Schema } from '../schema/schema.js';
import { isPlainObject, validateCreate, validateUpdate, type JsonObject } from '../schema/validate.js';
import { StoreAlreadyExistsError, type ResourceStore, type StoredObject } from '../store/types.js';
import { KeyedQueue } from '../util/keyed-queue.js';
import { buildCollection } from './collection.js';
import type { RequestContext } from './context.js';
import { ApiError } from './errors.js';
import { collectionUrl, formatResource, resourceUrl } from './format.js';
import type { KindBackend, ResourceKind, Verb } from './kind.js';
import type { ApiVersion } from './registry.js';

/** One API request, already parsed from HTTP. */
export interface ApiRequest {
  method: string;
  /** Path segments after the version root, URL-decoded, empty ones removed. */
  segments: string[];
  body: unknown;
}

export interface ApiResponse {
  status: number;
  body?: JsonObject;
  headers?: Record<string, string | string[]>;
}

export const mustAuthenticate = () => new ApiError('Unauthorized', 'must authenticate');

const ok = (body: JsonObject, status = 200): ApiResponse => ({ status, body });
/** Draws of a random id before a create gives up (see #createOnce). */
const CREATE_ATTEMPTS = 3;

/**
 * The v3 request pipeline, top to bottom: find the type, authenticate, check the method, then list / get /
 * create / update / delete / action through the kind's hooks and the store. Reads come from the kind's
 * informer cache; writes go to the store and wait until the cache has them, so a client reads its writes.
 */
export class ApiHandler {
  /** Creates of kinds with `serializeCreates` run one at a time per kind. */
  readonly #creates = new KeyedQueue();

  constructor(
    readonly version: ApiVersion,
    private readonly store: ResourceStore,
  ) {}

  async handle(ctx: RequestContext, req: ApiRequest): Promise<ApiResponse> {
    const [typeName, id, link, ...rest] = req.segments;
    // As in Rancher, only /v3-public is open; /v3's root and schemas need a caller too.
    const open = this.version.path !== '/v3' || ctx.caller !== undefined;
    if (typeName === undefined) {
      if (!open) throw mustAuthenticate();
      return ok(this.apiRoot(ctx));
    }
    const kind = this.version.kind(typeName);
    if (!kind && typeName.toLowerCase() === 'schemas') {
      if (!open) throw mustAuthenticate();
      return this.schemas(ctx, req, id);
    }
    if (!kind) throw new ApiError('NotFound', `failed to find schema ${typeName}`);
    if (rest.length > 0) throw new ApiError('NotFound', `no such path: ${req.segments.join('/')}`);
    const method = effectiveMethod(req.method, ctx);

    if (!ctx.caller && !(method === 'GET' && id !== undefined && link === undefined && kind.publicRead?.(id))) {
      if (this.version.path === '/v3') throw mustAuthenticate();
    }
    checkPasswordChange(ctx, kind, method, id);
    if (link !== undefined && id !== undefined) return this.subCollection(ctx, req, kind, id, link, method);
    if (id === undefined) return this.onCollection(ctx, req, kind, method);
    return this.onResource(ctx, req, kind, id, method);
  }

  /** Where a kind's writes go: its own backend (e.g. a cluster's Kubernetes API), else the store. */
  #backend(kind: ResourceKind): KindBackend {
    return kind.backend ?? this.store;
  }

  private async onCollection(ctx: RequestContext, req: ApiRequest, kind: ResourceKind, method: string): Promise<ApiResponse> {
    const action = actionName(ctx);
    // A collection action is a POST whatever the collection's own methods (principals: GET only, plus search).
    if (!(method === 'POST' && action !== undefined)) requireMethod(kind.schema.collectionMethods, method);
    if (method === 'GET') return ok(this.list(ctx, kind, collectionUrl(ctx, kind)));
    if (action !== undefined) {
      const handler = kind.collectionActions?.[action];
      if (!handler || !(action in kind.schema.collectionActions)) throw new ApiError('InvalidAction', `Invalid action: ${action}`);
      return toResponse(await handler(ctx, req.body));
    }
    return this.create(ctx, kind, req.body);
  }

  private async onResource(ctx: RequestContext, req: ApiRequest, kind: ResourceKind, id: string, method: string): Promise<ApiResponse> {
    const action = actionName(ctx);
    if (method === 'POST' && action !== undefined) return this.resourceAction(ctx, req, kind, id, action);
    requireMethod(kind.schema.resourceMethods, method);
    const obj = this.visible(ctx, kind, id);
    switch (method) {
      case 'GET':
        return ok(formatResource(ctx, kind, obj));
      case 'PUT':
        return this.update(ctx, kind, obj, req.body);
      case 'DELETE':
        return this.remove(ctx, kind, obj);
      default:
        throw new ApiError('MethodNotAllow', `Method ${method} not supported`);
    }
  }

  /** `/v3/<parents>/<id>/<children>`: the children whose reference to the parent is `id`. */
  private async subCollection(ctx: RequestContext, req: ApiRequest, parent: ResourceKind, id: string, link: string, method: string) {
    const child = this.version.kind(link);
    const refField = child && childReference(child.schema, parent.schema.id);
    if (!child || !refField) throw new ApiError('NotFound', `${parent.schema.id} has no link ${link}`);
    this.visible(ctx, parent, id);
    const selfUrl = `${resourceUrl(ctx, parent, id)}/${link}`;
    if (method === 'GET') {
      requireMethod(child.schema.collectionMethods, 'GET');
      return ok(this.list(ctx, child, selfUrl, (o) => o.data[refField] === id));
    }
    if (method === 'POST' && actionName(ctx) === undefined) {
      requireMethod(child.schema.collectionMethods, 'POST');
      const body = isPlainObject(req.body) ? { ...req.body, [refField]: id } : req.body;
      return this.create(ctx, child, body);
    }
    throw new ApiError('MethodNotAllow', `Method ${method} not supported on ${selfUrl}`);
  }

  private list(ctx: RequestContext, kind: ResourceKind, selfUrl: string, where?: (o: StoredObject<JsonObject>) => boolean) {
    this.authorize(ctx, kind, 'list');
    const items = kind.cache
      .list()
      .filter((o) => (!where || where(o)) && kind.allowed(ctx, 'get', o))
      .map((o) => formatResource(ctx, kind, o));
    return buildCollection(ctx, kind, items, selfUrl);
  }

  private visible(ctx: RequestContext, kind: ResourceKind, id: string): StoredObject<JsonObject> {
    const obj = kind.cache.get(id);
    const publicOk = !ctx.caller && kind.publicRead?.(id) === true;
    if (!obj || (!publicOk && !kind.allowed(ctx, 'get', obj))) {
      throw new ApiError('NotFound', `${kind.schema.id} "${id}" not found`);
    }
    return obj;
  }

  private authorize(ctx: RequestContext, kind: ResourceKind, verb: Verb, obj?: StoredObject<JsonObject>) {
    if (!kind.allowed(ctx, verb, obj)) {
      throw new ApiError('PermissionDenied', `you may not ${verb} ${kind.schema.pluralName}${obj?.id ? ` ("${obj.id}")` : ''}`);
    }
  }

  private async create(ctx: RequestContext, kind: ResourceKind, body: unknown): Promise<ApiResponse> {
    this.authorize(ctx, kind, 'create');
    const prepareCreate = kind.prepareCreate?.bind(kind);
    if (!prepareCreate) throw new ApiError('MethodNotAllow', `${kind.schema.pluralName} cannot be created`);
    const input = validateCreate(kind.schema.fields, body);
    // Now that the body names its scope (the cluster or project), ask again for that scope.
    this.authorize(ctx, kind, 'create', { kind: kind.schema.id, id: '', resourceVersion: 0, created: '', data: input });
    const write = async () => {
      const { prepared, stored } = await this.#createOnce(ctx, kind, prepareCreate, input);
      await kind.cache.waitForRevision(stored.resourceVersion);
      const settled = kind.settled ? await kind.settled(ctx, stored) : stored;
      return ok(formatResource(ctx, kind, settled, prepared.shownOnce), 201);
    };
    return kind.serializeCreates ? this.#creates.run(kind.schema.id, write) : write();
  }

  /**
   * Prepares and stores a new object. Ids are drawn at random (`c-xxxxx`: 5 characters), so one already taken,
   * rare but certain among many thousands, is drawn again; an id taken every time comes from the input.
   */
  async #createOnce(ctx: RequestContext, kind: ResourceKind, prepareCreate: NonNullable<ResourceKind['prepareCreate']>, input: JsonObject) {
    const taken = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      const prepared = await prepareCreate(ctx, input);
      prepared.data.uuid ??= randomUUID();
      try {
        return { prepared, stored: await this.#backend(kind).create<JsonObject>(kind.schema.id, prepared.id, prepared.data) };
      } catch (err) {
        // The same id drawn again comes from the input (a name): it stays taken.
        if (!(err instanceof StoreAlreadyExistsError) || attempt >= CREATE_ATTEMPTS || taken.has(prepared.id)) throw err;
        taken.add(prepared.id);
      }
    }
  }

  private async update(ctx: RequestContext, kind: ResourceKind, obj: StoredObject<JsonObject>, body: unknown): Promise<ApiResponse> {
    this.authorize(ctx, kind, 'update', obj);
    if (isPlainObject(body) && body.resourceVersion !== undefined && String(body.resourceVersion) !== String(obj.resourceVersion)) {
      throw new ApiError('Conflict', `${kind.schema.id} "${obj.id}" was modified (resourceVersion ${obj.resourceVersion}); read it again and retry`);
    }
    const { merged, changed } = validateUpdate(kind.schema.fields, obj.data, body, ctx.query._replace === 'true');
    const data = kind.prepareUpdate ? await kind.prepareUpdate(ctx, obj, merged, changed) : merged;
    const stored = await this.#backend(kind).update<JsonObject>(kind.schema.id, obj.id, data, obj.resourceVersion);
    await kind.cache.waitForRevision(stored.resourceVersion);
    return ok(formatResource(ctx, kind, stored));
  }

  private async remove(ctx: RequestContext, kind: ResourceKind, obj: StoredObject<JsonObject>): Promise<ApiResponse> {
    this.authorize(ctx, kind, 'delete', obj);
    kind.checkDelete?.(ctx, obj);
    const deleted = await this.#backend(kind).delete<JsonObject>(kind.schema.id, obj.id, obj.resourceVersion);
    await kind.cache.waitForRevision(deleted.resourceVersion);
    await kind.deleted?.(ctx, deleted);
    return { status: 204 };
  }

  private async resourceAction(ctx: RequestContext, req: ApiRequest, kind: ResourceKind, id: string, action: string) {
    const obj = this.visible(ctx, kind, id);
    const handler = kind.actions?.[action];
    if (!handler || !(action in kind.schema.resourceActions)) throw new ApiError('InvalidAction', `Invalid action: ${action}`);
    this.authorize(ctx, kind, kind.actionVerbs?.[action] ?? 'update', obj);
    const available = kind.availableActions ? kind.availableActions(ctx, obj) : Object.keys(kind.schema.resourceActions);
    if (!available.includes(action)) throw new ApiError('ActionNotAvailable', `action ${action} is not available on ${kind.schema.id} "${id}" now`);
    return toResponse(await handler(ctx, obj, req.body));
  }

  private apiRoot(ctx: RequestContext): JsonObject {
    const root = `${ctx.baseUrl}${this.version.path}`;
    const links: Record<string, string> = { root, self: root, schemas: `${root}/schemas` };
    for (const kind of this.version.kinds()) links[kind.schema.pluralName] = collectionUrl(ctx, kind);
    return {
      id: this.version.path.slice(1),
      type: 'apiRoot',
      baseType: 'apiRoot',
      apiVersion: { group: 'management.cattle.io', version: 'v3', path: this.version.path },
      links,
    };
  }

  private schemas(ctx: RequestContext, req: ApiRequest, id: string | undefined): ApiResponse {
    if (effectiveMethod(req.method, ctx) !== 'GET') throw new ApiError('MethodNotAllow', 'schemas are read-only');
    const render = (schema: Schema) => renderSchema(schema, { baseUrl: ctx.baseUrl, ...this.methodsFor(ctx, schema) });
    if (id !== undefined) {
      const schema = this.version.schema(id);
      if (!schema) throw new ApiError('NotFound', `failed to find schema ${id}`);
      return ok(render(schema));
    }
    const data = this.version.schemas().map(render);
    return ok({
      type: 'collection',
      resourceType: 'schema',
      links: { self: `${ctx.baseUrl}${this.version.path}/schemas` },
      createTypes: {},
      actions: {},
      pagination: { limit: data.length, total: data.length },
      sort: null,
      filters: {},
      data,
    });
  }

  private methodsFor(ctx: RequestContext, schema: Schema) {
    const kind = this.version.kind(schema.id);
    if (!kind || kind.schema !== schema) return { collectionMethods: schema.collectionMethods, resourceMethods: schema.resourceMethods };
    const may = (verb: Verb) => kind.allowed(ctx, verb);
    return {
      collectionMethods: schema.collectionMethods.filter((m) => (m === 'POST' ? may('create') : may('list'))),
      resourceMethods: schema.resourceMethods.filter((m) => (m === 'PUT' ? may('update') : m === 'DELETE' ? may('delete') : true)),
    };
  }
}

/**
 * A session whose password must change (first start's admin/admin) may read, change the password and log
 * out; nothing else. Checked on the effective method, after `_method` and `?action=remove`.
 */
function checkPasswordChange(ctx: RequestContext, kind: ResourceKind, method: string, id: string | undefined) {
  if (!ctx.caller?.mustChangePassword || method === 'GET') return;
  const action = actionName(ctx);
  const allowed =
    method === 'POST' &&
    id === undefined &&
    ((kind.schema.id === 'user' && action === 'changepassword') || (kind.schema.id === 'token' && action === 'logout'));
  if (!allowed) throw new ApiError('PermissionDenied', 'you must change your password first: POST /v3/users?action=changepassword');
}

function effectiveMethod(method: string, ctx: RequestContext): string {
  const override = ctx.query._method;
  const m = (typeof override === 'string' && method === 'POST' ? override : method).toUpperCase();
  if (m === 'POST' && ctx.query.action === 'remove') return 'DELETE';
  return m === 'HEAD' ? 'GET' : m;
}

function actionName(ctx: RequestContext): string | undefined {
  const action = ctx.query.action;
  return typeof action === 'string' && action !== '' ? action : undefined;
}

function requireMethod(allowed: string[], method: string) {
  if (!allowed.includes(method)) throw new ApiError('MethodNotAllow', `Method ${method} not supported`);
}

/** The field of `child` that references `parentId` (norman's sub-context rule: `clusterId` → cluster). */
function childReference(child: Schema, parentId: string): string | undefined {
  return Object.entries(child.fields).find(([, f]) => f.kind === 'reference' && f.to === parentId)?.[0];
}

function toResponse(result: { status?: number; body?: JsonObject; headers?: Record<string, string | string[]> }): ApiResponse {
  return { status: result.status ?? 200, body: result.body, headers: result.headers };
}
