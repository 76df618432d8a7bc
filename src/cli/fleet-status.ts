/**
 * `status --config FILE`: the whole fleet from any instance's configuration. Every instance of
 * `redundantSet.peers` with a `statusUrl` is asked for /api/status (a configuration without a
 * redundantSet is one instance: its own `http`), and the answers are put together: per instance its
 * pairs, per configured pair the instances serving it, and the pairs no instance serves.
 */
import type { GatewayConfig } from "../config/schema.ts";
import { callApi } from "./http-api-client.ts";

export interface FleetInstance {
  name: string;
  url: string | null;
  /** The instance's /api/status pairs (null: no answer, or no statusUrl configured). */
  pairs: { name: string; active: string | null; [key: string]: unknown }[] | null;
  error: string | null;
}

export interface FleetReport {
  instances: FleetInstance[];
  /** Per configured pair: the instances that report it with an active upstream server. */
  servedBy: Record<string, string[]>;
  /** Configured pairs that no instance serves with an active upstream server. */
  unserved: string[];
}

/** The instances of the fleet and where their status API answers. */
export function fleetInstances(config: GatewayConfig): { name: string; url: string | null }[] {
  const peers = config.redundantSet?.peers;
  if (peers) return peers.map((p) => ({ name: p.name, url: p.statusUrl?.replace(/\/+$/, "") ?? null }));
  if (!config.http) return [{ name: "gateway", url: null }];
  const host = config.http.host === "0.0.0.0" || config.http.host === "::" ? "127.0.0.1" : config.http.host;
  const scheme = config.http.tls ? "https" : "http";
  return [
    { name: "gateway", url: `${scheme}://${host.includes(":") ? `[${host}]` : host}:${config.http.port}` },
  ];
}

export async function fleetStatus(config: GatewayConfig, timeoutMs: number): Promise<FleetReport> {
  const instances = await Promise.all(
    fleetInstances(config).map(async ({ name, url }): Promise<FleetInstance> => {
      if (!url) return { name, url, pairs: null, error: "no statusUrl configured" };
      const answer = await callApi(url, "/api/status", { timeoutMs });
      if (!answer) return { name, url, pairs: null, error: "no answer" };
      const pairs = answer.body.pairs;
      if (answer.status !== 200 || !Array.isArray(pairs))
        return { name, url, pairs: null, error: `HTTP ${answer.status}` };
      return { name, url, pairs: pairs as FleetInstance["pairs"], error: null };
    }),
  );
  const servedBy: Record<string, string[]> = {};
  for (const pair of config.pairs)
    servedBy[pair.name] = instances
      .filter((i) => i.pairs?.some((p) => p.name === pair.name && p.active !== null))
      .map((i) => i.name);
  const unserved = config.pairs.map((p) => p.name).filter((name) => servedBy[name]!.length === 0);
  return { instances, servedBy, unserved };
}
