import type { ServerFacts, SwitchReason } from "./types.ts";

/**
 * How fit a server is to be the active one; higher is better. Ranks are coarse on purpose:
 * switching between two servers of the same rank is a preference question (failback), never a
 * health question, so two Degraded servers at ServiceLevel 180 and 190 do not ping-pong.
 */
export const Rank = {
  /** No usable communication. */
  unreachable: 0,
  /** Connected, but ServerState is not Running (Shutdown, Suspended, Failed, ...). */
  notRunning: 1,
  /** ServiceLevel 0 (Maintenance), 1 (NoData) or below the configured minimum. */
  unusable: 2,
  /** User-defined monitor items say the server's device link is broken. */
  monitorsFailing: 3,
  /** ServiceLevel 2..199. */
  degraded: 4,
  /** ServiceLevel 200..255, or not reported. */
  healthy: 5,
} as const;
export type Rank = (typeof Rank)[keyof typeof Rank];

export type ServiceLevelClass = "maintenance" | "noData" | "degraded" | "healthy";

/** OPC UA Part 4 §6.6.2.4.2 sub-ranges. */
export function classifyServiceLevel(level: number): ServiceLevelClass {
  if (level <= 0) return "maintenance";
  if (level === 1) return "noData";
  if (level < 200) return "degraded";
  return "healthy";
}

export interface PolicyOptions {
  /** A server whose ServiceLevel is below this is unusable (in addition to the Part 4 classes). */
  serviceLevelMinimum: number;
  /** How many failing monitor items make a server unfit. */
  failureCount: number;
}

export function rankServer(facts: ServerFacts, options: PolicyOptions): Rank {
  if (facts.status !== "up") return Rank.unreachable;
  if (facts.serverState !== undefined && facts.serverState !== "Running") return Rank.notRunning;
  const level = facts.serviceLevel;
  if (level !== undefined) {
    const cls = classifyServiceLevel(level);
    if (cls === "maintenance" || cls === "noData" || level < options.serviceLevelMinimum)
      return Rank.unusable;
  }
  // No failing monitor never makes a server unfit, whatever failureCount says.
  const failing = facts.monitorsFailing ?? 0;
  if (failing > 0 && failing >= options.failureCount) return Rank.monitorsFailing;
  if (level !== undefined && classifyServiceLevel(level) === "degraded") return Rank.degraded;
  return Rank.healthy;
}

/** The reason to name when leaving a server of this rank for a better one. */
export function reasonForLeaving(rank: Rank): SwitchReason {
  switch (rank) {
    case Rank.unreachable:
      return "commLost";
    case Rank.notRunning:
      return "serverState";
    case Rank.monitorsFailing:
      return "monitor";
    default:
      return "serviceLevel";
  }
}

/** Human-readable account of a server's facts, used in switch details. */
export function describeFacts(facts: ServerFacts): string {
  const parts: string[] = [facts.status];
  if (facts.serverState !== undefined) parts.push(`state ${facts.serverState}`);
  if (facts.serviceLevel !== undefined) parts.push(`ServiceLevel ${facts.serviceLevel}`);
  if (facts.monitorsFailing) parts.push(`${facts.monitorsFailing} monitor(s) failing`);
  return parts.join(", ");
}

/** Human-readable account of every server's facts, used in `lost` details. */
export function describeServers(facts: readonly ServerFacts[], names?: readonly string[]): string {
  return facts.map((f, i) => `${names?.[i] ?? `server ${i}`}: ${describeFacts(f)}`).join("; ");
}

/**
 * The best server among `ranks` (highest rank, then list order = preference), or null when none
 * is reachable.
 */
export function bestServer(ranks: readonly Rank[], exclude?: number): number | null {
  let best: number | null = null;
  for (let i = 0; i < ranks.length; i++) {
    if (i === exclude || ranks[i] === Rank.unreachable) continue;
    if (best === null || ranks[i]! > ranks[best]!) best = i;
  }
  return best;
}
