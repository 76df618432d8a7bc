import type { PairStatus } from "../client/types.ts";
import { pairServiceLevel } from "./service-level.ts";

/** Where a pair server of a gateway instance is in its life. */
export type InstancePhase = "starting" | "running" | "stopping";

/** ServiceLevel points an instance loses per upstream server it cannot reach (besides the active one). */
export const LOST_STANDBY_PENALTY = 10;

/**
 * The ServiceLevel of one gateway instance's pair server in a non-transparent redundant set (OPC UA
 * Part 4 §6.6.2.4.2), ranking the instances by what they can deliver:
 * - starting (no address space yet, or the pair not yet decided) and shutting down: 0, Maintenance —
 *   a client leaves (or does not pick) an instance that is about to go;
 * - no upstream server active: 1, NoData;
 * - otherwise the active upstream's level (255 when it reports none), minus 10 per upstream server
 *   this instance cannot reach (less redundancy left behind it), minus its place in the preference
 *   order (so that with equal health the first peer is the primary), never leaving the active
 *   upstream's sub-range: a Healthy upstream keeps the instance Healthy (≥ 200), a Degraded one
 *   Degraded (≥ 2). An upstream in Maintenance or NoData gives 1: this instance has no data.
 */
export function instanceServiceLevel(
  phase: InstancePhase,
  pair: PairStatus,
  preferenceIndex: number,
): number {
  if (phase !== "running") return 0;
  const upstream = pairServiceLevel(pair);
  if (upstream < 2) return 1;
  const unreachable = pair.servers.filter((s, i) => i !== pair.activeIndex && s.state !== "connected").length;
  const floor = upstream >= 200 ? 200 : 2;
  return Math.max(floor, upstream - LOST_STANDBY_PENALTY * unreachable - preferenceIndex);
}
