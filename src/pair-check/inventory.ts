/**
 * The inventory of one server for the pair check: every Variable and Method reachable from the
 * Objects folder by hierarchical references (the Server object excluded: its diagnostics differ
 * between any two servers and the gateway serves its own), keyed in namespace-independent form —
 * NodeIds and browse names carry the namespace URI, not the index — so that two servers whose
 * namespace tables are ordered differently compare as the gateway's re-mapping would see them.
 * Browse and Read go in batches within the server's stated operation limits.
 */
import {
  AttributeIds,
  BrowseDirection,
  type BrowseResult,
  type ClientSession,
  DataType,
  NodeClass,
  type NodeId,
  ObjectIds,
  type ReferenceDescription,
  resolveNodeId,
  VariableIds,
} from "node-opcua";

export interface InventoryNode {
  /** Namespace-independent NodeId: "nsu=<uri>;s=..." (namespace 0 stays "i=..."). */
  key: string;
  /** The NodeId as this server numbers it, e.g. "ns=2;s=Line1.Temp". */
  nodeId: string;
  /** Browse path from Objects, each name as "<uri>:<name>" (first path found, breadth first). */
  path: string;
  nodeClass: "Variable" | "Method";
  /** Variables: DataType (namespace-independent), ValueRank, AccessLevel. */
  dataType?: string;
  valueRank?: number;
  accessLevel?: number;
}

export interface Inventory {
  namespaces: string[];
  nodes: Map<string, InventoryNode>;
  /** Browsed nodes of every class (for the figures in the report). */
  browsed: number;
}

const SERVER_OBJECT = `ns=0;i=${ObjectIds.Server}`;
const DEFAULT_BATCH = 1000;

function canonicalKey(nodeId: NodeId, namespaces: readonly string[]): string {
  const text = nodeId.toString();
  if (nodeId.namespace === 0) return text.replace(/^ns=0;/, "");
  const uri = namespaces[nodeId.namespace] ?? `ns${nodeId.namespace}`;
  return `nsu=${uri};${text.replace(/^ns=\d+;/, "")}`;
}

/** A built-in DataType by name ("Int32"), any other namespace-independent. */
function dataTypeName(nodeId: NodeId, namespaces: readonly string[]): string {
  const builtIn =
    nodeId.namespace === 0 && typeof nodeId.value === "number" ? DataType[nodeId.value] : undefined;
  return builtIn ?? canonicalKey(nodeId, namespaces);
}

async function limit(session: ClientSession, variableId: number): Promise<number> {
  const [value] = await session.read([{ nodeId: `ns=0;i=${variableId}`, attributeId: AttributeIds.Value }]);
  const n = value?.statusCode.isGood() ? Number(value.value.value) : 0;
  return n > 0 ? Math.min(n, 10_000) : DEFAULT_BATCH;
}

/** Browse results with every continuation point followed. */
async function browseAll(session: ClientSession, nodeIds: string[]): Promise<ReferenceDescription[][]> {
  const results: BrowseResult[] = await session.browse(
    nodeIds.map((nodeId) => ({
      nodeId,
      browseDirection: BrowseDirection.Forward,
      referenceTypeId: "HierarchicalReferences",
      includeSubtypes: true,
      nodeClassMask: NodeClass.Object | NodeClass.Variable | NodeClass.Method,
      resultMask: 0b111111,
    })),
  );
  const references = results.map((r) => [...(r.references ?? [])]);
  let pending = results
    .map((r, i) => ({ i, cp: r.continuationPoint }))
    .filter((p) => p.cp && p.cp.length > 0);
  while (pending.length > 0) {
    const next = await session.browseNext(
      pending.map((p) => p.cp as Buffer),
      false,
    );
    const again: typeof pending = [];
    next.forEach((r, j) => {
      const i = pending[j]!.i;
      references[i]!.push(...(r.references ?? []));
      if (r.continuationPoint && r.continuationPoint.length > 0) again.push({ i, cp: r.continuationPoint });
    });
    pending = again;
  }
  return references;
}

async function readVariableAttributes(
  session: ClientSession,
  variables: InventoryNode[],
  batch: number,
  namespaces: string[],
) {
  const attributes = [AttributeIds.DataType, AttributeIds.ValueRank, AttributeIds.AccessLevel];
  const perBatch = Math.max(1, Math.floor(batch / attributes.length));
  for (let start = 0; start < variables.length; start += perBatch) {
    const slice = variables.slice(start, start + perBatch);
    const values = await session.read(
      slice.flatMap((v) => attributes.map((attributeId) => ({ nodeId: v.nodeId, attributeId }))),
    );
    slice.forEach((v, i) => {
      const [dataType, valueRank, accessLevel] = values.slice(i * 3, i * 3 + 3);
      if (dataType?.statusCode.isGood())
        v.dataType = dataTypeName(dataType.value.value as NodeId, namespaces);
      if (valueRank?.statusCode.isGood()) v.valueRank = Number(valueRank.value.value);
      if (accessLevel?.statusCode.isGood()) v.accessLevel = Number(accessLevel.value.value);
    });
  }
}

export async function takeInventory(session: ClientSession): Promise<Inventory> {
  const [ns] = await session.read([
    { nodeId: `ns=0;i=${VariableIds.Server_NamespaceArray}`, attributeId: AttributeIds.Value },
  ]);
  const namespaces = ((ns?.value.value as string[] | null) ?? []).map(String);
  const browseBatch = await limit(
    session,
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse,
  );
  const readBatch = await limit(
    session,
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead,
  );
  const nodes = new Map<string, InventoryNode>();
  const seen = new Set<string>([
    resolveNodeId(`ns=0;i=${ObjectIds.ObjectsFolder}`).toString(),
    SERVER_OBJECT,
  ]);
  let frontier: { nodeId: string; path: string }[] = [
    { nodeId: `ns=0;i=${ObjectIds.ObjectsFolder}`, path: "" },
  ];
  let browsed = 0;
  while (frontier.length > 0) {
    const next: typeof frontier = [];
    for (let start = 0; start < frontier.length; start += browseBatch) {
      const slice = frontier.slice(start, start + browseBatch);
      const references = await browseAll(
        session,
        slice.map((f) => f.nodeId),
      );
      references.forEach((refs, i) => {
        const parent = slice[i]!;
        for (const ref of refs) {
          const id = ref.nodeId.toString();
          if (seen.has(id) || ref.nodeId.serverIndex) continue;
          seen.add(id);
          browsed++;
          const name = `${namespaces[ref.browseName.namespaceIndex] ?? ref.browseName.namespaceIndex}:${ref.browseName.name}`;
          const path = `${parent.path}/${name}`;
          const nodeId = resolveNodeId(id);
          if (ref.nodeClass === NodeClass.Variable || ref.nodeClass === NodeClass.Method) {
            const key = canonicalKey(nodeId, namespaces);
            nodes.set(key, {
              key,
              nodeId: id,
              path,
              nodeClass: ref.nodeClass === NodeClass.Variable ? "Variable" : "Method",
            });
          }
          // Variables may have properties, Methods have arguments (skip those: part of the method)
          if (ref.nodeClass !== NodeClass.Method) next.push({ nodeId: id, path });
        }
      });
    }
    frontier = next;
  }
  const variables = [...nodes.values()].filter((n) => n.nodeClass === "Variable");
  await readVariableAttributes(session, variables, readBatch, namespaces);
  return { namespaces, nodes, browsed };
}
