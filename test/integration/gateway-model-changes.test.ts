/**
 * Upstream address-space changes while the gateway runs: nodes added upstream appear downstream,
 * removed ones answer BadNodeIdUnknown (their monitored items too), changed attributes change, and
 * a downstream client sees a GeneralModelChangeEvent naming the nodes. A change of 1,000 nodes is
 * applied without a failover (health probes keep running) and its apply time is reported.
 */
import assert from "node:assert/strict";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { after, before, test } from "node:test";
import {
  AttributeIds,
  type ClientSession,
  constructEventFilter,
  DataType,
  type DataValue,
  TimestampsToReturn,
  type Variant,
} from "node-opcua";
import {
  connectDownstream,
  type Downstream,
  type GatewayRig,
  startGatewayRig,
} from "../helpers/gateway-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor, waitForAsync } from "../helpers/wait.ts";

const options = { timeout: INTEGRATION_TEST_TIMEOUT_MS };
let rig: GatewayRig;
let through: Downstream;
let direct: Downstream;
/** Verb and affected NodeId of every change the downstream client was told of. */
const announced: { verb: number; affected: string }[] = [];

before(async () => {
  rig = await startGatewayRig({
    pairs: [
      {
        mode: "warm",
        extra: {
          addressSpace: { rebrowseMs: 1000 },
          // the simulator adding 1,000 nodes in one call is itself busy for a while: a status query
          // timeout of 3 s keeps that from looking like an outage (the gateway's own stall is measured)
          statusQuery: { intervalMs: 500, timeoutMs: 3000 },
        },
      },
    ],
  });
  through = await connectDownstream(rig.endpoints[0]!);
  direct = await connectDownstream(rig.sims[0]!.endpointUrl);
  const events = await through.subscription.monitor(
    { nodeId: "i=2253", attributeId: AttributeIds.EventNotifier },
    { samplingInterval: 0, queueSize: 100, filter: constructEventFilter(["EventType", "Changes"]) },
    TimestampsToReturn.Both,
  );
  events.on("changed", (fields: unknown) => {
    const [, changes] = fields as Variant[];
    for (const change of (changes?.value as { verb: number; affected: { toString(): string } }[] | null) ??
      [])
      announced.push({ verb: change.verb, affected: change.affected.toString() });
  });
});

after(async () => {
  await through?.close();
  await direct?.close();
  await rig?.dispose();
});

async function callDirect(method: string, value: { dataType: DataType; value: unknown }) {
  const result = await direct.session.call({
    objectId: "ns=1;s=Dynamic",
    methodId: `ns=1;s=Dynamic.${method}`,
    inputArguments: [value],
  });
  assert.equal(result.statusCode.name, "Good", method);
}

async function children(session: ClientSession): Promise<string[]> {
  const result = await session.browse({
    nodeId: "ns=1;s=Dynamic",
    referenceTypeId: "HasComponent",
    resultMask: 63,
  });
  return (result.references ?? []).map((r) => r.nodeId.toString()).filter((id) => id.includes("Var"));
}

async function read(session: ClientSession, nodeId: string, attributeId = AttributeIds.Value) {
  const [value] = await session.read([{ nodeId, attributeId }]);
  return value!;
}

test("nodes added upstream appear downstream with a GeneralModelChangeEvent", options, async () => {
  await callDirect("AddNodes", { dataType: DataType.UInt32, value: 3 });
  const expected = ["ns=1;s=Dynamic.Var0", "ns=1;s=Dynamic.Var1", "ns=1;s=Dynamic.Var2"];
  await waitForAsync(
    async () => (await children(through.session)).length === 3,
    10_000,
    "3 nodes browsable downstream",
  );
  assert.deepEqual((await children(through.session)).sort(), expected);
  const value = await read(through.session, "ns=1;s=Dynamic.Var1");
  assert.equal(value.statusCode.name, "Good");
  assert.equal(value.value.value, 1);
  await waitFor(() => announced.length >= 3, 10_000, "a GeneralModelChangeEvent");
  for (const id of expected)
    assert.ok(
      announced.some((c) => c.verb === 1 && c.affected === id),
      `NodeAdded ${id}`,
    );
});

