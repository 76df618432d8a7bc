/** Small statistics for the benchmarks: median and worst of a set of measurements. */

/** Median of the numbers (mean of the two middle ones for an even count); null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Worst (largest) of the numbers; null when empty. */
export function worst(values: readonly number[]): number | null {
  return values.length === 0 ? null : Math.max(...values);
}

export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** The numbers among `values`, skipping missing measurements. */
export function present(values: readonly (number | null | undefined)[]): number[] {
  return values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
}
