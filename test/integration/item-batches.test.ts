/**
 * Upstream monitored items go out in batches that respect each server's MaxMonitoredItemsPerCall —
 * stated (ServerCapabilities) or only enforced (BadTooManyOperations) — for creation, the warm
 * failover's SetMonitoringMode, and deletion. Real simulators that enforce the limit.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type CreateMonitoredItemsRequest, type DataValue, OPCUAClient, resolveNodeId } from "node-opcua";
import { RedundantClient } from "../../src/client/redundant-client.ts";
import { createLogger } from "../../src/log.ts";
import { type Simulator, startSimulator } from "../../src/simulator/simulator.ts";
import { readOperationLimits } from "../../src/upstream/item-batches.ts";
import { UpstreamItemSet } from "../../src/upstream/item-set.ts";
import { routeNodeOpcuaLogs } from "../../src/upstream/opcua-logs.ts";
import { testStatusQuery } from "../helpers/pair-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

const ITEMS = 120;
const LIMIT = 25;

function count(sim: Simulator, service: string): number {
  return sim.requests.get(`${service}Request`) ?? 0;
}

test("warm pair: creation, failover and deletion in batches within each server's item limit", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  routeNodeOpcuaLogs(logger);
  const common = { tickMs: 100, bulk: ITEMS, maxMonitoredItemsPerCall: LIMIT } as const;
  // the primary states its limit; the secondary only enforces it, so the link learns it from refusals
  const primary = await startSimulator({ ...common, name: "batches primary" });
  t.after(() => primary.stop());
  const secondary = await startSimulator({ ...common, name: "batches secondary", advertiseLimits: false });
  t.after(() => secondary.stop());
  const client = new RedundantClient(
    {
      name: "batches",
      mode: "warm",
      servers: [{ url: primary.endpointUrl }, { url: secondary.endpointUrl }],
      statusQuery: testStatusQuery,
      failback: { policy: "manual" },
    },
    { logger },
  );
  t.after(() => client.stop());
  await client.start();
  await waitFor(
    () => client.status().servers.every((s) => s.state === "connected") && client.status().activeIndex === 0,
    30_000,
    "both servers connected, the primary active",
  );
  const itemsBefore = client.status().monitoredItems;
  const standbyItemsBefore = client.status().servers[1]!.monitoredItems;
  const createdBefore = [count(primary, "CreateMonitoredItems"), count(secondary, "CreateMonitoredItems")];

  const latest: (DataValue | undefined)[] = Array.from({ length: ITEMS }, () => undefined);
  const handles = Array.from({ length: ITEMS }, (_, i) =>
    client.monitor(`ns=1;s=Bulk.${i}`, {}, (value) => {
      latest[i] = value;
    }),
  );
  const everyItemGood = (after: number) => () =>
    latest.every((v) => v?.statusCode.isGood() && (v.sourceTimestamp?.getTime() ?? 0) > after);
  await waitFor(everyItemGood(0), 30_000, "a good value for every item from the primary");

  const created = [
    count(primary, "CreateMonitoredItems") - createdBefore[0]!,
    count(secondary, "CreateMonitoredItems") - createdBefore[1]!,
  ];
  // One request per item would be 120; batches of at most 25 need 5. The secondary refuses every
  // batch over 25 (1000 → 500 → … → 15: a few refusals) before the rest go through.
  assert.ok(created[0]! >= Math.ceil(ITEMS / LIMIT) && created[0]! <= 8, `primary: ${created[0]} requests`);
  assert.ok(
    created[1]! >= Math.ceil(ITEMS / LIMIT) && created[1]! <= 24,
    `secondary: ${created[1]} requests`,
  );

  // Warm failover: the secondary's 120 disabled items go Reporting, in chunks the server accepts.
  await waitFor(
    () => client.status().servers[1]!.monitoredItems === standbyItemsBefore + ITEMS,
    30_000,
    "every item created on the standby too",
  );
  const modeCallsBefore = count(secondary, "SetMonitoringMode");
  const stoppedAt = Date.now();
  await primary.stop();
  await waitFor(() => client.status().activeIndex === 1, 15_000, "failover to the secondary");
  await waitFor(everyItemGood(stoppedAt), 15_000, "a fresh good value for every item from the secondary");
  const modeCalls = count(secondary, "SetMonitoringMode") - modeCallsBefore;
  assert.ok(
    modeCalls >= Math.ceil(ITEMS / LIMIT) && modeCalls <= 24,
    `${modeCalls} SetMonitoringMode requests`,
  );

  for (const handle of handles) handle.stop();
  await waitFor(() => client.status().monitoredItems === itemsBefore, 10_000, "every upstream item released");
  const minimum = Math.ceil(ITEMS / LIMIT);
  await waitFor(() => count(secondary, "DeleteMonitoredItems") >= minimum, 10_000, "the deletes sent");
  const deletes = count(secondary, "DeleteMonitoredItems");
  assert.ok(deletes <= 24, `${deletes} DeleteMonitoredItems requests`);
});

test("each server's items get its own queue size unless the monitor asks for one", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const sims = [
    await startSimulator({ tickMs: 100, bulk: 2, name: "queues primary" }),
    await startSimulator({ tickMs: 100, bulk: 2, name: "queues secondary" }),
  ];
  t.after(() => Promise.all(sims.map((s) => s.stop())));
  // what each server was asked for, by NodeId
  const asked = sims.map(() => new Map<string, number>());
  sims.forEach((sim, i) => {
    sim.on("request", (request) => {
      const items = (request as unknown as CreateMonitoredItemsRequest).itemsToCreate;
      if (request.schema.name !== "CreateMonitoredItemsRequest" || !items) return;
      for (const item of items)
        asked[i]!.set(item.itemToMonitor.nodeId.toString(), item.requestedParameters.queueSize);
    });
  });
  const client = new RedundantClient(
    {
      name: "queues",
      mode: "hot",
      servers: [
        { url: sims[0]!.endpointUrl },
        { url: sims[1]!.endpointUrl, subscription: { queueSize: 5000 } },
      ],
      statusQuery: testStatusQuery,
      subscription: { queueSize: 600 },
    },
    { logger },
  );
  t.after(() => client.stop());
  await client.start();
  client.monitor("ns=1;s=Bulk.0", {}, () => undefined);
  client.monitor("ns=1;s=Bulk.1", { queueSize: 7 }, () => undefined);
  await waitFor(
    () => asked.every((m) => m.has("ns=1;s=Bulk.0") && m.has("ns=1;s=Bulk.1")),
    30_000,
    "both items created on both servers",
  );
  assert.deepEqual(
    asked.map((m) => [m.get("ns=1;s=Bulk.0"), m.get("ns=1;s=Bulk.1")]),
    [
      [600, 7],
      [5000, 7],
    ],
  );
});

test("reading every item (after an unfillable gap) stays within the server's MaxNodesPerRead", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  // the server enforces 25 nodes per Read without stating it: the set learns it from the refusals
  const sim = await startSimulator({ bulk: ITEMS, maxNodesPerRead: LIMIT, advertiseLimits: false });
  t.after(() => sim.stop());
  const client = OPCUAClient.create({ endpointMustExist: false });
  await client.connect(sim.endpointUrl);
  t.after(() => client.disconnect());
  const session = await client.createSession();
  t.after(() => session.close());
  const values = new Map<string, DataValue>();
  const items = new UpstreamItemSet(
    (key, value) => values.set(key, value),
    createLogger({ level: "silent" }),
  );
  items.limits = await readOperationLimits(session);
  assert.equal(items.nodesPerRead, 1000, "nothing stated: the default");
  for (let i = 0; i < ITEMS; i++) {
    items.add(`item ${i}`, { nodeId: resolveNodeId(`ns=1;s=Bulk.${i}`), samplingInterval: 0 });
  }
  const readsBefore = count(sim, "Read");
  await items.readAll(session);
  assert.equal(values.size, ITEMS, "a value for every item");
  assert.ok([...values.values()].every((v) => v.statusCode.isGood()));
  assert.ok(items.nodesPerRead <= LIMIT, `learnt ${items.nodesPerRead} nodes per Read`);
  const reads = count(sim, "Read") - readsBefore;
  assert.ok(reads >= Math.ceil(ITEMS / LIMIT) && reads <= 16, `${reads} Read requests`);
});
