/**
 * Scale: N Bulk items monitored by one downstream client through one hot pair (two simulators,
 * shared clock): time to mirror the address space, memory per mirrored node and per monitored item,
 * CPU and value changes/s in steady state; then (scale-cold.ts) the cold failover's re-creation of
 * every upstream item; and, directly on a simulator, the cost of creating the items one request
 * each (item-creation.ts).
 */
import { rm } from "node:fs/promises";
import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import { connectDownstream, type Downstream } from "../../test/helpers/gateway-rig.ts";
import { type SimProcess, spawnSimulator } from "../../test/helpers/sim-process.ts";
import { delay, waitFor, withTimeout } from "../../test/helpers/wait.ts";
import { BulkValues, monitorBulkSpread } from "./bulk-items.ts";
import {
  type BenchGateway,
  createBenchGateway,
  loopbackUrl,
  message,
  round,
  settledMemory,
  UsageWindow,
  type WindowUsage,
} from "./gateway-common.ts";
import { type ItemCreationResult, measureItemCreation } from "./item-creation.ts";
import { profileClockUs } from "./profile-layers.ts";
import { type ColdRecreationResult, measureColdRecreation } from "./scale-cold.ts";

export interface ScaleOptions {
  items: number;
  tickMs: number;
  windowMs: number;
  batchSize: number;
  /** Also time the direct one-request-per-item creation (item-creation.ts). */
  compareCreation: boolean;
  cold: boolean;
  /** Mirroring, creating and re-creating N items: bounds that grow with N. */
  timeoutMs: number;
}

export interface ScaleResult {
  items: number;
  tickMs: number;
  simulatorStartupMs: number[];
  direct?: ItemCreationResult;
  /** gateway.start() → address space mirrored, primary active, standby connected. */
  mirrorMs?: number;
  mirrorRssBytesPerNode?: number;
  mirrorHeapBytesPerNode?: number;
  /** Downstream CreateMonitoredItems (batches) through the gateway. */
  createItemsMs?: number;
  /** Create called → every item has delivered a good value through the gateway (upstream items made). */
  allValuesMs?: number;
  refusedItems?: number;
  /** This process (gateway + downstream client) after the items, over after the mirror, per item. */
  rssBytesPerItem?: number;
  heapBytesPerItem?: number;
  /** heapBytesPerItem minus three plain clients' cost (downstream + two upstream links): the gateway's own. */
  gatewayOwnHeapBytesPerItemEstimate?: number;
  /** Steady state (window): value changes/s received downstream, expected, CPU. */
  valueChangesPerSecond?: number;
  expectedPerSecond?: number;
  /** Per-item sequence in the steady-state window: values lost, repeated, gone back. */
  windowLostValues?: number;
  windowDuplicateValues?: number;
  windowRegressionValues?: number;
  /** CPU time of this process (gateway + downstream client) per 1000 values delivered downstream. */
  cpuMsPer1000ValueChanges?: number;
  /** cpuMsPer1000ValueChanges minus a plain client's (measured directly): the gateway's own. */
  gatewayOwnCpuMsPer1000ValueChangesEstimate?: number;
  usage?: WindowUsage;
  /** The steady-state window on the CPU profile's clock (µs), and the values delivered in it. */
  steadyWindowUs?: [number, number];
  steadyValues?: number;
  /** Event-loop delay of this process, p99 / max ms: while the items are created, in steady state. */
  eventLoopDelayCreateMs?: { p99: number; max: number };
  eventLoopDelaySteadyMs?: { p99: number; max: number };
  cold?: ColdRecreationResult;
  error?: string;
}

