/** NodeId-valued data re-indexed between an upstream server's namespaces and the gateway's. */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DataType,
  ExpandedNodeId,
  NodeId,
  NodeIdType,
  QualifiedName,
  resolveNodeId,
  Variant,
  VariantArrayType,
} from "node-opcua";
import { NamespaceMap } from "../../src/gateway/namespace-map.ts";

// The upstream has its device namespace at 2 and a vendor namespace at 3; the gateway registered
// them the other way round (e.g. its cache came from a server that ordered them so).
const upstream = ["http://opcfoundation.org/UA/", "urn:upstream", "urn:devices", "urn:vendor"];
const downstream = ["http://opcfoundation.org/UA/", "urn:gateway", "urn:vendor", "urn:devices", "urn:gw:own"];
const remap = new NamespaceMap(upstream, downstream).valueRemap();

test("a NodeId value is re-indexed by namespace URI, both ways", () => {
  const fromUpstream = new Variant({ dataType: DataType.NodeId, value: resolveNodeId("ns=2;s=Pump1") });
  const down = remap.toDownstream(fromUpstream);
  assert.equal((down.value as NodeId).toString(), "ns=3;s=Pump1");
  assert.equal((remap.toUpstream(down).value as NodeId).toString(), "ns=2;s=Pump1");
});

test("namespace 0 and the server's own namespace 1 keep their index", () => {
  const v = new Variant({ dataType: DataType.NodeId, value: resolveNodeId("ns=1;i=42") });
  assert.equal((remap.toDownstream(v).value as NodeId).toString(), "ns=1;i=42");
  const std = new Variant({ dataType: DataType.NodeId, value: resolveNodeId("i=2253") });
  assert.equal(remap.toDownstream(std), std, "no copy when nothing changes");
});

test("arrays, ExpandedNodeIds and QualifiedNames are re-indexed; other types pass as they are", () => {
  const array = new Variant({
    dataType: DataType.NodeId,
    arrayType: VariantArrayType.Array,
    value: [resolveNodeId("ns=2;i=1"), resolveNodeId("ns=3;i=2")],
  });
  assert.deepEqual(
    (remap.toDownstream(array).value as NodeId[]).map((n) => n.toString()),
    ["ns=3;i=1", "ns=2;i=2"],
  );
  const expanded = new Variant({
    dataType: DataType.ExpandedNodeId,
    value: new ExpandedNodeId(NodeIdType.STRING, "X", 3, null, 0),
  });
  assert.equal((remap.toDownstream(expanded).value as ExpandedNodeId).namespace, 2);
  const withUri = new ExpandedNodeId(NodeIdType.STRING, "X", 0, "urn:devices", 0);
  const keptUri = remap.toDownstream(new Variant({ dataType: DataType.ExpandedNodeId, value: withUri }));
  assert.equal((keptUri.value as ExpandedNodeId).namespaceUri, "urn:devices");
  const name = new Variant({
    dataType: DataType.QualifiedName,
    value: new QualifiedName({ name: "Speed", namespaceIndex: 2 }),
  });
  assert.equal((remap.toDownstream(name).value as QualifiedName).namespaceIndex, 3);
  const number = new Variant({ dataType: DataType.Double, value: 2 });
  assert.equal(remap.toDownstream(number), number);
});

test("an index the map does not know is kept (never a thrown error on the data path)", () => {
  const v = new Variant({ dataType: DataType.NodeId, value: new NodeId(NodeIdType.NUMERIC, 7, 9) });
  assert.equal((remap.toDownstream(v).value as NodeId).namespace, 9);
});
