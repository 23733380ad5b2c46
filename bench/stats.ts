// Small helpers for the report: numbers, and a target's verdict.

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

export const median = (samples: readonly number[]) => percentile(samples, 50);

/** Rounds to `digits` decimals (for the JSON line). */
export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export const ms = (n: number) => `${n.toFixed(2)} ms`;

/** How a figure fares against its target, in the report's lines. */
export const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
