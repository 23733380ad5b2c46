import { isDeepStrictEqual } from 'node:util';
import type { ResourceStore, StoredObject } from '../store/types.js';
import { sourceChanged } from './copy.js';

/** Objects of one kind on each side. */
export interface KindCount {
  kind: string;
  source: number;
  target: number;
}

/** What a verification found: counts per kind, and every difference in words. */
export interface Verification {
  counts: KindCount[];
  differences: string[];
}

/**
 * Reads both stores again and compares them kind by kind: the same ids, the same data (deep equality of
 * the JSON) and creation times. `resourceVersion` is the target's own and is not compared. Throws when the
 * source is no longer at `sourceRevision`: a comparison with a moving source proves nothing.
 */
export async function verifyCopy(source: ResourceStore, target: ResourceStore, kinds: readonly string[], sourceRevision: number): Promise<Verification> {
  const counts: KindCount[] = [];
  const differences: string[] = [];
  for (const kind of kinds) {
    const [from, to] = await Promise.all([source.list(kind), target.list(kind)]);
    if (from.revision !== sourceRevision) throw sourceChanged(sourceRevision, from.revision);
    counts.push({ kind, source: from.items.length, target: to.items.length });
    differences.push(...compareKind(kind, from.items, to.items));
  }
  return { counts, differences };
}

/** The differences between one kind's objects on each side, in id order. */
export function compareKind(kind: string, source: StoredObject[], target: StoredObject[]): string[] {
  const differences: string[] = [];
  if (source.length !== target.length) differences.push(`${kind}: ${source.length} in the source, ${target.length} in the target`);
  const copied = new Map(target.map((o) => [o.id, o]));
  for (const o of source) {
    const copy = copied.get(o.id);
    if (!copy) differences.push(`${kind} "${o.id}" is missing from the target`);
    else if (!isDeepStrictEqual(copy.data, o.data)) differences.push(`${kind} "${o.id}" has different data in the target`);
    else if (copy.created !== o.created) differences.push(`${kind} "${o.id}" was created ${o.created} in the source, ${copy.created} in the target`);
    copied.delete(o.id);
  }
  for (const id of copied.keys()) differences.push(`${kind} "${id}" is in the target only`);
  return differences;
}
