/**
 * Caches `fn` by its string argument, keeping at most `max` results (the oldest goes first). For pure,
 * repeatable computations on a few distinct inputs, like a document per base URL.
 */
export function memoizeByKey<T>(fn: (key: string) => T, max: number): (key: string) => T {
  const results = new Map<string, T>();
  return (key) => {
    if (results.has(key)) return results.get(key) as T;
    const value = fn(key);
    if (results.size >= max) results.delete(results.keys().next().value as string);
    results.set(key, value);
    return value;
  };
}
