/**
 * What a client needs to decode values of the server's own DataTypes (OPC UA Part 3 §5.8, Part 6
 * §5.2.2.15): each DataType's DataTypeDefinition (1.04+) and its encoding nodes ("Default Binary",
 * ...) with the upstream's NodeIds, recorded as plain data so that they are cached with the rest.
 */
import { AttributeIds, BrowseDirection, NodeClass, resolveNodeId } from "node-opcua";
import type { BrowsePort, SnapshotNode, SnapshotReference } from "./snapshot.ts";

const BATCH = 200;
const HasEncoding = "i=38";
const HasDescription = "i=39";

export interface StructureFieldSpec {
  name: string;
  description?: string;
  dataType: string;
  valueRank: number;
  arrayDimensions?: number[];
  maxStringLength: number;
  isOptional: boolean;
}
export interface EnumFieldSpec {
  name: string;
  /** Int64 as node-opcua holds it: [high, low]. */
  value: [number, number];
  displayName?: string;
  description?: string;
}
export type DefinitionSpec =
  | {
      kind: "structure";
      defaultEncodingId: string;
      baseDataType: string;
      structureType: number;
      fields: StructureFieldSpec[];
    }
  | { kind: "enum"; fields: EnumFieldSpec[] };

export interface EncodingSpec {
  nodeId: string;
  browseName: { namespaceIndex: number; name: string };
}

interface RawField {
  name?: string | null;
  description?: { text?: string | null } | null;
  dataType?: { toString(): string } | null;
  valueRank?: number;
  arrayDimensions?: ArrayLike<number> | null;
  maxStringLength?: number;
  isOptional?: boolean;
  value?: [number, number] | number;
  displayName?: { text?: string | null } | null;
}
interface RawDefinition {
  schema?: { name?: string };
  defaultEncodingId?: { toString(): string };
  baseDataType?: { toString(): string };
  structureType?: number;
  fields?: RawField[] | null;
}

const text = (t: { text?: string | null } | null | undefined) => t?.text ?? undefined;

/** A DataTypeDefinition value as read (StructureDefinition or EnumDefinition) as plain data. */
export function definitionSpec(raw: unknown): DefinitionSpec | undefined {
  const definition = raw as RawDefinition | null;
  if (!definition?.schema) return undefined;
  const fields = definition.fields ?? [];
  if (definition.schema.name === "StructureDefinition") {
    return {
      kind: "structure",
      defaultEncodingId: definition.defaultEncodingId?.toString() ?? "i=0",
      baseDataType: definition.baseDataType?.toString() ?? "i=22",
      structureType: definition.structureType ?? 0,
      fields: fields.map((f) => ({
        name: f.name ?? "",
        description: text(f.description),
        dataType: f.dataType?.toString() ?? "i=24",
        valueRank: f.valueRank ?? -1,
        arrayDimensions: f.arrayDimensions ? Array.from(f.arrayDimensions) : undefined,
        maxStringLength: f.maxStringLength ?? 0,
        isOptional: f.isOptional ?? false,
      })),
    };
  }
  if (definition.schema.name === "EnumDefinition") {
    return {
      kind: "enum",
      fields: fields.map((f) => ({
        name: f.name ?? "",
        value: Array.isArray(f.value) ? [f.value[0], f.value[1]] : [0, Number(f.value ?? 0)],
        displayName: text(f.displayName),
        description: text(f.description),
      })),
    };
  }
  return undefined;
}

/**
 * DataTypeDefinition and encodings of the snapshot's DataTypes; returns each encoding's
 * HasDescription references (to its 1.03 DataTypeDescription, where the server has one).
 */
export async function readDataTypes(
  port: BrowsePort,
  dataTypes: SnapshotNode[],
): Promise<SnapshotReference[]> {
  for (let i = 0; i < dataTypes.length; i += BATCH) {
    const batch = dataTypes.slice(i, i + BATCH);
    const [definitions, encodings] = await Promise.all([
      port.read(
        batch.map((node) => ({
          nodeId: resolveNodeId(node.nodeId),
          attributeId: AttributeIds.DataTypeDefinition,
        })),
      ),
      port.browse(
        batch.map((node) => ({
          nodeId: node.nodeId,
          browseDirection: BrowseDirection.Forward,
          referenceTypeId: HasEncoding,
          includeSubtypes: false,
          nodeClassMask: NodeClass.Object,
          resultMask: 0x3f,
        })),
      ),
    ]);
    batch.forEach((node, k) => {
      const definition = definitions[k];
      if (definition?.statusCode.isGood()) node.dataTypeDefinition = definitionSpec(definition.value.value);
      const found = encodings[k]?.references ?? [];
      if (found.length > 0)
        node.encodings = found.map((ref) => ({
          nodeId: ref.nodeId.toString(),
          browseName: { namespaceIndex: ref.browseName.namespaceIndex, name: ref.browseName.name ?? "" },
        }));
    });
  }
  return readDescriptions(
    port,
    dataTypes.flatMap((node) => (node.encodings ?? []).map((e) => e.nodeId)),
  );
}

async function readDescriptions(port: BrowsePort, encodings: string[]): Promise<SnapshotReference[]> {
  const references: SnapshotReference[] = [];
  for (let i = 0; i < encodings.length; i += BATCH) {
    const batch = encodings.slice(i, i + BATCH);
    const results = await port.browse(
      batch.map((nodeId) => ({
        nodeId,
        browseDirection: BrowseDirection.Forward,
        referenceTypeId: HasDescription,
        includeSubtypes: false,
        nodeClassMask: NodeClass.Variable,
        resultMask: 0x3f,
      })),
    );
    batch.forEach((source, k) => {
      for (const ref of results[k]?.references ?? []) {
        references.push({ source, referenceType: HasDescription, target: ref.nodeId.toString() });
      }
    });
  }
  return references;
}
