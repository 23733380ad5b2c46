/** Kubernetes label and taint syntax, as the API server checks it (apimachinery `validation.IsQualifiedName`). */

export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
export type TaintEffect = (typeof TAINT_EFFECTS)[number];

/** A node taint; `value` is '' when none was given. Formats as Rancher sends it: `key=value:Effect`. */
export interface Taint {
  key: string;
  value: string;
  effect: TaintEffect;
}

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a qualified name (`[prefix/]name`), or undefined when it is one. */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return `key "${key}" has more than one "/"`;
  const name = parts.length === 2 ? (parts[1] ?? '') : key;
  const prefix = parts.length === 2 ? parts[0] : undefined;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `key prefix "${prefix}" must be a lower-case DNS name (e.g. example.com/) of at most 253 characters`;
  }
  if (name === '') return `key "${key}" has an empty name`;
  if (name.length > 63) return `key name "${name}" is longer than 63 characters`;
  if (!NAME.test(name)) {
    return `key name "${name}" must start and end with a letter or digit and contain only letters, digits, '-', '_' and '.'`;
  }
  return undefined;
}

/** Why `value` is not a label value, or undefined when it is one ('' is allowed). */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63) return `value "${value}" is longer than 63 characters`;
  if (!NAME.test(value)) {
    return `value "${value}" must start and end with a letter or digit and contain only letters, digits, '-', '_' and '.'`;
  }
  return undefined;
}

/**
 * Parses `key=value` (or `key`, meaning an empty value, as Rancher accepts). Returns the label or a message
 * saying what is wrong, written to follow the flag name.
 */
export function parseLabel(item: string): { key: string; value: string } | string {
  const eq = item.indexOf('=');
  const key = eq < 0 ? item : item.slice(0, eq);
  const value = eq < 0 ? '' : item.slice(eq + 1);
  const problem = qualifiedNameProblem(key) ?? labelValueProblem(value);
  return problem === undefined ? { key, value } : `"${item}": ${problem} (expected key=value)`;
}

/**
 * Parses `key=value:Effect` or `key:Effect`. Returns the taint or a message saying what is wrong, written to
 * follow the flag name.
 */
export function parseTaint(item: string): Taint | string {
  const usage = `(expected key=value:Effect, Effect one of ${TAINT_EFFECTS.join(', ')})`;
  const colon = item.lastIndexOf(':');
  if (colon < 0) return `"${item}": no effect ${usage}`;
  const effect = item.slice(colon + 1);
  if (!(TAINT_EFFECTS as readonly string[]).includes(effect)) return `"${item}": unknown effect "${effect}" ${usage}`;
  const pair = item.slice(0, colon);
  const eq = pair.indexOf('=');
  const key = eq < 0 ? pair : pair.slice(0, eq);
  const value = eq < 0 ? '' : pair.slice(eq + 1);
  const problem = qualifiedNameProblem(key) ?? labelValueProblem(value);
  return problem === undefined ? { key, value, effect: effect as TaintEffect } : `"${item}": ${problem} ${usage}`;
}

/** `key=value:Effect` (or `key:Effect` without a value), the form Rancher sends in `customConfig.taints`. */
export const formatTaint = (t: Taint): string => `${t.key}${t.value === '' ? '' : `=${t.value}`}:${t.effect}`;
