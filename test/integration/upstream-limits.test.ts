/**
 * Upstream servers with small operation limits (MaxNodesPerBrowse, MaxNodesPerRead, … = 20, as
 * some PLC servers state): the gateway mirrors their whole address space and answers a client's
 * request of more nodes than that, by splitting what it forwards; the server itself refuses such a
 * request with BadTooManyOperations.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { AttributeIds, VariableIds } from "node-opcua";
import {
  connectDownstream,
  type Downstream,
  type GatewayRig,
  startGatewayRig,
} from "../helpers/gateway-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS } from "../helpers/wait.ts";

const LIMIT = 20;
const BULK = 60;
const options = { timeout: INTEGRATION_TEST_TIMEOUT_MS };
let rig: GatewayRig;
let through: Downstream;
let direct: Downstream;

before(async () => {
  // the rig waits for the address space to be mirrored: 200-node browse batches would never be
  rig = await startGatewayRig({
    pairs: [{ mode: "hot" }],
    simulator: { maxNodesPerRequest: LIMIT, bulk: BULK },
  });
  through = await connectDownstream(rig.endpoints[0]!);
  direct = await connectDownstream(rig.sims[0]!.endpointUrl);
});

after(async () => {
  await through?.close();
  await direct?.close();
  await rig?.dispose();
});

test("the server states and enforces its limit", options, async () => {
  const [limit] = await direct.session.read([
    {
      nodeId: `ns=0;i=${VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse}`,
      attributeId: AttributeIds.Value,
    },
  ]);
  assert.equal(limit?.value.value, LIMIT);
  const bulk = Array.from({ length: BULK }, (_, i) => ({
    nodeId: `ns=1;s=Bulk.${i}`,
    attributeId: AttributeIds.Value,
  }));
  await assert.rejects(direct.session.read(bulk), /BadTooManyOperations/);
});

test(
  "a Read of more nodes than the server takes is answered whole through the gateway",
  options,
  async () => {
    const bulk = Array.from({ length: BULK }, (_, i) => ({
      nodeId: `ns=1;s=Bulk.${i}`,
      attributeId: AttributeIds.DisplayName,
    }));
    const values = await through.session.read(bulk);
    assert.deepEqual(
      values.map((v) => `${v.statusCode.name} ${v.value.value?.text}`),
      bulk.map((_, i) => `Good Bulk.${i}`),
    );
    const live = await through.session.read(bulk.map((b) => ({ ...b, attributeId: AttributeIds.Value })));
    assert.deepEqual(
      live.filter((v) => !v.statusCode.isGood()).map((v) => v.statusCode.name),
      [],
      "every value read from the upstream in requests within its limit",
    );
  },
);

test(
  "the whole address space is mirrored: the deepest nodes and the type dictionary are there",
  options,
  async () => {
    const nodes = ["ns=1;s=Custom.Scale", "ns=1;s=TypeDictionary.Station", `ns=1;s=Bulk.${BULK - 1}`];
    const names = async (session: Downstream["session"]) =>
      (await session.read(nodes.map((nodeId) => ({ nodeId, attributeId: AttributeIds.BrowseName })))).map(
        (v) => `${v.statusCode.name} ${v.value.value?.toString()}`,
      );
    const expected = await names(direct.session);
    assert.deepEqual(expected, ["Good 1:Scale", "Good 1:Station", `Good 1:Bulk.${BULK - 1}`]);
    assert.deepEqual(await names(through.session), expected);
  },
);
