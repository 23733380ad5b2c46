import type { AnyField } from '../schema/fields.js';
import type { JsonObject } from '../schema/validate.js';
import type { StoredObject } from '../store/types.js';
import { summarizeState } from './state.js';
import type { RequestContext } from './context.js';
import type { ResourceKind } from './kind.js';

/** URL of a kind's collection, e.g. `https://h/v3/clusters`. */
export function collectionUrl(ctx: RequestContext, kind: ResourceKind): string {
  return `${ctx.baseUrl}/${kind.schema.version}/${kind.schema.pluralName}`;
}

export function resourceUrl(ctx: RequestContext, kind: ResourceKind, id: string): string {
  return `${collectionUrl(ctx, kind)}/${encodeURIComponent(id).replace(/%3A/gi, ':')}`;
}

function readable(field: AnyField): boolean {
  return !field.writeOnly && !(field.kind === 'scalar' && field.type === 'password');
}

/** A value as output: write-only and password fields removed at every depth (e.g. importedConfig.kubeConfig). */
function readableValue(field: AnyField, value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  switch (field.kind) {
    case 'object': {
      const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      for (const [name, nested] of Object.entries(field.fields as Record<string, AnyField>)) {
        if (!(name in out)) continue;
        if (readable(nested)) out[name] = readableValue(nested, out[name]);
        else delete out[name];
      }
      return out;
    }
    case 'array':
      return Array.isArray(value) ? value.map((v) => readableValue(field.of as AnyField, v)) : value;
    case 'map':
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, readableValue(field.of as AnyField, v)]));
    default:
      return value;
  }
}

function dateTs(value: unknown): number | null {
  if (typeof value !== 'string' || value === '') return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}

function actionsOf(ctx: RequestContext, kind: ResourceKind, obj: StoredObject<JsonObject>, self: string) {
  const declared = Object.keys(kind.schema.resourceActions);
  if (declared.length === 0 || !kind.allowed(ctx, 'update', obj)) return undefined;
  const names = kind.availableActions ? kind.availableActions(ctx, obj) : declared;
  if (names.length === 0) return undefined;
  return Object.fromEntries(names.map((name) => [name, `${self}?action=${name}`]));
}

/**
 * A stored object as norman renders it: `id`, `type`, `baseType`, every readable declared field (defaults
 * for absent ones, `null` for unset references), `xTS` siblings of dates, state summary, links, actions.
 * Internal (undeclared) fields of the stored data never appear.
 */
export function formatResource(
  ctx: RequestContext,
  kind: ResourceKind,
  obj: StoredObject<JsonObject>,
  shownOnce?: JsonObject,
): JsonObject {
  const { schema } = kind;
  const out: JsonObject = { id: obj.id, type: schema.id, baseType: schema.baseType };
  for (const [name, field] of Object.entries(schema.fields)) {
    if (!readable(field)) continue;
    const value = obj.data[name];
    if (value !== undefined) out[name] = readableValue(field, value);
    else if (field.default !== undefined) out[name] = field.default;
    else if (field.kind === 'reference') out[name] = null;
    if (field.kind === 'scalar' && field.type === 'date') out[`${name}TS`] = dateTs(out[name]);
  }
  out.created = obj.created;
  out.createdTS = dateTs(obj.created);
  out.resourceVersion = String(obj.resourceVersion);
  if (obj.data.state === undefined) Object.assign(out, summarizeState(obj.data));

  const self = resourceUrl(ctx, kind, obj.id);
  const links: Record<string, string> = { self };
  if (schema.resourceMethods.includes('PUT') && kind.allowed(ctx, 'update', obj)) links.update = self;
  if (schema.resourceMethods.includes('DELETE') && kind.allowed(ctx, 'delete', obj)) links.remove = self;
  for (const rel of kind.relations ?? []) links[rel] = `${self}/${rel}`;
  out.links = links;
  const actions = actionsOf(ctx, kind, obj, self);
  if (actions) out.actions = actions;
  kind.format?.(ctx, obj, out);
  if (shownOnce) Object.assign(out, shownOnce);
  return out;
}
