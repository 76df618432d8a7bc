/**
 * The transparent gateway (DESIGN §5): a client that worked against the primary works against the
 * gateway by changing only the endpoint URL.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AttributeIds, BrowseDirection, type ClientSession, DataType } from "node-opcua";
import { connectDownstream, startGatewayRig } from "../helpers/gateway-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

async function describeTree(session: ClientSession) {
  const folder = (await session.browse("i=85")).references!.find((r) => r.browseName.name === "Simulation")!;
  const children = (
    await session.browse({ nodeId: folder.nodeId, browseDirection: BrowseDirection.Forward, resultMask: 63 })
  )
    .references!.map((r) => ({
      nodeId: r.nodeId.toString(),
      browseName: r.browseName.toString(),
      nodeClass: r.nodeClass,
      typeDefinition: r.typeDefinition.toString(),
    }))
    .sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  const attributes = [
    AttributeIds.DataType,
    AttributeIds.ValueRank,
    AttributeIds.AccessLevel,
    AttributeIds.DisplayName,
  ];
  const read = await session.read(
    children.flatMap((c) => attributes.map((attributeId) => ({ nodeId: c.nodeId, attributeId }))),
  );
  return { folder: folder.nodeId.toString(), children, attributes: read.map((d) => d.value.toString()) };
}

test("browse, read and write through the gateway match the primary directly", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const rig = await startGatewayRig({ pairs: [{ mode: "hot" }] });
  const direct = await connectDownstream(rig.sims[0]!.endpointUrl);
  const through = await connectDownstream(rig.endpoints[0]!);
  try {
    assert.deepEqual(await describeTree(through.session), await describeTree(direct.session));
    const [namespaces, redundancySupport, serviceLevel] = await through.session.read([
      { nodeId: "i=2255", attributeId: AttributeIds.Value },
      { nodeId: "i=3709", attributeId: AttributeIds.Value },
      { nodeId: "i=2267", attributeId: AttributeIds.Value },
    ]);
    const uris = namespaces!.value.value as string[];
    assert.equal(uris.at(-1), "urn:opcua-redundancy:pair1", "the gateway's own namespace comes last");
    assert.equal(redundancySupport!.value.value, 4, "RedundancySupport Transparent");
    assert.equal(serviceLevel!.value.value, 255);
    const [viaGateway, viaPrimary] = await Promise.all([
      through.session.read({ nodeId: "ns=1;s=Quality", attributeId: AttributeIds.Value }),
      direct.session.read({ nodeId: "ns=1;s=Quality", attributeId: AttributeIds.Value }),
    ]);
    assert.equal(viaGateway.value.value, viaPrimary.value.value);
    const counter = await through.session.read({ nodeId: "ns=1;s=Counter", attributeId: AttributeIds.Value });
    assert.equal(counter.statusCode.name, "Good");
    assert.ok(
      Math.abs(Date.now() - counter.sourceTimestamp!.getTime()) < 5000,
      "a current upstream source timestamp",
    );

    const status = await through.session.write({
      nodeId: "ns=1;s=Status",
      attributeId: AttributeIds.Value,
      value: { value: { dataType: DataType.Int32, value: 4711 } },
    });
    assert.equal(status.name, "Good");
    await rig.sims[0]!.waitForWrite((w) => w.value === 4711, 5000);
    const refused = await through.session.write({
      nodeId: "ns=1;s=Counter",
      attributeId: AttributeIds.Value,
      value: { value: { dataType: DataType.Int32, value: 1 } },
    });
    assert.equal(refused.name, "BadNotWritable");
    assert.equal(
      rig.sims[1]!.writes.some((w) => w.value === 4711),
      false,
      "the standby got the write",
    );
  } finally {
    await through.close();
    await direct.close();
    await rig.dispose();
  }
});

for (const mode of ["hot", "warm", "cold"] as const) {
  for (const fault of ["SIGKILL", "blackhole"] as const) {
    test(`${mode} mode through the gateway: ${fault} of the primary, the downstream subscription continues`, {
      timeout: INTEGRATION_TEST_TIMEOUT_MS,
    }, async (t) => {
      const rig = await startGatewayRig({ pairs: [{ mode }] });
      const downstream = await connectDownstream(rig.endpoints[0]!);
      try {
        const counter = await downstream.record("ns=1;s=Counter");
        await counter.waitForMore(25, 10_000, "values through the gateway");
        if (fault === "SIGKILL") await rig.sims[0]!.kill();
        else rig.proxies[0]!.setMode("blackhole");
        await waitFor(() => rig.gateway.pairs[0]!.status().activeIndex === 1, 15_000, "the failover");
        await counter.waitForMore(50, 15_000, "values after the failover");
        const report = counter.report();
        t.diagnostic(`${report.count} values, lost ${report.lost}, duplicates ${report.duplicates}`);
        assert.equal(report.duplicates + report.regressions, 0, JSON.stringify(report));
        assert.equal(
          counter.bad.length,
          0,
          `a Bad value while the secondary was there: ${JSON.stringify(counter.bad)}; pair events: ${JSON.stringify(
            rig.gateway.events.list({}).map((e) => `${e.kind}: ${e.message}`),
          )}`,
        );
        // Hot mode loses nothing; warm and cold lose the outage (detection + re-subscription), bounded.
        if (mode === "hot") assert.equal(report.lost, 0, JSON.stringify(report.gaps));
        else assert.ok(report.lost < 250, `lost ${report.lost}`);
      } finally {
        await downstream.close();
        await rig.dispose();
      }
    });
  }
}

test("method calls through the gateway reach the active server only", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const rig = await startGatewayRig({ pairs: [{ mode: "warm" }] });
  const downstream = await connectDownstream(rig.endpoints[0]!);
  const echo = (text: string) =>
    downstream.session.call({
      objectId: "ns=1;s=Simulation",
      methodId: "ns=1;s=Echo",
      inputArguments: [{ dataType: DataType.String, value: text }],
    });
  try {
    const result = await echo("to-primary");
    assert.equal(result.statusCode.name, "Good");
    assert.equal(result.outputArguments?.[0]?.value, "to-primary");
    await rig.sims[0]!.waitForWrite((w) => w.value === "to-primary", 5000);
    await rig.sims[0]!.kill();
    await waitFor(() => rig.gateway.pairs[0]!.status().activeIndex === 1, 15_000, "the failover");
    assert.equal((await echo("to-secondary")).statusCode.name, "Good");
    await rig.sims[1]!.waitForWrite((w) => w.value === "to-secondary", 5000);
    assert.equal(
      rig.sims[1]!.writes.some((w) => w.value === "to-primary"),
      false,
      "the standby got the call",
    );
  } finally {
    await downstream.close();
    await rig.dispose();
  }
});

test("two pairs with the same NodeIds stay independent", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const rig = await startGatewayRig({ pairs: [{ mode: "hot" }, { mode: "warm" }] });
  const first = await connectDownstream(rig.endpoints[0]!);
  const second = await connectDownstream(rig.endpoints[1]!);
  try {
    const a = await first.record("ns=1;s=Counter");
    const b = await second.record("ns=1;s=Counter");
    await Promise.all([a.waitForMore(10, 10_000), b.waitForMore(10, 10_000)]);
    const pair2Failovers = rig.gateway.pairs[1]!.status().failovers;
    await rig.sims[0]!.kill(); // the primary of pair 1 only
    await waitFor(() => rig.gateway.pairs[0]!.status().activeIndex === 1, 10_000, "pair 1 fails over");
    await Promise.all([a.waitForMore(20, 10_000), b.waitForMore(20, 10_000)]);
    assert.equal(rig.gateway.pairs[1]!.status().activeIndex, 0, "pair 2 still on its primary");
    assert.equal(rig.gateway.pairs[1]!.status().failovers, pair2Failovers, "pair 2 switched");
    const write = await second.session.write({
      nodeId: "ns=1;s=Status",
      attributeId: AttributeIds.Value,
      value: { value: { dataType: DataType.Int32, value: 2222 } },
    });
    assert.equal(write.name, "Good");
    await rig.sims[2]!.waitForWrite((w) => w.value === 2222, 5000);
    assert.equal(
      rig.sims[1]!.writes.some((w) => w.value === 2222),
      false,
      "pair 1's server got pair 2's write",
    );
  } finally {
    await first.close();
    await second.close();
    await rig.dispose();
  }
});
