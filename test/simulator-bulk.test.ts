/**
 * The simulator's Bulk variables are set in slices of 10,000 per turn of the event loop (a server
 * polling many tags; one turn for 300,000 values kept it from answering status queries for over a
 * second): every variable still gets every tick, in order, with the tick's source timestamp —
 * those in the first slice and those in the last, Int32 and structure alike.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AttributeIds, type DataValue, OPCUAClient, TimestampsToReturn } from "node-opcua";
import { startSimulator } from "../src/simulator/simulator.ts";
import { waitFor } from "./helpers/wait.ts";

const BULK = 25_000; // three slices
const TICK_MS = 300;

test("Bulk variables beyond one slice get every tick in order, with the tick's timestamp", {
  timeout: 120_000,
}, async (t) => {
  const sim = await startSimulator({ tickMs: TICK_MS, sharedClock: true, bulk: BULK, bulkStructures: true });
  t.after(() => sim.stop());
  const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
  await client.connect(sim.endpointUrl);
  t.after(() => client.disconnect());
  const session = await client.createSession();
  const subscription = await session.createSubscription2({
    requestedPublishingInterval: 100,
    requestedMaxKeepAliveCount: 10,
    requestedLifetimeCount: 100,
    publishingEnabled: true,
  });
  // Bulk.1: the first slice; Bulk.24999: the last (Int32s come first); Bulk.24995: a structure, last slice
  const watched = ["ns=1;s=Counter", "ns=1;s=Bulk.1", "ns=1;s=Bulk.24999", "ns=1;s=Bulk.24995"];
  const seen = new Map<string, { value: number; time: number }[]>(watched.map((id) => [id, []]));
  for (const nodeId of watched) {
    const item = await subscription.monitor(
      { nodeId, attributeId: AttributeIds.Value },
      { samplingInterval: 0, queueSize: 100 },
      TimestampsToReturn.Both,
    );
    item.on("changed", (dv: DataValue) => {
      const raw = dv.value.value as number | { x: number };
      const value = typeof raw === "number" ? raw : raw.x;
      seen.get(nodeId)!.push({ value, time: dv.sourceTimestamp?.getTime() ?? 0 });
    });
  }
  // Items created while ticks go on may get their initial value before older queued ones (the
  // server's own creation path): the sequence is judged from the values after a first few ticks.
  await waitFor(() => [...seen.values()].every((values) => values.length >= 3), 30_000, "first values");
  for (const values of seen.values()) values.length = 0;
  await waitFor(
    () => [...seen.values()].every((values) => values.length >= 12),
    30_000,
    "a dozen ticks on every watched variable",
  );
  await subscription.terminate();
  const counter = seen.get("ns=1;s=Counter")!;
  const stampOf = new Map(counter.map((v) => [v.value, v.time]));
  for (const [nodeId, values] of seen) {
    const steps = values.slice(1).map((v, i) => v.value - values[i]!.value);
    assert.ok(
      steps.every((step) => step === 1),
      `${nodeId}: every tick once, in order: ${values.map((v) => v.value).join(",")}`,
    );
    for (const v of values.slice(1)) {
      const tickTime = stampOf.get(v.value);
      if (tickTime !== undefined) assert.equal(v.time, tickTime, `${nodeId}: tick ${v.value}'s timestamp`);
    }
  }
});
