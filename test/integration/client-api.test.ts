/** The RedundantClient library API against real simulators. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AttributeIds, DataType, type DataValue, StatusCodes } from "node-opcua";
import { startRig } from "../helpers/pair-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

test("read, browse, call, shared monitors and per-node results", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const rig = await startRig({ mode: "hot" });
  t.after(() => rig.dispose());
  const { client } = rig;

  await t.test("a Read mixing valid and invalid nodes returns each result for its own node", async () => {
    const results = await client.read(["ns=1;s=Counter", "ns=1;s=NoSuchNode", "ns=1;s=Quality", "i=2267"]);
    assert.equal(results.length, 4);
    assert.equal(results[0]!.value.dataType, DataType.Int32);
    assert.equal(results[1]!.statusCode, StatusCodes.BadNodeIdUnknown);
    assert.equal(results[2]!.value.value, true);
    assert.equal(results[3]!.value.value, 255);
  });

  await t.test("a Write mixing valid and invalid nodes returns each status for its own node", async () => {
    const results = await client.write([
      {
        nodeId: "ns=1;s=NoSuchNode",
        attributeId: AttributeIds.Value,
        value: { value: { dataType: DataType.Int32, value: 1 } },
      },
      {
        nodeId: "ns=1;s=Status",
        attributeId: AttributeIds.Value,
        value: { value: { dataType: DataType.Int32, value: 7 } },
      },
      {
        nodeId: "ns=1;s=Counter",
        attributeId: AttributeIds.Value,
        value: { value: { dataType: DataType.Int32, value: 7 } },
      },
    ]);
    assert.deepEqual(
      results.map((s) => s.name),
      ["BadNodeIdUnknown", "Good", "BadNotWritable"],
    );
  });

  await t.test("browse answers as the upstream does", async () => {
    const [result] = await client.browse([{ nodeId: "i=85", browseDirection: 0, resultMask: 63 }]);
    const names = result!.references!.map((r) => r.browseName.toString());
    assert.ok(names.includes("1:Simulation"), names.join(", "));
  });

  await t.test("call passes the server's status through", async () => {
    const [result] = await client.call([
      {
        objectId: "i=2253",
        methodId: "i=11492",
        inputArguments: [{ dataType: DataType.UInt32, value: 4242 }],
      },
    ]);
    assert.equal(result!.statusCode.name, "BadSubscriptionIdInvalid");
  });

  await t.test("several monitors of one node share one upstream item; the last stop removes it", async () => {
    const before = client.status().monitoredItems;
    const first: DataValue[] = [];
    const second: DataValue[] = [];
    const a = client.monitor("ns=1;s=Sine", {}, (v) => first.push(v));
    await waitFor(() => first.length > 0, 5000, "a first Sine value");
    const b = client.monitor("ns=1;s=Sine", {}, (v) => second.push(v));
    assert.equal(second.length, 1, "the second monitor gets the current value at once");
    assert.equal(client.status().monitoredItems, before + 1);
    a.stop();
    assert.equal(client.status().monitoredItems, before + 1);
    b.stop();
    assert.equal(client.status().monitoredItems, before);
  });

  await t.test("a monitor of an unknown node receives the server's refusal", async () => {
    const values: DataValue[] = [];
    const handle = client.monitor("ns=1;s=NoSuchNode", {}, (v) => values.push(v));
    const refused = await waitFor(() => values[0], 5000, "the refusal");
    assert.equal(refused.statusCode.name, "BadNodeIdUnknown");
    handle.stop();
  });

  await t.test("status() and an operator failover by URL", () => {
    const status = client.status();
    assert.equal(status.activeIndex, 0);
    assert.equal(status.servers.length, 2);
    assert.ok(status.servers.every((s) => s.state === "connected" && s.serviceLevel === 255));
    client.failover(rig.proxies[1]!.url);
    assert.equal(client.status().active, rig.proxies[1]!.url);
    assert.throws(() => client.failover(rig.proxies[1]!.url), { code: "ERR_FAILOVER_REFUSED" });
    assert.throws(() => client.failover("opc.tcp://elsewhere:1"), { code: "ERR_INVALID_ARGUMENT" });
  });
});
