/**
 * The chaos soak's memory measures and verdict. Samples are the heap in use after a forced GC
 * (and RSS), taken every 10 s between two churn cycles, so that no short-lived client's session
 * is half built or half released in the gateway when one is taken.
 *
 * The verdict for runs of 30 minutes or more is "flat within noise": the median heap of the last
 * third of the run may exceed the median of the second third by at most 0.05 MB per minute between
 * them (1 MB over a 60-minute run, 3 MB an hour); the first third is warm-up (JIT code, caches,
 * the diagnostics event log filling up to its bound). Medians, not a least-squares line, because
 * a sample taken during a fault's reconnects is an outlier that a line follows. Shorter runs are
 * only checked for a gross leak (a least-squares slope above 20 MB/min): their slope is mostly
 * warm-up.
 */

export interface MemorySample {
  /** ms into the run */
  t: number;
  rssMb: number;
  heapMb: number;
}

export interface SoakMemory {
  samples: MemorySample[];
  /** Least-squares slopes over the samples after the first fifth. */
  rssSlopeMbPerMin: number;
  heapSlopeMbPerMin: number;
  /** Median heap of the second and of the last third, and the growth between them per minute. */
  heapThirds: { secondMb: number; lastMb: number; growthMbPerMin: number } | null;
}

export const FLAT_MIN_MINUTES = 30;
export const FLAT_MB_PER_MIN = 0.05;
export const GROSS_MB_PER_MIN = 20;

/** Least-squares slope of y over x (per minute when x is in ms). */
export function slopePerMinute(points: { t: number; y: number }[]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.t, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.t - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.t - mx) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 60_000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 === 1 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;

/** Median heap of the second and last thirds (by sample count) and the growth per minute between. */
export function heapThirds(samples: MemorySample[]): SoakMemory["heapThirds"] {
  const third = Math.floor(samples.length / 3);
  if (third < 2) return null;
  const second = samples.slice(third, 2 * third);
  const last = samples.slice(2 * third);
  const minutesApart = (median(last.map((s) => s.t)) - median(second.map((s) => s.t))) / 60_000;
  const secondMb = median(second.map((s) => s.heapMb));
  const lastMb = median(last.map((s) => s.heapMb));
  return {
    secondMb: round(secondMb, 1),
    lastMb: round(lastMb, 1),
    growthMbPerMin: minutesApart > 0 ? round((lastMb - secondMb) / minutesApart, 3) : 0,
  };
}

export function summarizeMemory(samples: MemorySample[]): SoakMemory {
  const afterWarmUp = samples.slice(Math.floor(samples.length / 5));
  return {
    samples,
    rssSlopeMbPerMin: round(slopePerMinute(afterWarmUp.map((s) => ({ t: s.t, y: s.rssMb }))), 2),
    heapSlopeMbPerMin: round(slopePerMinute(afterWarmUp.map((s) => ({ t: s.t, y: s.heapMb }))), 2),
    heapThirds: heapThirds(samples),
  };
}

/** The memory problems of a run of `minutes` (see the verdict above). */
export function memoryProblems(memory: SoakMemory, minutes: number): string[] {
  if (memory.heapSlopeMbPerMin > GROSS_MB_PER_MIN)
    return [`heap grows ${memory.heapSlopeMbPerMin} MB/min (gross leak bound ${GROSS_MB_PER_MIN})`];
  const thirds = memory.heapThirds;
  if (minutes >= FLAT_MIN_MINUTES && thirds && thirds.growthMbPerMin > FLAT_MB_PER_MIN)
    return [
      `heap not flat: median ${thirds.secondMb} MB in the second third, ${thirds.lastMb} MB in the last ` +
        `(${thirds.growthMbPerMin} MB/min, bound ${FLAT_MB_PER_MIN})`,
    ];
  return [];
}
