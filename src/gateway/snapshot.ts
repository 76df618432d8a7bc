/**
 * A snapshot of the upstream address space below Objects: what the gateway mirrors. Plain data
 * (strings and numbers) so that it can be cached on disk and rebuilt while every upstream is down.
 */
import {
  AttributeIds,
  BrowseDirection,
  type BrowseResult,
  type DataValue,
  NodeClass,
  type ReadValueIdOptions,
  resolveNodeId,
} from "node-opcua";
import { RedundancyError } from "../errors.ts";

export interface SnapshotNode {
  /** Upstream NodeId, e.g. "ns=1;s=Counter". */
  nodeId: string;
  nodeClass: "Object" | "Variable" | "Method";
  /** The parent's NodeId and the reference from parent to this node (HasComponent, Organizes, ...). */
  parent: string;
  referenceType: string;
  browseName: { namespaceIndex: number; name: string };
  displayName: string;
  description?: string;
  typeDefinition?: string;
  // Variables
  dataType?: string;
  valueRank?: number;
  arrayDimensions?: number[];
  accessLevel?: number;
  userAccessLevel?: number;
  minimumSamplingInterval?: number;
  historizing?: boolean;
  // Objects
  eventNotifier?: number;
  // Methods
  executable?: boolean;
  inputArguments?: ArgumentSpec[];
  outputArguments?: ArgumentSpec[];
}

/** A method argument (OPC UA Argument structure) as plain data. */
export interface ArgumentSpec {
  name: string;
  dataType: string;
  valueRank: number;
  arrayDimensions?: number[];
  description?: string;
}

export interface AddressSnapshot {
  /** The upstream NamespaceArray the NodeIds refer to. */
  namespaceUris: string[];
  nodes: SnapshotNode[];
  takenAt: string;
}

/** What crawling needs from the engine (RedundantClient has it). */
export interface BrowsePort {
  browse(
    nodes: {
      nodeId: string;
      browseDirection: number;
      referenceTypeId: string;
      includeSubtypes: boolean;
      nodeClassMask: number;
      resultMask: number;
    }[],
  ): Promise<BrowseResult[]>;
  browseNext(continuationPoints: Buffer[], releaseContinuationPoints: boolean): Promise<BrowseResult[]>;
  read(nodes: ReadValueIdOptions[], maxAge?: number): Promise<DataValue[]>;
}

const HierarchicalReferences = "i=33";
const ObjectsFolder = "i=85";
const MIRRORED_CLASSES = NodeClass.Object | NodeClass.Variable | NodeClass.Method;
const BATCH = 200;

/** Browse everything below Objects that is not in namespace 0, then read its attributes. */
export async function takeSnapshot(
  port: BrowsePort,
  onProgress: (nodes: number) => void = () => undefined,
): Promise<AddressSnapshot> {
  const [nsArray] = await port.read([{ nodeId: "i=2255", attributeId: AttributeIds.Value }]);
  const namespaceUris = (nsArray?.value.value as string[] | null) ?? [];
  const nodes: SnapshotNode[] = [];
  const seen = new Set<string>();
  let frontier = [ObjectsFolder];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (let i = 0; i < frontier.length; i += BATCH) {
      const parents = frontier.slice(i, i + BATCH);
      const results = await port.browse(
        parents.map((nodeId) => ({
          nodeId,
          browseDirection: BrowseDirection.Forward,
          referenceTypeId: HierarchicalReferences,
          includeSubtypes: true,
          nodeClassMask: MIRRORED_CLASSES,
          resultMask: 0x3f,
        })),
      );
      await completeWithBrowseNext(port, results);
      results.forEach((result, k) => {
        for (const ref of result.references ?? []) {
          const id = ref.nodeId.toString();
          if (ref.nodeId.namespace === 0 || seen.has(id)) continue;
          seen.add(id);
          nodes.push({
            nodeId: id,
            nodeClass: NodeClass[ref.nodeClass] as SnapshotNode["nodeClass"],
            parent: parents[k]!,
            referenceType: ref.referenceTypeId.toString(),
            browseName: { namespaceIndex: ref.browseName.namespaceIndex, name: ref.browseName.name ?? "" },
            displayName: ref.displayName.text ?? ref.browseName.name ?? "",
            typeDefinition: ref.typeDefinition.isEmpty() ? undefined : ref.typeDefinition.toString(),
          });
          if (ref.nodeClass !== NodeClass.Method) next.push(id);
        }
      });
      onProgress(nodes.length);
    }
    frontier = next;
  }
  await readAttributes(port, nodes);
  await readMethodArguments(
    port,
    nodes.filter((n) => n.nodeClass === "Method"),
  );
  return { namespaceUris, nodes, takenAt: new Date().toISOString() };
}

/**
 * A server returns at most its own number of references per node and a continuation point for the
 * rest: follow them all (a folder with 10,000 children must not be cut short).
 */
async function completeWithBrowseNext(port: BrowsePort, results: BrowseResult[]): Promise<void> {
  let pending = results.filter((r) => r.continuationPoint && r.continuationPoint.length > 0);
  while (pending.length > 0) {
    const next = await port.browseNext(
      pending.map((r) => r.continuationPoint as Buffer),
      false,
    );
    next.forEach((more, i) => {
      const target = pending[i]!;
      if (!more.statusCode.isGood()) {
        throw new RedundancyError("ERR_UPSTREAM_REQUEST", `BrowseNext answered ${more.statusCode.name}`);
      }
      target.references = [...(target.references ?? []), ...(more.references ?? [])];
      target.continuationPoint = more.continuationPoint;
    });
    pending = pending.filter((r) => r.continuationPoint && r.continuationPoint.length > 0);
  }
}

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

function attributesOf(node: SnapshotNode): readonly (readonly [keyof SnapshotNode, number])[] {
  if (node.nodeClass === "Variable") return VARIABLE_ATTRIBUTES;
  if (node.nodeClass === "Object") return OBJECT_ATTRIBUTES;
  return METHOD_ATTRIBUTES;
}

async function readAttributes(port: BrowsePort, nodes: SnapshotNode[]): Promise<void> {
  const requests = nodes.flatMap((node) =>
    attributesOf(node).map(([key, attributeId]) => ({ node, key, attributeId })),
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
      if (r.key === "description") record.description = (raw as { text?: string } | null)?.text ?? undefined;
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
async function readMethodArguments(port: BrowsePort, methods: SnapshotNode[]): Promise<void> {
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
