/**
 * Prometheus metrics (prom-client, a registry per gateway): counters and the failover histogram
 * are fed by engine events; gauges are read from the pairs' status when scraped.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { FailoverEvent, PairStatus } from "../client/types.ts";
import { LINK_STATES } from "../upstream/link-state.ts";

/** What a scrape reads from one pair. */
export interface MetricsPair {
  status(): PairStatus;
  readonly downstreamSessions: number;
  readonly valuesForwarded: number;
}

/** The engine event the failover metrics follow. */
export interface FailoverSource {
  on(event: "failover", listener: (event: FailoverEvent) => void): unknown;
  off(event: "failover", listener: (event: FailoverEvent) => void): unknown;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #failovers: Counter<"pair" | "reason">;
  readonly #failoverDuration: Histogram<"pair">;

  constructor(pairs: () => MetricsPair[]) {
    const registers = [this.registry];
    this.#failovers = new Counter({
      name: "opcua_redundancy_failovers_total",
      help: "Switches of the active server, by pair and reason",
      labelNames: ["pair", "reason"],
      registers,
    });
    this.#failoverDuration = new Histogram({
      name: "opcua_redundancy_failover_duration_seconds",
      help: "How long a pair had no working active server before an unplanned failover completed",
      labelNames: ["pair"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
    const statuses = () => pairs().map((pair) => ({ pair, status: pair.status() }));
    new Gauge({
      name: "opcua_redundancy_active_server",
      help: "1 for the active server of a pair, 0 for the others",
      labelNames: ["pair", "server", "url"],
      registers,
      collect() {
        this.reset();
        for (const { status } of statuses())
          for (const s of status.servers)
            this.set({ pair: status.name, server: s.name, url: s.url }, s.active ? 1 : 0);
      },
    });
    new Gauge({
      name: "opcua_redundancy_link_state",
      help: "Connection state of each upstream server link (1 for the current state)",
      labelNames: ["pair", "server", "state"],
      registers,
      collect() {
        this.reset();
        for (const { status } of statuses())
          for (const s of status.servers)
            for (const state of LINK_STATES)
              this.set({ pair: status.name, server: s.name, state }, s.state === state ? 1 : 0);
      },
    });
    new Gauge({
      name: "opcua_redundancy_hot_buffer_overflows",
      help: "Hot mode: standby values dropped because an item's buffer was full, since start (a failover then would have lost them)",
      labelNames: ["pair"],
      registers,
      collect() {
        this.reset();
        for (const { status } of statuses()) this.set({ pair: status.name }, status.hotBufferOverflows);
      },
    });
    new Gauge({
      name: "opcua_redundancy_service_level",
      help: "Last ServiceLevel read from each upstream server",
      labelNames: ["pair", "server"],
      registers,
      collect() {
        this.reset();
        for (const { status } of statuses())
          for (const s of status.servers)
            if (s.serviceLevel !== null) this.set({ pair: status.name, server: s.name }, s.serviceLevel);
      },
    });
    new Gauge({
      name: "opcua_redundancy_clock_offset_seconds",
      help: "Each upstream server's clock minus the gateway's, measured by the status query",
      labelNames: ["pair", "server"],
      registers,
      collect() {
        this.reset();
        for (const { status } of statuses())
          for (const s of status.servers)
            if (s.clock.offsetMs !== null)
              this.set({ pair: status.name, server: s.name }, s.clock.offsetMs / 1000);
      },
    });
    new Counter({
      name: "opcua_redundancy_clock_steps_total",
      help: "Steps of each upstream server's clock (the ordering of its values re-based)",
      labelNames: ["pair", "server"],
      registers,
      collect() {
        this.reset();
        for (const { status } of statuses())
          for (const s of status.servers) this.inc({ pair: status.name, server: s.name }, s.clock.steps);
      },
    });
    new Counter({
      name: "opcua_redundancy_time_regressions_total",
      help: "Live values delivered although older than the last one by more than ordering.maxRegressionMs",
      labelNames: ["pair", "server"],
      registers,
      collect() {
        this.reset();
        for (const { status } of statuses())
          for (const s of status.servers)
            this.inc({ pair: status.name, server: s.name }, s.clock.timeRegressions);
      },
    });
    new Counter({
      name: "opcua_redundancy_values_forwarded_total",
      help: "Upstream values delivered to the gateway's mirrored variables",
      labelNames: ["pair"],
      registers,
      collect() {
        this.reset();
        for (const { pair, status } of statuses()) this.inc({ pair: status.name }, pair.valuesForwarded);
      },
    });
    new Gauge({
      name: "opcua_redundancy_downstream_sessions",
      help: "OPC UA sessions of downstream clients on each pair's endpoint",
      labelNames: ["pair"],
      registers,
      collect() {
        this.reset();
        for (const { pair, status } of statuses()) this.set({ pair: status.name }, pair.downstreamSessions);
      },
    });
  }

  /** Counts one pair's failovers; returns the function that stops counting. */
  follow(pair: string, source: FailoverSource): () => void {
    // The counter exists with 0 before the first failover, so that rate() works from the start.
    this.#failovers.inc({ pair, reason: "commLost" }, 0);
    const listener = (event: FailoverEvent) => {
      this.#failovers.inc({ pair, reason: event.reason });
      // Planned switches (operator, return to the primary) have no outage to measure.
      if (event.reason !== "manual" && event.reason !== "failback")
        this.#failoverDuration.observe({ pair }, event.durationMs / 1000);
    };
    source.on("failover", listener);
    return () => source.off("failover", listener);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
