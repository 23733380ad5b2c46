import { ApiError } from '../api/errors.js';
import { canCreate, canUpdate, type AnyField, type FieldSet } from './fields.js';

/**
 * Input validation compiled from field declarations, with norman's semantics:
 * - create: unknown fields and fields with `create: false` are dropped, defaults filled, required checked;
 * - update: fields with `update: false` are dropped and the rest merged into the stored object
 *   (maps and embedded objects merged key by key, lists and scalars replaced);
 * - every value is checked against its declared type; the first problem is thrown as an ApiError naming
 *   the field (`InvalidFormat`, `MissingRequired`, `MaxLengthExceeded`, `InvalidOption`, ...).
 */
export type JsonObject = Record<string, unknown>;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HOSTNAME = /^(?=.{1,253}$)([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeError(path: string, expected: string, value: unknown): ApiError {
  const got = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  return new ApiError('InvalidFormat', `${path}: expected ${expected}, got ${got}`, path);
}

function checkString(field: AnyField, path: string, value: unknown): string {
  if (typeof value !== 'string') throw typeError(path, 'a string', value);
  if (field.maxLength !== undefined && value.length > field.maxLength) {
    throw new ApiError('MaxLengthExceeded', `${path}: longer than ${field.maxLength} characters`, path);
  }
  if (field.minLength !== undefined && value.length < field.minLength) {
    throw new ApiError('MinLengthExceeded', `${path}: shorter than ${field.minLength} characters`, path);
  }
  return value;
}

function checkNumber(field: AnyField, path: string, value: unknown, integer: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw typeError(path, integer ? 'an integer' : 'a number', value);
  }
  if (field.min !== undefined && value < field.min) {
    throw new ApiError('MinLimitExceeded', `${path}: must be at least ${field.min}`, path);
  }
  if (field.max !== undefined && value > field.max) {
    throw new ApiError('MaxLimitExceeded', `${path}: must be at most ${field.max}`, path);
  }
  return value;
}

function checkScalar(field: AnyField & { kind: 'scalar' }, path: string, value: unknown): unknown {
  switch (field.type) {
    case 'string':
    case 'password':
    case 'base64':
      return checkString(field, path, value);
    case 'date': {
      const s = checkString(field, path, value);
      if (Number.isNaN(Date.parse(s))) throw new ApiError('InvalidDateFormat', `${path}: not a date`, path);
      return s;
    }
    case 'dnsLabel': {
      const s = checkString(field, path, value);
      if (s.length > 63 || !DNS_LABEL.test(s)) {
        throw new ApiError(
          'InvalidFormat',
          `${path}: "${s}" must be a DNS label: at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit`,
          path,
        );
      }
      return s;
    }
    case 'hostname': {
      const s = checkString(field, path, value);
      if (!HOSTNAME.test(s)) throw new ApiError('InvalidFormat', `${path}: "${s}" is not a valid host name`, path);
      return s;
    }
    case 'enum': {
      const s = checkString(field, path, value);
      if (field.options && !field.options.includes(s)) {
        throw new ApiError('InvalidOption', `${path}: must be one of ${field.options.join(', ')}`, path);
      }
      return s;
    }
    case 'int':
      return checkNumber(field, path, value, true);
    case 'float':
      return checkNumber(field, path, value, false);
    case 'boolean':
      if (typeof value !== 'boolean') throw typeError(path, 'true or false', value);
      return value;
    case 'json':
      if (jsonDepth(value, 0) > MAX_JSON_DEPTH) {
        throw new ApiError('InvalidFormat', `${path}: nested deeper than ${MAX_JSON_DEPTH} levels`, path);
      }
      return value;
  }
}

const MAX_JSON_DEPTH = 64;

/** Depth of nested arrays/objects, stopping as soon as it passes the limit. */
function jsonDepth(value: unknown, depth: number): number {
  if (depth > MAX_JSON_DEPTH || value === null || typeof value !== 'object') return depth;
  let deepest = depth + 1;
  for (const v of Object.values(value)) {
    deepest = Math.max(deepest, jsonDepth(v, depth + 1));
    if (deepest > MAX_JSON_DEPTH) break;
  }
  return deepest;
}

/** Checks one value against its field, returning the cleaned value (unknown keys of objects dropped). */
export function checkValue(field: AnyField, path: string, value: unknown, mode: 'create' | 'update'): unknown {
  if (value === null) {
    if (field.nullable || !field.required) return null;
    throw new ApiError('NotNullable', `${path}: may not be null`, path);
  }
  switch (field.kind) {
    case 'scalar':
      return checkScalar(field, path, value);
    case 'reference':
      return checkString(field, path, value);
    case 'array':
      if (!Array.isArray(value)) throw typeError(path, 'a list', value);
      return value.map((item, i) => checkValue(field.of as AnyField, `${path}[${i}]`, item, mode));
    case 'map': {
      if (!isPlainObject(value)) throw typeError(path, 'an object', value);
      const out: JsonObject = {};
      for (const [k, v] of Object.entries(value)) setOwn(out, k, checkValue(field.of as AnyField, `${path}.${k}`, v, mode));
      return out;
    }
    case 'object':
      if (!isPlainObject(value)) throw typeError(path, 'an object', value);
      return field.open
        ? { ...undeclared(field.fields as FieldSet, value, `${path}.`), ...cleanObject(field.fields as FieldSet, value, mode, `${path}.`) }
        : cleanObject(field.fields as FieldSet, value, mode, `${path}.`);
  }
}

/** Sets a key as an own property, even `__proto__` (which plain assignment would treat as the prototype). */
function setOwn(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The keys of an open object that its declaration does not name: kept as given. */
function undeclared(fields: FieldSet, value: JsonObject, path: string): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (Object.hasOwn(fields, k)) continue;
    if (jsonDepth(v, 0) > MAX_JSON_DEPTH) throw new ApiError('InvalidFormat', `${path}${k}: nested deeper than ${MAX_JSON_DEPTH} levels`, path + k);
    setOwn(out, k, v);
  }
  return out;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

function cleanObject(fields: FieldSet, input: JsonObject, mode: 'create' | 'update', prefix: string): JsonObject {
  const out: JsonObject = {};
  for (const [name, field] of Object.entries(fields)) {
    const allowed = mode === 'create' ? canCreate(field) : canUpdate(field);
    const value = allowed ? input[name] : undefined;
    if (value !== undefined) out[name] = checkValue(field, prefix + name, value, mode);
    else if (mode === 'create' && field.default !== undefined) out[name] = structuredClone(field.default);
    if (mode === 'create' && allowed && field.required && isEmpty(out[name])) {
      throw new ApiError('MissingRequired', `${prefix}${name} is required`, prefix + name);
    }
  }
  return out;
}

/** Validates a create body: returns only the declared, creatable fields, with defaults. */
export function validateCreate(fields: FieldSet, body: unknown): JsonObject {
  if (!isPlainObject(body)) throw new ApiError('InvalidBodyContent', 'request body must be a JSON object');
  return cleanObject(fields, body, 'create', '');
}

function mergeValue(field: AnyField, current: unknown, patch: unknown): unknown {
  if (patch === null || !isPlainObject(current) || !isPlainObject(patch)) return patch;
  if (field.kind === 'map') {
    const out: JsonObject = { ...current };
    for (const [k, v] of Object.entries(patch)) setOwn(out, k, v);
    return out;
  }
  if (field.kind === 'object') return mergeObject(field.fields, current, patch);
  return patch;
}

function mergeObject(fields: FieldSet, current: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...current };
  for (const [name, value] of Object.entries(patch)) {
    const field = Object.hasOwn(fields, name) ? fields[name] : undefined;
    setOwn(out, name, field ? mergeValue(field, current[name], value) : value);
  }
  return out;
}

/**
 * Validates an update body and merges it into `current`. Returns the merged object and the names of the
 * top-level fields the body changed. `replace` (norman's `?_replace=true`) replaces maps and objects.
 */
export function validateUpdate(
  fields: FieldSet,
  current: JsonObject,
  body: unknown,
  replace = false,
): { merged: JsonObject; changed: string[] } {
  if (!isPlainObject(body)) throw new ApiError('InvalidBodyContent', 'request body must be a JSON object');
  const patch = cleanObject(fields, body, 'update', '');
  const merged = replace ? { ...current, ...patch } : mergeObject(fields, current, patch);
  for (const [name, field] of Object.entries(fields)) {
    if (field.required && canUpdate(field) && name in patch && isEmpty(merged[name])) {
      throw new ApiError('MissingRequired', `${name} is required`, name);
    }
  }
  return { merged, changed: Object.keys(patch) };
}
