/** A pair's status document (RedundantClient.status(), /api/status, the dashboard). */
import type { PairConfig } from "../config/schema.ts";
import type { PairState } from "../redundancy/types.ts";
import type { UpstreamLink } from "../upstream/link.ts";
import type { ItemRegistry } from "./item-registry.ts";
import type { MonitorItems } from "./monitor-items.ts";
import type { ServerClocks } from "./server-clocks.ts";
import type { FailoverEvent, PairStatus } from "./types.ts";

export interface PairStatusSources {
  config: PairConfig;
  state: PairState;
  active: number | null;
  failovers: number;
  lastFailover: FailoverEvent | null;
  links: readonly UpstreamLink[];
  items: ItemRegistry;
  monitors: MonitorItems;
  clocks: ServerClocks;
}

export function pairStatus(s: PairStatusSources): PairStatus {
  const { config, active, links, items, monitors, clocks } = s;
  return {
    name: config.name,
    mode: config.mode,
    state: s.state,
    active: active === null ? null : config.servers[active]!.url,
    activeIndex: active,
    failovers: s.failovers,
    lastFailover: s.lastFailover,
    monitoredItems: items.size,
    monitorsFailingEverywhere: monitors.failingEverywhere,
    hotBufferOverflows: items.overflowed,
    servers: links.map((link, i) => ({
      url: link.settings.url,
      name: config.servers[i]!.name ?? link.settings.url,
      state: link.state,
      role: link.role,
      active: i === active,
      serverState: link.facts.serverState ?? null,
      serviceLevel: link.facts.serviceLevel ?? null,
      ...link.lastError.status(link.state === "connected"),
      monitoredItems: link.items.created,
      publishingIntervalMs: link.publishingIntervalMs,
      recovery: { ...link.recovery },
      clock: { ...clocks.status(i), timeRegressions: items.regressions[i] ?? 0 },
      monitors: monitors.states(i),
    })),
  };
}
