import type { Mode } from "../redundancy/types.ts";
import type { LinkRole } from "../upstream/link.ts";

export interface RoleInput {
  mode: Mode;
  serverCount: number;
  active: number | null;
  /** The server that was active last (null before the first); see linkRoles. */
  lastActive: number | null;
  /** Cold mode: standbys being tried or watched (session and health checks, no items). */
  coldStandbys: ReadonlySet<number>;
}

/**
 * What each link carries. Warm and hot keep every server connected with its items. Cold carries
 * items on the active server only; a standby is connected, health checks only, just while the
 * machine tries it (a trigger fired on the active server, or failback wants to watch it).
 */
export function linkRoles(input: RoleInput): LinkRole[] {
  return Array.from({ length: input.serverCount }, (_, i): LinkRole => {
    if (input.mode !== "cold" || i === input.active) return "full";
    // Cold mode with nothing active: the server lost last keeps its items, so that a short outage
    // heals on the same session and subscription (Republish) instead of re-creating everything.
    if (input.active === null && i === input.lastActive) return "full";
    return input.coldStandbys.has(i) ? "watch" : "off";
  });
}

/**
 * Whether a link's items report values (warm standbys sample nothing: Disabled). With no server
 * active every item keeps reporting: the server that comes back first delivers what it republishes.
 */
export function isReporting(mode: Mode, server: number, active: number | null): boolean {
  return mode !== "warm" || active === null || server === active;
}
