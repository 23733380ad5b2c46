/**
 * The field DSL: a resource kind declares its fields once, and that one declaration drives input
 * validation (./validate.ts), the `/v3/schemas` documents (./render.ts), the OpenAPI description
 * (./openapi.ts) and the TypeScript type of the resource (`ResourceOf<typeof fields>`).
 * Attribute names follow norman's types.Field.
 */
export type ScalarType =
  | 'string'
  | 'password'
  | 'int'
  | 'float'
  | 'boolean'
  | 'date'
  | 'enum'
  | 'dnsLabel'
  | 'hostname'
  | 'json'
  | 'base64';

export interface FieldAttributes {
  description?: string;
  /** Must be present (and non-empty) on create. */
  required?: boolean;
  /** Accepted on create (default true). */
  create?: boolean;
  /** Accepted on update (default true). */
  update?: boolean;
  nullable?: boolean;
  /** Never returned on GET (returned in the response to the create that set it). */
  writeOnly?: boolean;
  min?: number;
  max?: number;
  minLength?: number;
  maxLength?: number;
  /** For embedded objects: keep keys the declaration does not name, as given (declared keys are checked). */
  open?: boolean;
  /** Offered as a collection filter (string-like, enum, int, boolean, reference and date fields). */
  filterable?: boolean;
}

interface FieldBase<T> extends FieldAttributes {
  /** Phantom: the TypeScript type of the value. Never set at runtime. */
  readonly __type?: T;
  default?: T;
}

export interface ScalarField<T> extends FieldBase<T> {
  kind: 'scalar';
  type: ScalarType;
  options?: readonly string[];
}

export interface ReferenceField extends FieldBase<string> {
  kind: 'reference';
  /** The schema id referred to. */
  to: string;
}

export interface ArrayField<T> extends FieldBase<T[]> {
  kind: 'array';
  of: Field<T>;
}

export interface MapField<T> extends FieldBase<Record<string, T>> {
  kind: 'map';
  of: Field<T>;
}

export interface ObjectField<F extends FieldSet> extends FieldBase<ResourceOf<F>> {
  kind: 'object';
  /** The embedded schema's id, e.g. `rancherKubernetesEngineConfig`. */
  schemaId: string;
  fields: F;
}

export type Field<T = unknown> =
  | ScalarField<T>
  | ReferenceField
  | ArrayField<T extends (infer E)[] ? E : unknown>
  | MapField<T extends Record<string, infer E> ? E : unknown>
  | ObjectField<FieldSet>;

// The broad type every declaration is checked against. `any` here is deliberate: a FieldSet holds fields of
// every value type, and TypeScript has no existential types to say "a Field of some T".
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyField = ScalarField<any> | ReferenceField | ArrayField<any> | MapField<any> | ObjectField<any>;
export type FieldSet = Record<string, AnyField>;

type ValueOf<F> = F extends { __type?: infer T } ? T : never;
type IsRequired<F> = F extends { required: true } ? true : F extends { default: unknown } ? true : false;

/** The TypeScript type of a resource whose fields are `F`. Required or defaulted fields are non-optional. */
export type ResourceOf<F extends FieldSet> = {
  -readonly [K in keyof F as IsRequired<F[K]> extends true ? K : never]: ValueOf<F[K]>;
} & {
  -readonly [K in keyof F as IsRequired<F[K]> extends true ? never : K]?: ValueOf<F[K]> | null;
};

type Attrs<T> = FieldAttributes & { default?: T };

const scalar =
  <T>(type: ScalarType) =>
  <A extends Attrs<T>>(attrs?: A): ScalarField<T> & A =>
    ({ kind: 'scalar', type, ...attrs }) as ScalarField<T> & A;

/** Field constructors: `f.string({ required: true })`, `f.map(f.string())`, `f.ref('cluster')`, ... */
export const f = {
  string: scalar<string>('string'),
  password: scalar<string>('password'),
  int: scalar<number>('int'),
  float: scalar<number>('float'),
  boolean: scalar<boolean>('boolean'),
  date: scalar<string>('date'),
  dnsLabel: scalar<string>('dnsLabel'),
  hostname: scalar<string>('hostname'),
  base64: scalar<string>('base64'),
  json: scalar<unknown>('json'),
  enum: <const O extends readonly string[], A extends Attrs<O[number]>>(options: O, attrs?: A) =>
    ({ kind: 'scalar', type: 'enum', options, ...attrs }) as ScalarField<O[number]> & A & { options: O },
  ref: <A extends Attrs<string>>(to: string, attrs?: A) => ({ kind: 'reference', to, ...attrs }) as ReferenceField & A,
  array: <T, A extends Attrs<T[]>>(of: Field<T>, attrs?: A) => ({ kind: 'array', of, ...attrs }) as ArrayField<T> & A,
  map: <T, A extends Attrs<Record<string, T>>>(of: Field<T>, attrs?: A) =>
    ({ kind: 'map', of, ...attrs }) as MapField<T> & A,
  object: <S extends FieldSet, A extends Attrs<ResourceOf<S>>>(schemaId: string, fields: S, attrs?: A) =>
    ({ kind: 'object', schemaId, fields, ...attrs }) as ObjectField<S> & A,
};

/** norman's type string for a field: `string`, `array[string]`, `map[string]`, `reference[cluster]`, ... */
export function typeName(field: AnyField): string {
  switch (field.kind) {
    case 'scalar':
      return field.type;
    case 'reference':
      return `reference[${field.to}]`;
    case 'array':
      return `array[${typeName(field.of as AnyField)}]`;
    case 'map':
      return `map[${typeName(field.of as AnyField)}]`;
    case 'object':
      return field.schemaId;
  }
}

export const canCreate = (field: AnyField) => field.create !== false;
export const canUpdate = (field: AnyField) => field.update !== false;