test(
  "the upstream's own GeneralModelChangeEvent is followed (a folder without NodeVersion)",
  options,
  async () => {
    const events = rig.gateway.pairs[0]!.modelChanges.events;
    const before = events.received;
    await callDirect("AddUnversioned", { dataType: DataType.UInt32, value: 2 });
    await waitFor(
      () => events.received > before,
      10_000,
      "the upstream's GeneralModelChangeEvent at the gateway",
    );
    await waitForAsync(
      async () => (await read(through.session, "ns=1;s=Dynamic.Unversioned.Var1")).value.value === 1,
      10_000,
      "the announced node downstream",
    );
  },
);

test("a node removed upstream answers BadNodeIdUnknown, its monitored item too", options, async () => {
  const statuses: string[] = [];
  const item = await through.subscription.monitor(
    { nodeId: "ns=1;s=Dynamic.Var2", attributeId: AttributeIds.Value },
    { samplingInterval: 0, queueSize: 10 },
    TimestampsToReturn.Both,
  );
  item.on("changed", (dv: DataValue) => statuses.push(dv.statusCode.name));
  await waitFor(() => statuses.includes("Good"), 10_000, "the item's first value");
  await callDirect("RemoveNodes", { dataType: DataType.UInt32, value: 1 });
  await waitFor(
    () => statuses.includes("BadNodeIdUnknown"),
    10_000,
    "BadNodeIdUnknown on the monitored item",
  );
  assert.equal((await read(through.session, "ns=1;s=Dynamic.Var2")).statusCode.name, "BadNodeIdUnknown");
  assert.equal((await read(direct.session, "ns=1;s=Dynamic.Var2")).statusCode.name, "BadNodeIdUnknown");
  assert.ok(!(await children(through.session)).includes("ns=1;s=Dynamic.Var2"));
  await waitFor(
    () => announced.some((c) => c.verb === 2 && c.affected === "ns=1;s=Dynamic.Var2"),
    10_000,
    "NodeDeleted",
  );
  await item.terminate();
});

test("an attribute changed upstream changes downstream (periodic re-browse)", options, async () => {
  await callDirect("SetDescription", { dataType: DataType.String, value: "changed at run time" });
  await waitForAsync(
    async () =>
      (await read(through.session, "ns=1;s=Dynamic", AttributeIds.Description)).value.value?.text ===
      "changed at run time",
    10_000,
    "the new Description downstream",
  );
});

test("1,000 nodes added upstream: applied in chunks, no failover", options, async (t) => {
  const pair = rig.gateway.pairs[0]!;
  const failovers = pair.status().failovers;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const before = pair.modelChanges.applied.length;
  await callDirect("AddNodes", { dataType: DataType.UInt32, value: 1000 });
  const report = await waitFor(
    () => pair.modelChanges.applied.slice(before).find((r) => r.added >= 1000),
    30_000,
    "1,000 added nodes applied",
  );
  delay.disable();
  t.diagnostic(
    `1,000 added nodes: diff and apply ${report.ms} ms (after the re-browse); event-loop delay max ${(delay.max / 1e6).toFixed(0)} ms`,
  );
  assert.equal((await read(through.session, "ns=1;s=Dynamic.Var1002")).value.value, 1002);
  assert.equal(pair.status().failovers, failovers, "no failover while applying");
});

test("a failover to a server whose address space differs is a model change", options, async () => {
  const secondary = await connectDownstream(rig.sims[1]!.endpointUrl);
  try {
    // the secondary has 2 dynamic nodes where the primary has ~1,000
    const added = await secondary.session.call({
      objectId: "ns=1;s=Dynamic",
      methodId: "ns=1;s=Dynamic.AddNodes",
      inputArguments: [{ dataType: DataType.UInt32, value: 2 }],
    });
    assert.equal(added.statusCode.name, "Good");
  } finally {
    await secondary.close();
  }
  await rig.sims[0]!.kill();
  await waitFor(() => rig.gateway.pairs[0]!.status().activeIndex === 1, 20_000, "failover to the secondary");
  await waitForAsync(
    async () => (await children(through.session)).length === 2,
    30_000,
    "the secondary's 2 dynamic nodes downstream",
  );
  assert.equal((await read(through.session, "ns=1;s=Dynamic.Var1002")).statusCode.name, "BadNodeIdUnknown");
  assert.equal((await read(through.session, "ns=1;s=Dynamic.Var1")).value.value, 1);
});
