import type { PairStatus } from "../client/types.ts";

/**
 * The ServiceLevel the gateway shows for a pair (OPC UA Part 4 §6.6.2.4.2): the active upstream
 * server's own level (255 when it reports none), 1 (NoData) while no server is active.
 */
export function pairServiceLevel(status: PairStatus): number {
  if (status.state !== "active" || status.activeIndex === null) return 1;
  return status.servers[status.activeIndex]?.serviceLevel ?? 255;
}
