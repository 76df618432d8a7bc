/**
 * Directly on a simulator (no gateway): what N monitored items cost a plain node-opcua client,
 * and how long creating them takes one request per item with 16 in flight (what the gateway's
 * upstream links did before they batched) against batches of 1000 per request (what they do now,
 * src/upstream/item-batches.ts).
 */
import { connectDownstream, type Downstream } from "../../test/helpers/gateway-rig.ts";
import { delay, waitFor, withTimeout } from "../../test/helpers/wait.ts";
import { BulkValues, monitorBulkBatched, monitorBulkOneByOne } from "./bulk-items.ts";
import { round, settledMemory, UsageWindow } from "./gateway-common.ts";

/** The one-request-per-item baseline keeps this many requests in flight. */
export const UPSTREAM_IN_FLIGHT = 16;
export const COMPARE_BATCH = 1000;

export interface ItemCreationResult {
  items: number;
  /** Batches of 1000: create calls → done, and → every item has delivered a value. */
  batchedCreateMs?: number;
  batchedAllValuesMs?: number;
  /** One request per item, 16 in flight. */
  oneByOneCreateMs?: number;
  oneByOneAllValuesMs?: number;
  /** oneByOne / batched (create → every item has a value). */
  oneByOneSlowdown?: number;
  /** A plain client's memory for N monitored items (after a full GC), per item. */
  clientRssBytesPerItem?: number;
  clientHeapBytesPerItem?: number;
  /** A plain client's CPU time per 1000 values received, in steady state (same tick as the gateway run). */
  clientCpuMsPer1000ValueChanges?: number;
  error?: string;
}

async function timedCreation(
  items: number,
  create: (values: BulkValues) => Promise<unknown>,
  timeoutMs: number,
): Promise<{ createMs: number; allValuesMs: number; values: BulkValues }> {
  const values = new BulkValues(items);
  const began = performance.now();
  await create(values);
  const createMs = round(performance.now() - began);
  await waitFor(() => values.countSince(1) >= items, timeoutMs, `a value of each of ${items} items`);
  return { createMs, allValuesMs: round(performance.now() - began), values };
}

export async function measureItemCreation(
  endpointUrl: string,
  items: number,
  options: { oneByOne: boolean; timeoutMs: number; windowMs: number },
  progress: (line: string) => void,
): Promise<ItemCreationResult> {
  const result: ItemCreationResult = { items };
  let downstream: Downstream | undefined;
  try {
    const before = settledMemory();
    downstream = await connectDownstream(endpointUrl);
    const session = downstream.session;
    const client = downstream;
    const batched = await timedCreation(
      items,
      (values) => monitorBulkBatched(client.subscription, items, COMPARE_BATCH, values),
      options.timeoutMs,
    );
    result.batchedCreateMs = batched.createMs;
    result.batchedAllValuesMs = batched.allValuesMs;
    const after = settledMemory();
    result.clientRssBytesPerItem = Math.round((after.rssBytes - before.rssBytes) / items);
    result.clientHeapBytesPerItem = Math.round((after.heapUsedBytes - before.heapUsedBytes) / items);
    progress(
      `  direct, batches of ${COMPARE_BATCH}: created in ${batched.createMs} ms, every value in ` +
        `${batched.allValuesMs} ms; client heap ${result.clientHeapBytesPerItem} B/item`,
    );
    // the client's own CPU per value: what the gateway run's "this process" figure includes for it
    const usage = new UsageWindow([]);
    const receivedBefore = batched.values.received;
    usage.start();
    await delay(options.windowMs);
    const window = usage.stop();
    const delivered = batched.values.received - receivedBefore;
    if (delivered > 0) {
      const cpuMs = window.cpuUserMs + window.cpuSystemMs;
      result.clientCpuMsPer1000ValueChanges = round((cpuMs * 1000) / delivered, 2);
    }
    await downstream.subscription.terminate();
    if (!options.oneByOne) return result;
    const subscription = await session.createSubscription2({
      requestedPublishingInterval: 50,
      requestedMaxKeepAliveCount: 20,
      requestedLifetimeCount: 600,
      publishingEnabled: true,
    });
    const oneByOne = await timedCreation(
      items,
      (values) => monitorBulkOneByOne(subscription, items, UPSTREAM_IN_FLIGHT, values),
      options.timeoutMs,
    );
    result.oneByOneCreateMs = oneByOne.createMs;
    result.oneByOneAllValuesMs = oneByOne.allValuesMs;
    result.oneByOneSlowdown = round(oneByOne.allValuesMs / Math.max(1, batched.allValuesMs), 2);
    progress(
      `  direct, one request per item (${UPSTREAM_IN_FLIGHT} in flight): created in ${oneByOne.createMs} ms, ` +
        `every value in ${oneByOne.allValuesMs} ms (${result.oneByOneSlowdown}× batched)`,
    );
    await subscription.terminate();
    return result;
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    return result;
  } finally {
    if (downstream)
      await withTimeout(downstream.close(), 10_000, "the direct client to close").catch(() => undefined);
  }
}
