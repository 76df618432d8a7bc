/** Attributes, method arguments and modelling rules of the nodes a snapshot found. */
import { AttributeIds, BrowseDirection, NodeClass, resolveNodeId } from "node-opcua";
import type { BrowsePort, SnapshotNode, SnapshotNodeClass } from "./snapshot.ts";

const BATCH = 200;

const VARIABLE_ATTRIBUTES = [
  ["description", AttributeIds.Description],
  ["dataType", AttributeIds.DataType],
  ["valueRank", AttributeIds.ValueRank],
  ["arrayDimensions", AttributeIds.ArrayDimensions],
  ["accessLevel", AttributeIds.AccessLevel],
  ["userAccessLevel", AttributeIds.UserAccessLevel],
  ["minimumSamplingInterval", AttributeIds.MinimumSamplingInterval],
  ["historizing", AttributeIds.Historizing],
] as const;
const OBJECT_ATTRIBUTES = [
  ["description", AttributeIds.Description],
  ["eventNotifier", AttributeIds.EventNotifier],
] as const;
const METHOD_ATTRIBUTES = [
  ["description", AttributeIds.Description],
  ["executable", AttributeIds.Executable],
] as const;
const TYPE_ATTRIBUTES = [
  ["description", AttributeIds.Description],
  ["isAbstract", AttributeIds.IsAbstract],
] as const;
const VARIABLE_TYPE_ATTRIBUTES = [
  ...TYPE_ATTRIBUTES,
  ["dataType", AttributeIds.DataType],
  ["valueRank", AttributeIds.ValueRank],
  ["arrayDimensions", AttributeIds.ArrayDimensions],
] as const;
const REFERENCE_TYPE_ATTRIBUTES = [
  ...TYPE_ATTRIBUTES,
  ["inverseName", AttributeIds.InverseName],
  ["symmetric", AttributeIds.Symmetric],
] as const;

const ATTRIBUTES: Record<SnapshotNodeClass, readonly (readonly [keyof SnapshotNode, number])[]> = {
  Variable: VARIABLE_ATTRIBUTES,
  Object: OBJECT_ATTRIBUTES,
  View: OBJECT_ATTRIBUTES,
  Method: METHOD_ATTRIBUTES,
  ObjectType: TYPE_ATTRIBUTES,
  DataType: TYPE_ATTRIBUTES,
  VariableType: VARIABLE_TYPE_ATTRIBUTES,
  ReferenceType: REFERENCE_TYPE_ATTRIBUTES,
};

/** Reads each node's attributes (those of its NodeClass) into the snapshot node. */
export async function readAttributes(port: BrowsePort, nodes: SnapshotNode[]): Promise<void> {
  const requests = nodes.flatMap((node) =>
    ATTRIBUTES[node.nodeClass].map(([key, attributeId]) => ({ node, key, attributeId })),
  );
  for (let i = 0; i < requests.length; i += BATCH * 4) {
    const batch = requests.slice(i, i + BATCH * 4);
    const values = await port.read(
      batch.map((r) => ({ nodeId: resolveNodeId(r.node.nodeId), attributeId: r.attributeId })),
    );
    batch.forEach((r, k) => {
      const value = values[k];
      if (!value?.statusCode.isGood()) return;
      const raw = value.value.value as unknown;
      const record = r.node as unknown as Record<string, unknown>;
      if (r.key === "description" || r.key === "inverseName")
        record[r.key] = (raw as { text?: string } | null)?.text ?? undefined;
      else if (r.key === "dataType") record.dataType = String(raw);
      else if (r.key === "arrayDimensions")
        record.arrayDimensions = raw ? Array.from(raw as ArrayLike<number>) : undefined;
      else record[r.key] = raw;
    });
  }
}

interface ArgumentLike {
  name?: string;
  dataType?: { toString(): string };
  valueRank?: number;
  arrayDimensions?: number[] | null;
  description?: { text?: string | null };
}

/** A method's InputArguments and OutputArguments properties (node-opcua needs them to accept calls). */
export async function readMethodArguments(port: BrowsePort, methods: SnapshotNode[]): Promise<void> {
  if (methods.length === 0) return;
  const results = await port.browse(
    methods.map((m) => ({
      nodeId: m.nodeId,
      browseDirection: BrowseDirection.Forward,
      referenceTypeId: "i=46",
      includeSubtypes: false,
      nodeClassMask: NodeClass.Variable,
      resultMask: 0x3f,
    })),
  );
  const wanted = results.flatMap((result, k) =>
    (result.references ?? [])
      .filter((r) => r.browseName.name === "InputArguments" || r.browseName.name === "OutputArguments")
      .map((r) => ({ method: methods[k]!, which: r.browseName.name as string, nodeId: r.nodeId })),
  );
  const values = await port.read(wanted.map((w) => ({ nodeId: w.nodeId, attributeId: AttributeIds.Value })));
  wanted.forEach((w, k) => {
    const list = (values[k]?.value.value as ArgumentLike[] | null) ?? [];
    const specs = list.map((a) => ({
      name: a.name ?? "",
      dataType: a.dataType?.toString() ?? "i=24",
      valueRank: a.valueRank ?? -1,
      arrayDimensions: a.arrayDimensions ? Array.from(a.arrayDimensions) : undefined,
      description: a.description?.text ?? undefined,
    }));
    if (w.which === "InputArguments") w.method.inputArguments = specs;
    else w.method.outputArguments = specs;
  });
}

/** HasModellingRule of instance declarations (Mandatory, Optional, ...), so that types keep their shape. */
export async function readModellingRules(port: BrowsePort, declarations: SnapshotNode[]): Promise<void> {
  for (let i = 0; i < declarations.length; i += BATCH) {
    const batch = declarations.slice(i, i + BATCH);
    const results = await port.browse(
      batch.map((node) => ({
        nodeId: node.nodeId,
        browseDirection: BrowseDirection.Forward,
        referenceTypeId: "i=37",
        includeSubtypes: false,
        nodeClassMask: 0,
        resultMask: 0x3f,
      })),
    );
    results.forEach((result, k) => {
      const rule = result.references?.[0]?.nodeId;
      if (rule) batch[k]!.modellingRule = rule.toString();
    });
  }
}
