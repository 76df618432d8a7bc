/**
 * Scale, cold pair: N items monitored through a cold gateway (upstream items on the primary only),
 * then the primary SIGKILLed: time until every item has delivered a good value again, i.e. until
 * the gateway has re-created every upstream item on the secondary.
 */
import { rm } from "node:fs/promises";
import type { FailoverEvent } from "../../src/client/types.ts";
import { connectDownstream, type Downstream } from "../../test/helpers/gateway-rig.ts";
import type { SimProcess } from "../../test/helpers/sim-process.ts";
import { waitFor, withTimeout } from "../../test/helpers/wait.ts";
import { BulkValues, monitorBulkSpread } from "./bulk-items.ts";
import { type BenchGateway, createBenchGateway, loopbackUrl, message, round } from "./gateway-common.ts";

export interface ColdRecreationResult {
  /** gateway.start() (address space from the hot run's cache) → primary active and mirrored. */
  startMs?: number;
  /** Create called → every item has a value (from the primary). */
  allValuesMs?: number;
  /** SIGKILL of the primary → the failover event. */
  detectMs?: number;
  /** SIGKILL → the first good value of any item. */
  firstValueMs?: number;
  /** SIGKILL → every item has delivered a good value again (all upstream items re-created). */
  allItemsBackMs?: number;
  /** Items back with a good value when the measurement ended (= items unless it timed out). */
  itemsBack?: number;
  badValuesAfterKill?: number;
  error?: string;
}

export async function measureColdRecreation(
  sims: SimProcess[],
  dataDir: string,
  options: { items: number; batchSize: number; timeoutMs: number },
  progress: (line: string) => void,
): Promise<ColdRecreationResult> {
  const n = options.items;
  const result: ColdRecreationResult = {};
  let bench: BenchGateway | undefined;
  let downstream: Downstream | undefined;
  try {
    bench = await createBenchGateway({
      mode: "cold",
      servers: sims.map((s) => loopbackUrl(s.port)),
      dataDir,
    });
    const pair = bench.gateway.pairs[0]!;
    const failovers: FailoverEvent[] = [];
    pair.client.on("failover", (e) => failovers.push(e));
    const began = performance.now();
    await bench.gateway.start();
    await waitFor(
      () => pair.mirrored && pair.status().activeIndex === 0,
      options.timeoutMs,
      "the cold pair up",
    );
    result.startMs = round(performance.now() - began);

    downstream = await connectDownstream(bench.endpointUrl());
    const values = new BulkValues(n);
    const createBegan = performance.now();
    const { refused } = await monitorBulkSpread(
      downstream.session,
      downstream.subscription,
      n,
      options.batchSize,
      values,
    );
    await waitFor(() => values.countSince(1) >= n - refused, options.timeoutMs, "a value of every item");
    result.allValuesMs = round(performance.now() - createBegan);

    const failoversBefore = failovers.length;
    const badBefore = values.bad;
    const killAt = Date.now();
    await sims[0]!.kill();
    const failover = await waitFor(() => failovers[failoversBefore], 20_000, "the cold failover");
    result.detectMs = failover.at.getTime() - killAt;
    const since = failover.at.getTime();
    await waitFor(() => values.countSince(since) > 0, options.timeoutMs, "a first value after the failover");
    result.firstValueMs = Date.now() - killAt;
    try {
      await waitFor(() => values.countSince(since) >= n - refused, options.timeoutMs, "every item back");
      result.allItemsBackMs = Date.now() - killAt;
    } finally {
      result.itemsBack = values.countSince(since);
      result.badValuesAfterKill = values.bad - badBefore;
    }
    progress(
      `  cold pair: SIGKILL → failover ${result.detectMs} ms, first value ${result.firstValueMs} ms, ` +
        `every item back ${result.allItemsBackMs} ms`,
    );
    return result;
  } catch (error) {
    result.error = message(error);
    return result;
  } finally {
    if (downstream) await withTimeout(downstream.close(), 10_000, "the downstream client").catch(() => {});
    if (bench) await bench.stop().catch((error: unknown) => (result.error ??= message(error)));
    else await rm(dataDir, { recursive: true, force: true });
  }
}
