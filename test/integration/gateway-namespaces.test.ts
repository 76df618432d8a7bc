/**
 * Two upstream servers that order their namespaces differently, behind one gateway: the downstream
 * client sees one NamespaceArray and the same NodeIds name the same nodes whichever server is active.
 * Each simulator namespace (alpha, beta) has `s=Tag` whose value names it, so a wrong index shows.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AttributeIds,
  type ClientSession,
  DataType,
  type DataValue,
  type NodeId,
  TimestampsToReturn,
} from "node-opcua";
import { connectDownstream, startGatewayRig } from "../helpers/gateway-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

async function tags(session: ClientSession, uris: string[]) {
  const alpha = uris.indexOf("urn:opcua-redundancy:simulator:alpha");
  const beta = uris.indexOf("urn:opcua-redundancy:simulator:beta");
  const values = await session.read([
    { nodeId: `ns=${alpha};s=Tag`, attributeId: AttributeIds.Value },
    { nodeId: `ns=${beta};s=Tag`, attributeId: AttributeIds.Value },
  ]);
  return values.map((v) => (v.statusCode.isGood() ? v.value.value : v.statusCode.name));
}

test("a pair whose servers order their namespaces differently serves the same nodes before and after a failover", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const rig = await startGatewayRig({
    pairs: [{ mode: "hot" }],
    tickMs: 100,
    namespaceOrders: ["normal", "reversed"],
  });
  const downstream = await connectDownstream(rig.endpoints[0]!);
  try {
    const [nsArray] = await downstream.session.read([{ nodeId: "i=2255", attributeId: AttributeIds.Value }]);
    const uris = nsArray!.value.value as string[];
    assert.deepEqual(await tags(downstream.session, uris), ["alpha", "beta"]);
    const alpha = uris.indexOf("urn:opcua-redundancy:simulator:alpha");
    const tagValues: string[] = [];
    const item = await downstream.subscription.monitor(
      { nodeId: `ns=${alpha};s=Tag`, attributeId: AttributeIds.Value },
      { samplingInterval: 0, queueSize: 10 },
      TimestampsToReturn.Both,
    );
    item.on("changed", (dv: DataValue) => {
      if (dv.statusCode.isGood()) tagValues.push(String(dv.value.value));
    });
    await waitFor(() => tagValues.length > 0, 10_000, "the Tag monitored");

    await rig.sims[0]!.kill();
    await waitFor(
      () => rig.gateway.pairs[0]!.status().activeIndex === 1,
      20_000,
      "failover to the reversed server",
    );
    assert.deepEqual(await tags(downstream.session, uris), ["alpha", "beta"], "through the reversed server");
    // a write and a NodeId-valued read reach the same nodes on the secondary
    const status = await downstream.session.write({
      nodeId: "ns=1;s=Status",
      attributeId: AttributeIds.Value,
      value: { value: { dataType: DataType.Int32, value: 77 } },
    });
    assert.equal(status.name, "Good");
    const typeId = await downstream.session.read({
      nodeId: "ns=1;s=Pump1.TypeId",
      attributeId: AttributeIds.Value,
    });
    assert.equal((typeId.value.value as NodeId).toString(), "ns=1;s=PumpType");
    assert.ok(!tagValues.includes("beta"), `monitored Tag values: ${tagValues.join(",")}`);
  } finally {
    await downstream.close();
    await rig.dispose();
  }
});
