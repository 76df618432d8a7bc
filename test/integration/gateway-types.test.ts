/**
 * The server's own information model through the gateway: its ObjectTypes, VariableTypes, DataTypes
 * (with instance declarations and modelling rules), instances typed by them, NodeId-valued data and
 * Views look the same as on the primary directly.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { AttributeIds, BrowseDirection, type ClientSession, type NodeId } from "node-opcua";
import {
  connectDownstream,
  type Downstream,
  type GatewayRig,
  startGatewayRig,
} from "../helpers/gateway-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS } from "../helpers/wait.ts";

const options = { timeout: INTEGRATION_TEST_TIMEOUT_MS };
let rig: GatewayRig;
let through: Downstream;
let direct: Downstream;

before(async () => {
  rig = await startGatewayRig({ pairs: [{ mode: "warm" }] });
  through = await connectDownstream(rig.endpoints[0]!);
  direct = await connectDownstream(rig.sims[0]!.endpointUrl);
});

after(async () => {
  await through?.close();
  await direct?.close();
  await rig?.dispose();
});

/** Every reference of `nodeId` (both directions), as comparable text, sorted. */
async function references(session: ClientSession, nodeId: string): Promise<string[]> {
  const result = await session.browse({
    nodeId,
    browseDirection: BrowseDirection.Both,
    includeSubtypes: true,
    resultMask: 63,
  });
  assert.equal(result.statusCode.name, "Good", `browse ${nodeId}`);
  return result
    .references!.map((r) =>
      [
        r.isForward ? "->" : "<-",
        r.referenceTypeId.toString(),
        r.nodeId.toString(),
        r.browseName.toString(),
        r.nodeClass,
        r.typeDefinition.toString(),
      ].join(" "),
    )
    .sort();
}

const ATTRIBUTES = [
  AttributeIds.NodeClass,
  AttributeIds.BrowseName,
  AttributeIds.DisplayName,
  AttributeIds.IsAbstract,
  AttributeIds.DataType,
  AttributeIds.ValueRank,
];

async function attributes(session: ClientSession, nodeId: string): Promise<string[]> {
  const values = await session.read(ATTRIBUTES.map((attributeId) => ({ nodeId, attributeId })));
  return values.map((v) => `${v.statusCode.name} ${v.value.value?.toString()}`);
}

const MODEL_NODES = [
  "ns=1;s=PumpType",
  "ns=1;s=PumpType.Speed",
  "ns=1;s=SpeedType",
  "ns=1;s=Pump1",
  "ns=1;s=Pump1.Speed",
  "ns=1;s=Pump1.Mode",
  "ns=1;s=OperatorView",
];

test(
  "types, instance declarations, typed instances and views browse as on the primary",
  options,
  async () => {
    for (const nodeId of MODEL_NODES) {
      assert.deepEqual(
        await references(through.session, nodeId),
        await references(direct.session, nodeId),
        nodeId,
      );
      assert.deepEqual(
        await attributes(through.session, nodeId),
        await attributes(direct.session, nodeId),
        nodeId,
      );
    }
    // the standard type tree leads to the server's types, as on the primary
    const baseObjectType = await references(through.session, "i=58");
    assert.ok(
      baseObjectType.some((r) => r.includes("ns=1;s=PumpType")),
      "BaseObjectType -> PumpType",
    );
    const views = await references(through.session, "i=87");
    assert.ok(
      views.some((r) => r.includes("ns=1;s=OperatorView")),
      "Views -> OperatorView",
    );
  },
);

test("a browse path through a typed instance resolves to the same NodeId", options, async () => {
  const path = (session: ClientSession) =>
    session.translateBrowsePath({
      startingNode: "i=85",
      relativePath: {
        elements: ["Simulation", "Pump1", "Speed"].map((name) => ({
          referenceTypeId: "i=33",
          isInverse: false,
          includeSubtypes: true,
          targetName: { namespaceIndex: 1, name },
        })),
      },
    });
  const [viaGateway, viaPrimary] = await Promise.all([path(through.session), path(direct.session)]);
  assert.equal(viaGateway.statusCode.name, "Good");
  assert.equal(viaGateway.targets![0]!.targetId.toString(), viaPrimary.targets![0]!.targetId.toString());
});

test(
  "values typed by the server's own types read as on the primary, NodeId values included",
  options,
  async () => {
    const nodes = ["ns=1;s=Pump1.Speed", "ns=1;s=Pump1.Mode", "ns=1;s=Pump1.TypeId"];
    const read = (session: ClientSession) =>
      session.read(nodes.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })));
    const [viaGateway, viaPrimary] = await Promise.all([read(through.session), read(direct.session)]);
    assert.deepEqual(
      viaGateway.map((v) => [v.statusCode.name, v.value.dataType, v.value.value?.toString()]),
      viaPrimary.map((v) => [v.statusCode.name, v.value.dataType, v.value.value?.toString()]),
    );
    assert.equal((viaGateway[2]!.value.value as NodeId).toString(), "ns=1;s=PumpType");
  },
);
