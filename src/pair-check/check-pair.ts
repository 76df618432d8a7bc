/**
 * The pair check (check-pair command, gateway start, configuration page): takes the inventory of
 * every server of a pair at once, each in its own short session, and compares them (compare.ts).
 */

import { summarizeEndpoint } from "../discovery/discover.ts";
import {
  chooseToolEndpoint,
  readDiscoveryServices,
  type ToolSessionOptions,
  withToolSession,
} from "../discovery/session.ts";
import { RedundancyError } from "../errors.ts";
import { comparePair, type PairCheckResult, type ServerSide } from "./compare.ts";
import { takeInventory } from "./inventory.ts";

export interface PairCheckTimings {
  /** Per server, ms from connect to inventory complete. */
  inventoryMs: number[];
  totalMs: number;
}

async function serverSide(url: string, options: ToolSessionOptions): Promise<ServerSide> {
  const { endpoints } = await readDiscoveryServices(url, options.timeoutMs, options.pkiFolder);
  const endpoint = chooseToolEndpoint(endpoints, options.user !== undefined);
  if (!endpoint)
    throw new RedundancyError(
      "ERR_UPSTREAM_REQUEST",
      `${url}: no endpoint accepts anonymous users (give a user)`,
    );
  const inventory = await withToolSession(url, endpoint, options, takeInventory);
  const security = endpoints.map((e) => {
    const s = summarizeEndpoint(e);
    return `${s.securityPolicy}/${s.securityMode}`;
  });
  return { url, inventory, security };
}

/** Inventories every server (in parallel) and compares them with the first. */
export async function checkPair(
  urls: readonly string[],
  options: ToolSessionOptions | ((index: number) => Promise<ToolSessionOptions>) = {},
): Promise<PairCheckResult & { timings: PairCheckTimings }> {
  if (urls.length < 2)
    throw new RedundancyError(
      "ERR_INVALID_ARGUMENT",
      `a pair check needs at least 2 servers, got ${urls.length}`,
    );
  const began = performance.now();
  const inventoryMs: number[] = [];
  const sides = await Promise.all(
    urls.map(async (url, i) => {
      const start = performance.now();
      const side = await serverSide(url, typeof options === "function" ? await options(i) : options);
      inventoryMs[i] = Math.round(performance.now() - start);
      return side;
    }),
  );
  const [primary, ...others] = sides as [ServerSide, ...ServerSide[]];
  const result = comparePair(primary, others);
  return { ...result, timings: { inventoryMs, totalMs: Math.round(performance.now() - began) } };
}
