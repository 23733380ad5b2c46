import type { JsonObject } from '../schema/validate.js';
import type { RequestContext } from './context.js';
import { collectionUrl } from './format.js';
import type { ResourceKind } from './kind.js';
import { applyFilters, applySort, collectionFilters, paginate, parseFilters, parseSort } from './query.js';

function withQuery(base: string, ctx: RequestContext, overrides: Record<string, string>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(ctx.query)) {
    if (v === undefined || k in overrides) continue;
    for (const item of Array.isArray(v) ? v : [v]) params.append(k, item);
  }
  for (const [k, v] of Object.entries(overrides)) params.set(k, v);
  const qs = params.toString();
  return qs ? `${base}?${qs}` : base;
}

/**
 * The norman collection envelope around formatted resources: filters, sort and pagination applied,
 * with `links`, `createTypes`, collection `actions`, `pagination`, `sort` and `filters` described.
 * `selfUrl` is the collection's own URL (it differs from the kind's for sub-contexts).
 */
export function buildCollection(ctx: RequestContext, kind: ResourceKind, resources: JsonObject[], selfUrl: string): JsonObject {
  const { schema } = kind;
  const filters = parseFilters(schema, ctx.query);
  const sort = parseSort(schema, ctx.query);
  const sorted = applySort(applyFilters(resources, filters), sort);
  const page = paginate(sorted, ctx.query, (marker) => withQuery(selfUrl, ctx, { marker }));

  const filterState: JsonObject = {};
  for (const name of Object.keys(collectionFilters(schema))) filterState[name] = filters[name] ?? null;

  const sortLinks: Record<string, string> = {};
  for (const name of Object.keys(collectionFilters(schema))) sortLinks[name] = withQuery(selfUrl, ctx, { sort: name });
  const sortOut: JsonObject = {
    order: sort.order,
    reverse: withQuery(selfUrl, ctx, { order: sort.order === 'asc' ? 'desc' : 'asc' }),
    links: sortLinks,
  };
  if (sort.field) sortOut.name = sort.field;

  const out: JsonObject = {
    type: 'collection',
    resourceType: schema.id,
    links: { self: selfUrl },
    createTypes: {},
    actions: Object.fromEntries(Object.keys(schema.collectionActions).map((a) => [a, `${collectionUrl(ctx, kind)}?action=${a}`])),
    pagination: page.pagination,
    sort: sortOut,
    filters: filterState,
    data: page.items,
  };
  if (schema.collectionMethods.includes('POST') && kind.allowed(ctx, 'create')) {
    out.createTypes = { [schema.id]: collectionUrl(ctx, kind) };
  }
  return out;
}
