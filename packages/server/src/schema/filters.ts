import type { AnyField } from './fields.js';
import type { Schema } from './schema.js';

/** Filter modifiers a collection query may use: `name=x` is `eq`, `name_ne=x` is `ne`, and so on. */
export const MODIFIERS = ['eq', 'ne', 'in', 'notin', 'prefix', 'like', 'null', 'notnull', 'gt', 'gte', 'lt', 'lte'] as const;
export type Modifier = (typeof MODIFIERS)[number];

function isFilterable(field: AnyField): boolean {
  if (field.filterable !== undefined) return field.filterable;
  if (field.kind === 'reference') return true;
  return field.kind === 'scalar' && ['string', 'enum', 'int', 'boolean', 'date', 'dnsLabel', 'hostname'].includes(field.type);
}

/** The filterable fields of a schema, with the modifiers each accepts (served as `collectionFilters`). */
export function collectionFilters(schema: Schema): Record<string, { modifiers: Modifier[] }> {
  const out: Record<string, { modifiers: Modifier[] }> = {};
  for (const [name, field] of Object.entries(schema.fields)) {
    if (!isFilterable(field)) continue;
    const isBool = field.kind === 'scalar' && field.type === 'boolean';
    out[name] = { modifiers: isBool ? ['eq', 'ne', 'null', 'notnull'] : [...MODIFIERS] };
  }
  out.id = { modifiers: [...MODIFIERS] };
  return out;
}
