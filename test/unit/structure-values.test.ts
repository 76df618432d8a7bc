/**
 * Structure values between an upstream and the gateway (src/gateway/structure-values.ts), on a real
 * node-opcua address space (no network): a structure of a mirrored DataType is re-encoded with the
 * gateway's codec, NodeIds inside re-indexed where the namespace tables differ, and a structure the
 * gateway has no definition for is BadDataTypeIdUnknown with a reason that names it.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import {
  AddressSpace,
  BinaryStream,
  DataType,
  DataValue,
  generateAddressSpace,
  NodeId,
  nodesets,
  resolveNodeId,
  StatusCodes,
  type UAVariable,
  Variant,
} from "node-opcua";
import { OpaqueStructure } from "node-opcua-extension-object";
import { registerDataTypes } from "../../src/gateway/datatype-mirror.ts";
import { StructureCodec } from "../../src/gateway/structure-values.ts";
import type { UpstreamPort } from "../../src/gateway/upstream-port.ts";
import { valueRemap } from "../../src/gateway/value-remap.ts";
import { bindMirroredVariable, pushValue } from "../../src/gateway/variable-binding.ts";

let addressSpace: AddressSpace;

before(async () => {
  addressSpace = AddressSpace.create();
  addressSpace.registerNamespace("urn:test:own");
  await generateAddressSpace(addressSpace, [nodesets.standard]);
  const namespace = addressSpace.getOwnNamespace();
  const tagged = namespace.createDataType({
    nodeId: "i=5001",
    browseName: "Tagged",
    isAbstract: false,
    subtypeOf: "Structure",
    partialDefinition: [
      { name: "Source", dataType: resolveNodeId("i=17"), valueRank: -1 },
      { name: "Count", dataType: resolveNodeId("i=6"), valueRank: -1 },
    ],
  } as Parameters<typeof namespace.createDataType>[0]);
  const encoding = namespace.addObject({
    nodeId: "i=5101",
    browseName: { name: "Default Binary", namespaceIndex: 0 },
    typeDefinition: "DataTypeEncodingType",
  });
  tagged.addReference({ referenceType: "HasEncoding", isForward: true, nodeId: encoding.nodeId });
  await registerDataTypes(addressSpace); // as the gateway does after mirroring
});

/** The body of a Tagged { Source, Count } as an upstream server sends it. */
function taggedBody(source: NodeId, count: number): Buffer {
  const stream = new BinaryStream(64);
  const Ctor = addressSpace.getExtensionObjectConstructor(resolveNodeId("ns=1;i=5001"));
  const value = new Ctor({ source, count }) as unknown as { encode(s: BinaryStream): void };
  value.encode(stream);
  return stream.buffer.subarray(0, stream.length);
}

test("a raw upstream structure decodes with the gateway's codec, NodeIds inside re-indexed", () => {
  // upstream namespace 2 is the gateway's 3: the encoding and the NodeId inside move with it
  const codec = new StructureCodec(
    addressSpace,
    (u) => (u === 2 ? 1 : u),
    (d) => (d === 1 ? 2 : d),
  );
  const raw = new OpaqueStructure(
    new NodeId(NodeId.NodeIdType.NUMERIC, 5101, 2),
    taggedBody(new NodeId(NodeId.NodeIdType.STRING, "X", 2), 7),
  );
  const result = codec.toDownstream(new Variant({ dataType: DataType.ExtensionObject, value: raw }));
  const value = result.value as { schema: { name: string }; source: NodeId; count: number };
  assert.equal(value.schema.name, "Tagged");
  assert.equal(value.count, 7);
  assert.equal(value.source.toString(), "ns=1;s=X");
  // and back: the upstream's encoding NodeId and indices
  const back = codec.toUpstream(result).value as OpaqueStructure;
  assert.ok(back instanceof OpaqueStructure);
  assert.equal(back.nodeId.toString(), "ns=2;i=5101");
  assert.deepEqual(back.buffer, raw.buffer);
});

test("a structure without a definition in the gateway is BadDataTypeIdUnknown, reported by name", () => {
  const variable = addressSpace.getOwnNamespace().addVariable({
    browseName: "Unknown",
    dataType: "BaseDataType",
    organizedBy: addressSpace.rootFolder.objects,
  }) as UAVariable;
  const reasons: string[] = [];
  const codec = new StructureCodec(addressSpace, null, null);
  const ids = valueRemap(
    (u) => u,
    (d) => d,
  );
  const remap = {
    toDownstream: (v: Variant) => codec.toDownstream(ids.toDownstream(v)),
    toUpstream: (v: Variant) => v,
  };
  const unusedPort = {} as UpstreamPort; // no read or write in this test: only pushed values
  bindMirroredVariable(variable, variable.nodeId, unusedPort, { isMonitored: () => true }, remap, (r) =>
    reasons.push(r),
  );
  const raw = new OpaqueStructure(resolveNodeId("ns=1;i=9999"), Buffer.from([1, 2, 3]));
  pushValue(
    variable,
    new DataValue({
      value: { dataType: DataType.ExtensionObject, value: raw },
      statusCode: StatusCodes.Good,
    }),
  );
  const stored = variable.readValue();
  assert.equal(stored.statusCode.name, "BadDataTypeIdUnknown");
  assert.equal(reasons.length, 1);
  assert.match(reasons[0]!, /ns=1;i=9999/);
});
