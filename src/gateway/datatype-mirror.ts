/**
 * The server's own DataTypes as the upstream has them: encoding nodes ("Default Binary", ...) with
 * the upstream's NodeIds, the DataTypeDefinition attribute exactly as read (structure type, fields,
 * default encoding, OptionSet bits), and the gateway's own codecs for them, so that structure values
 * are decoded, re-indexed and encoded again by definitions a downstream client can read here too.
 */
import {
  type AddressSpace,
  DataTypeExtractStrategy,
  ensureDatatypeExtracted,
  NodeId,
  type NodeIdLike,
  PseudoSession,
  populateDataTypeManager,
  QualifiedName,
  resolveNodeId,
  type UADataType,
} from "node-opcua";
import { setDataTypeDefinition } from "../node-opcua-private.ts";
import type { NamespaceMap } from "./namespace-map.ts";
import type { DefinitionSpec, EncodingSpec } from "./snapshot-datatypes.ts";

const StructureDefinitionType = new NodeId(NodeId.NodeIdType.NUMERIC, 99, 0);
const EnumDefinitionType = new NodeId(NodeId.NodeIdType.NUMERIC, 100, 0);

/** The encoding objects of a mirrored DataType, with HasEncoding from the DataType. */
export function addEncodings(
  addressSpace: AddressSpace,
  dataType: UADataType,
  encodings: readonly EncodingSpec[],
  map: NamespaceMap,
): void {
  for (const spec of encodings) {
    const nodeId = map.toDownstream(spec.nodeId);
    if (!addressSpace.findNode(nodeId)) {
      addressSpace.getNamespace(nodeId.namespace).addObject({
        nodeId,
        browseName: new QualifiedName({
          name: spec.browseName.name,
          namespaceIndex: map.downstreamIndex(spec.browseName.namespaceIndex),
        }),
        typeDefinition: "DataTypeEncodingType",
      });
    }
    dataType.addReference({ referenceType: "HasEncoding", isForward: true, nodeId });
  }
}

/**
 * Sets the DataTypeDefinition attribute to the upstream's. node-opcua computes it from the
 * DataType's own partial fields and its supertypes, and only for structures and enumerations; the
 * upstream's definition is already complete (inherited fields, OptionSets included), so it is set
 * as node-opcua's computed one (`$fullDefinition`, not in its typings).
 */
export function setDefinition(
  addressSpace: AddressSpace,
  dataType: UADataType,
  spec: DefinitionSpec,
  map: NamespaceMap,
): void {
  const id = (nodeId: NodeIdLike) => {
    const resolved = resolveNodeId(nodeId);
    return resolved.namespace === 0 ? resolved : map.toDownstream(resolved);
  };
  const definition =
    spec.kind === "structure"
      ? addressSpace.constructExtensionObject(StructureDefinitionType, {
          defaultEncodingId: id(spec.defaultEncodingId),
          baseDataType: id(spec.baseDataType),
          structureType: spec.structureType,
          fields: spec.fields.map((f) => ({
            name: f.name,
            description: f.description === undefined ? undefined : { text: f.description },
            dataType: id(f.dataType),
            valueRank: f.valueRank,
            arrayDimensions: f.arrayDimensions,
            maxStringLength: f.maxStringLength,
            isOptional: f.isOptional,
          })),
        })
      : addressSpace.constructExtensionObject(EnumDefinitionType, {
          fields: spec.fields.map((f) => ({
            name: f.name,
            value: f.value,
            displayName: f.displayName === undefined ? undefined : { text: f.displayName },
            description: f.description === undefined ? undefined : { text: f.description },
          })),
        });
  setDataTypeDefinition(dataType, definition);
}

/**
 * Builds the gateway's codecs for every structure DataType it has (the ones just mirrored join
 * those already known: node-opcua's own extraction runs once per namespace, at server start).
 */
export async function registerDataTypes(addressSpace: AddressSpace): Promise<void> {
  const manager = await ensureDatatypeExtracted(addressSpace);
  await populateDataTypeManager(new PseudoSession(addressSpace), manager, DataTypeExtractStrategy.Force104);
}
