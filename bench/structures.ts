/**
 * Custom structures through the gateway (issue 14), one short run:
 *
 *   node --expose-gc --import tsx bench/structures.ts [--bulk 10000] [--items 2000] [--tick-ms 200] [--window-ms 5000]
 *
 * 1. Mirror: a simulator with `--bulk N --bulk-structures` (every 5th variable a Custom Point, so
 *    20 % structure-typed): gateway start → mirrored, heap and RSS increase.
 * 2. Structure values/s: `--items` of the structure-typed Bulk variables subscribed by a
 *    node-opcua client directly, then through the gateway; values decoded per second and the ratio.
 * The model-change apply time for 1,000 added nodes is reported by
 * test/integration/gateway-model-changes.test.ts.
 */
import { parseArgs } from "node:util";
import {
  AttributeIds,
  type ClientSubscription,
  type DataValue,
  OPCUAClient,
  TimestampsToReturn,
} from "node-opcua";
import { spawnSimulator } from "../test/helpers/sim-process.ts";
import { waitFor } from "../test/helpers/wait.ts";
import { createBenchGateway, loopbackUrl, MB, round, settledMemory } from "./lib/gateway-common.ts";

const { values } = parseArgs({
  options: {
    bulk: { type: "string", default: "10000" },
    items: { type: "string", default: "2000" },
    "tick-ms": { type: "string", default: "200" },
    "window-ms": { type: "string", default: "5000" },
  },
});
const bulk = Number(values.bulk);
const items = Math.min(Number(values.items), Math.floor(bulk / 5));
const tickMs = Number(values["tick-ms"]);
const windowMs = Number(values["window-ms"]);

/** Values per second decoded as Points by a client subscribed to `items` structure variables at `url`. */
async function structureRate(url: string): Promise<{ perSecond: number; decoded: boolean }> {
  const client = OPCUAClient.create({ endpointMustExist: false });
  await client.connect(url);
  const session = await client.createSession();
  const subscription: ClientSubscription = await session.createSubscription2({
    requestedPublishingInterval: 100,
    requestedMaxKeepAliveCount: 20,
    requestedLifetimeCount: 600,
    maxNotificationsPerPublish: 0,
    publishingEnabled: true,
  });
  let count = 0;
  let decoded = true;
  const group = await subscription.monitorItems(
    Array.from({ length: items }, (_, k) => ({
      nodeId: `ns=1;s=Bulk.${k * 5}`,
      attributeId: AttributeIds.Value,
    })),
    { samplingInterval: 0, queueSize: 10, discardOldest: true },
    TimestampsToReturn.Both,
  );
  group.on("changed", (_item: unknown, value: DataValue) => {
    count++;
    if (typeof (value.value.value as { x?: unknown } | null)?.x !== "number") decoded = false;
  });
  await new Promise((resolve) => setTimeout(resolve, 2000)); // initial values and warm-up
  const start = count;
  const began = performance.now();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const perSecond = ((count - start) * 1000) / (performance.now() - began);
  await session.close();
  await client.disconnect();
  return { perSecond: round(perSecond, 0), decoded };
}

// as bench/gateway.ts: node-opcua may reject a promise nobody awaits when a channel is broken
const unhandled: string[] = [];
process.on("unhandledRejection", (reason) => {
  unhandled.push(reason instanceof Error ? reason.message : String(reason));
});

const sim = await spawnSimulator({ tickMs, sharedClock: true, bulk, bulkStructures: true });
try {
  const before = settledMemory();
  const bench = await createBenchGateway({ mode: "hot", servers: [loopbackUrl(sim.port)] });
  const started = performance.now();
  await bench.gateway.start();
  await waitFor(() => bench.gateway.pairs[0]!.mirrored, 300_000, "mirrored");
  const mirrorMs = round(performance.now() - started, 0);
  const after = settledMemory();
  const direct = await structureRate(sim.endpointUrl);
  const through = await structureRate(bench.endpointUrl());
  const result = {
    nodes: bulk,
    structureTyped: Math.floor(bulk / 5),
    mirrorMs,
    heapIncreaseMB: round((after.heapUsedBytes - before.heapUsedBytes) / MB),
    rssIncreaseMB: round((after.rssBytes - before.rssBytes) / MB),
    items,
    tickMs,
    expectedPerSecond: round((items * 1000) / tickMs, 0),
    direct,
    through,
    ratio: round(through.perSecond / direct.perSecond, 2),
    failovers: bench.gateway.pairs[0]!.status().failovers,
    unhandledRejections: unhandled,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  await bench.stop();
} finally {
  await sim.dispose();
}