async function hotPair(
  sims: SimProcess[],
  options: ScaleOptions,
  result: ScaleResult,
  progress: (line: string) => void,
): Promise<string> {
  const n = options.items;
  let bench: BenchGateway | undefined;
  let downstream: Downstream | undefined;
  try {
    const beforeGateway = settledMemory();
    bench = await createBenchGateway({ mode: "hot", servers: sims.map((s) => loopbackUrl(s.port)) });
    const pair = bench.gateway.pairs[0]!;
    const began = performance.now();
    await bench.gateway.start();
    const steady = () =>
      pair.mirrored &&
      pair.status().activeIndex === 0 &&
      pair.status().servers.every((s) => s.state === "connected");
    await waitFor(steady, options.timeoutMs, `the gateway to mirror ${n} items`);
    result.mirrorMs = round(performance.now() - began);
    const mirrored = settledMemory();
    result.mirrorRssBytesPerNode = Math.round((mirrored.rssBytes - beforeGateway.rssBytes) / n);
    result.mirrorHeapBytesPerNode = Math.round((mirrored.heapUsedBytes - beforeGateway.heapUsedBytes) / n);
    progress(`  hot pair: mirrored in ${result.mirrorMs} ms, heap ${result.mirrorHeapBytesPerNode} B/node`);

    downstream = await connectDownstream(bench.endpointUrl());
    const values = new BulkValues(n);
    const createLoop = startLoopDelay();
    const createBegan = performance.now();
    const { refused } = await monitorBulkSpread(
      downstream.session,
      downstream.subscription,
      n,
      options.batchSize,
      values,
    );
    result.createItemsMs = round(performance.now() - createBegan);
    result.refusedItems = refused;
    await waitFor(() => values.countSince(1) >= n - refused, options.timeoutMs, `a value of every item`);
    result.allValuesMs = round(performance.now() - createBegan);
    result.eventLoopDelayCreateMs = stopLoopDelay(createLoop);
    const withItems = settledMemory();
    result.rssBytesPerItem = Math.round((withItems.rssBytes - mirrored.rssBytes) / n);
    result.heapBytesPerItem = Math.round((withItems.heapUsedBytes - mirrored.heapUsedBytes) / n);
    if (result.direct?.clientHeapBytesPerItem !== undefined) {
      result.gatewayOwnHeapBytesPerItemEstimate =
        result.heapBytesPerItem - 3 * result.direct.clientHeapBytesPerItem;
    }
    progress(
      `  hot pair: ${n} items created in ${result.createItemsMs} ms, every value in ${result.allValuesMs} ms; ` +
        `RSS ${result.rssBytesPerItem} B/item, heap ${result.heapBytesPerItem} B/item`,
    );

    await delay(Math.max(2000, 2 * options.tickMs)); // past the initial values and any backlog
    const usage = new UsageWindow(sims.map((s) => s.pid));
    const receivedBefore = values.received;
    const sequenceBefore = values.sequence();
    const steadyLoop = startLoopDelay();
    const steadyFromUs = profileClockUs();
    usage.start();
    await delay(options.windowMs);
    result.usage = usage.stop();
    result.steadyWindowUs = [steadyFromUs, profileClockUs()];
    result.eventLoopDelaySteadyMs = stopLoopDelay(steadyLoop);
    result.valueChangesPerSecond = round(
      ((values.received - receivedBefore) * 1000) / result.usage.durationMs,
    );
    result.expectedPerSecond = (n * 1000) / options.tickMs;
    const sequenceAfter = values.sequence();
    result.windowLostValues = sequenceAfter.lost - sequenceBefore.lost;
    result.windowDuplicateValues = sequenceAfter.duplicates - sequenceBefore.duplicates;
    result.windowRegressionValues = sequenceAfter.regressions - sequenceBefore.regressions;
    const delivered = values.received - receivedBefore;
    result.steadyValues = delivered;
    if (delivered > 0) {
      const cpuMs = result.usage.cpuUserMs + result.usage.cpuSystemMs;
      result.cpuMsPer1000ValueChanges = round((cpuMs * 1000) / delivered, 2);
      const client = result.direct?.clientCpuMsPer1000ValueChanges;
      if (client !== undefined) {
        result.gatewayOwnCpuMsPer1000ValueChangesEstimate = round(
          result.cpuMsPer1000ValueChanges - client,
          2,
        );
      }
    }
    progress(
      `  hot pair steady: ${result.valueChangesPerSecond}/s of ${result.expectedPerSecond}, CPU ` +
        `${result.usage.cpuPercent} % of a core (this process), RSS ${Math.round(result.usage.rssMaxBytes / 2 ** 20)} MB, ` +
        `lost ${result.windowLostValues}, dup ${result.windowDuplicateValues}, regr ${result.windowRegressionValues}`,
    );
    return bench.dataDir;
  } finally {
    if (downstream) await withTimeout(downstream.close(), 10_000, "the downstream client").catch(() => {});
    // keep the data directory: the cold pair starts from the address-space cache
    await bench?.stop({ keepDataDir: true });
  }
}

function startLoopDelay(): IntervalHistogram {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  return histogram;
}

function stopLoopDelay(histogram: IntervalHistogram): { p99: number; max: number } {
  histogram.disable();
  return { p99: round(histogram.percentile(99) / 1e6), max: round(histogram.max / 1e6) };
}

/** Called around the gateway's part of the run (not the direct item-creation comparison). */
export interface GatewayPhaseHooks {
  started(): Promise<void>;
  ended(): Promise<void>;
}

export async function runScale(
  options: ScaleOptions,
  progress: (line: string) => void,
  hooks?: GatewayPhaseHooks,
): Promise<ScaleResult> {
  const result: ScaleResult = { items: options.items, tickMs: options.tickMs, simulatorStartupMs: [] };
  const sims: SimProcess[] = [];
  try {
    sims.push(
      ...(await Promise.all(
        [0, 1].map(() =>
          spawnSimulator({
            tickMs: options.tickMs,
            sharedClock: true,
            bulk: options.items,
            // node-opcua's default, as a real server would have it: above it the links spread their items
            maxMonitoredItemsPerSubscription: 100_000,
          }),
        ),
      )),
    );
    result.simulatorStartupMs = sims.map((s) => round(s.startupMs));
    // A simulator of its own, so that the comparison's items load none of the gateway's servers.
    const direct = await spawnSimulator({ tickMs: options.tickMs, sharedClock: true, bulk: options.items });
    try {
      result.direct = await measureItemCreation(
        loopbackUrl(direct.port),
        options.items,
        { oneByOne: options.compareCreation, timeoutMs: options.timeoutMs, windowMs: options.windowMs },
        progress,
      );
    } finally {
      await direct.dispose();
    }
    await hooks?.started();
    try {
      const dataDir = await hotPair(sims, options, result, progress);
      if (options.cold) result.cold = await measureColdRecreation(sims, dataDir, options, progress);
      else await rm(dataDir, { recursive: true, force: true });
    } finally {
      await hooks?.ended();
    }
    return result;
  } catch (error) {
    result.error = message(error);
    return result;
  } finally {
    await Promise.all(sims.map((s) => s.dispose()));
  }
}
