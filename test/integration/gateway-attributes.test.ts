/**
 * The whole mirrored address space, attribute by attribute and reference by reference: every node
 * the simulator has below Objects, Types and Views (its own namespaces; custom DataTypes included)
 * is read and browsed directly and through the gateway, addressed by namespace URI (`nsu=`), and
 * must be the same except for what README "Deliberate differences" lists. Writes of non-Value
 * attributes are answered as the upstream answers them.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  AttributeIds,
  BrowseDirection,
  type ClientSession,
  DataType,
  type DataValue,
  NodeId,
  resolveNodeId,
} from "node-opcua";
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

async function namespaceArray(session: ClientSession): Promise<string[]> {
  const [value] = await session.read([{ nodeId: "i=2255", attributeId: AttributeIds.Value }]);
  return value!.value.value as string[];
}

/** Every node of namespaces ≥ 1 below Objects, the type folders and Views (through namespace 0 only in types). */
async function crawl(session: ClientSession): Promise<NodeId[]> {
  const seen = new Set<string>();
  const found: NodeId[] = [];
  let frontier = ["i=85", "i=87", "i=88", "i=89", "i=90", "i=91"].map((id) => resolveNodeId(id));
  const typeRoots = new Set(["ns=0;i=88", "ns=0;i=89", "ns=0;i=90", "ns=0;i=91"]);
  while (frontier.length > 0) {
    const results = await session.browse(
      frontier.map((nodeId) => ({
        nodeId,
        browseDirection: BrowseDirection.Forward,
        referenceTypeId: "HierarchicalReferences",
        includeSubtypes: true,
        resultMask: 63,
      })),
    );
    const next: NodeId[] = [];
    results.forEach((result, k) => {
      const parentInTypes = typeRoots.has(frontier[k]!.toString());
      for (const ref of result.references ?? []) {
        const id = ref.nodeId.toString();
        if (seen.has(id)) continue;
        seen.add(id);
        const nodeId = new NodeId(ref.nodeId.identifierType, ref.nodeId.value, ref.nodeId.namespace);
        if (nodeId.namespace !== 0) found.push(nodeId);
        else if (!parentInTypes && !typeRoots.has(frontier[k]!.toString())) {
          // below Objects, namespace 0 is the server's own (Server object): not mirrored
          if (!["ns=0;i=85", "ns=0;i=87"].includes(frontier[k]!.toString())) continue;
          continue;
        } else typeRoots.add(id); // the standard type tree leads to the server's subtypes
        next.push(nodeId);
      }
    });
    frontier = next;
  }
  return found;
}

const ATTRIBUTE_IDS = Object.entries(AttributeIds).filter(
  ([name, id]) => typeof id === "number" && id > 0 && id <= 27 && name !== "INVALID",
) as [string, number][];

/** Variables whose values change at every tick: their Value is compared by status and type only. */
const CHANGING = new Set([
  "ns=1;s=Counter",
  "ns=1;s=Sine",
  ...["Position", "Reading", "Station", "Path", "Value", "Tagged", "State", "Alarms", "Percent"].map(
    (name) => `ns=1;s=Custom.${name}`,
  ),
]);

function text(value: DataValue, changing = false): string {
  // a DateTime value moves by itself (a history archive's StartOfOnlineArchive as it rolls)
  if (changing || value.value.dataType === DataType.DateTime)
    return `${value.statusCode.name} ${value.value.dataType} ${value.value.arrayType}`;
  const v = value.value.value;
  const shown =
    v === null || v === undefined ? String(v) : typeof v === "object" ? JSON.stringify(v) : String(v);
  return `${value.statusCode.name} ${shown}`;
}

/** A loaded machine may make one upstream read time out: such a read is asked again (3 times at most). */
const TRANSIENT = new Set(["BadTimeout", "BadServerNotConnected", "BadNoCommunication"]);

async function attributes(
  session: ClientSession,
  nodeId: NodeId,
  key: string,
): Promise<Record<string, string>> {
  let values: DataValue[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    values = await session.read(ATTRIBUTE_IDS.map(([, attributeId]) => ({ nodeId, attributeId })));
    if (!values.some((v) => TRANSIENT.has(v.statusCode.name))) break;
  }
  return Object.fromEntries(
    ATTRIBUTE_IDS.map(([name, id], i) => [
      name,
      text(values[i]!, id === AttributeIds.Value && CHANGING.has(key)),
    ]),
  );
}

async function references(session: ClientSession, nodeId: NodeId): Promise<string[]> {
  const result = await session.browse({
    nodeId,
    browseDirection: BrowseDirection.Both,
    referenceTypeId: "References",
    includeSubtypes: true,
    resultMask: 63,
  });
  return (result.references ?? [])
    .map((r) =>
      [
        r.isForward ? "->" : "<-",
        r.referenceTypeId.toString(),
        r.nodeId.toString(),
        r.browseName.toString(),
      ].join(" "),
    )
    .sort();
}

/** What the README lists as deliberately different (attribute names). */
const DELIBERATE = new Set<string>([]);

test(
  "every node, attribute and reference of the upstream, addressed by namespace URI, is as directly",
  options,
  async (t) => {
    const directUris = await namespaceArray(direct.session);
    const gatewayUris = await namespaceArray(through.session);
    const nodes = await crawl(direct.session);
    assert.ok(nodes.length > 40, `${nodes.length} nodes found directly`);
    t.diagnostic(`${nodes.length} nodes compared: ${nodes.map((n) => n.toString()).join(" ")}`);
    assert.ok(nodes.some((n) => n.namespace === 1) && nodes.some((n) => n.namespace > 1));
    const differences: string[] = [];
    for (const nodeId of nodes) {
      // nsu= addressing: the node's namespace URI names the same index through the gateway
      const uri = directUris[nodeId.namespace]!;
      const index = gatewayUris.indexOf(uri);
      if (index < 0) {
        differences.push(`${nodeId.toString()}: namespace ${uri} not in the gateway's NamespaceArray`);
        continue;
      }
      const viaGateway = new NodeId(nodeId.identifierType, nodeId.value, index);
      const [mine, theirs] = [
        await attributes(through.session, viaGateway, nodeId.toString()),
        await attributes(direct.session, nodeId, nodeId.toString()),
      ];
      for (const [name] of ATTRIBUTE_IDS) {
        if (DELIBERATE.has(name) || name === "NodeId") continue;
        if (mine[name] !== theirs[name])
          differences.push(`${nodeId.toString()} ${name}: direct ${theirs[name]} gateway ${mine[name]}`);
      }
      const [refsMine, refsTheirs] = [
        await references(through.session, viaGateway),
        await references(direct.session, nodeId),
      ];
      for (const r of refsTheirs)
        if (!refsMine.includes(r)) differences.push(`${nodeId.toString()} missing reference ${r}`);
      for (const r of refsMine)
        if (!refsTheirs.includes(r)) differences.push(`${nodeId.toString()} extra reference ${r}`);
    }
    assert.deepEqual(
      differences,
      [],
      `${differences.length} differences:\n${differences.slice(0, 60).join("\n")}`,
    );
  },
);

test("a write of DisplayName is answered as the upstream answers it", options, async () => {
  const write = (session: ClientSession) =>
    session.write({
      nodeId: "ns=1;s=Counter",
      attributeId: AttributeIds.DisplayName,
      value: { value: { dataType: DataType.LocalizedText, value: { text: "Renamed" } } },
    });
  const directly = await write(direct.session);
  assert.equal(directly.name, "BadNotWritable");
  assert.equal((await write(through.session)).name, directly.name);
});
