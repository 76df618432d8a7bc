/**
 * Builds the mirrored nodes of a snapshot into the gateway's address space: same NodeIds (through
 * the namespace map), browse names, display names, data types, access levels and references.
 * Types and data types outside namespace 0 fall back to their base type (mirroring of custom types
 * is not done yet).
 */
import {
  type AddressSpace,
  type BaseNode,
  type NodeId,
  QualifiedName,
  resolveNodeId,
  type UAMethod,
  type UAObject,
  type UAVariable,
} from "node-opcua";
import type { NamespaceMap } from "./namespace-map.ts";
import type { AddressSnapshot, ArgumentSpec, SnapshotNode } from "./snapshot.ts";

export interface MirroredVariable {
  variable: UAVariable;
  upstreamNodeId: NodeId;
}
export interface MirroredMethod {
  method: UAMethod;
  upstreamObjectId: NodeId;
  upstreamMethodId: NodeId;
}
export interface MirrorIndex {
  /** By downstream NodeId string. */
  variables: Map<string, MirroredVariable>;
  methods: Map<string, MirroredMethod>;
  /** Snapshot nodes that could not be built, with why. */
  skipped: { nodeId: string; reason: string }[];
}

const HierarchicalReferences = "i=33";

/** Nodes built between two turns of the event loop: a large mirror must not stall health checks. */
const CHUNK = 500;

export async function buildMirror(
  addressSpace: AddressSpace,
  snapshot: AddressSnapshot,
  map: NamespaceMap,
): Promise<MirrorIndex> {
  const index: MirrorIndex = { variables: new Map(), methods: new Map(), skipped: [] };
  for (const [i, node] of snapshot.nodes.entries()) {
    if (i > 0 && i % CHUNK === 0) await new Promise((resolve) => setImmediate(resolve));
    try {
      buildNode(addressSpace, node, map, index);
    } catch (error) {
      index.skipped.push({
        nodeId: node.nodeId,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return index;
}

/**
 * The standard hierarchical references as node-opcua creation options: far faster than adding the
 * reference afterwards (node-opcua checks every existing reference of the parent on each add).
 */
function parentOption(referenceType: string, parent: BaseNode): Record<string, BaseNode> | undefined {
  const id = resolveNodeId(referenceType);
  if (id.namespace !== 0) return undefined;
  if (id.value === 47) return { componentOf: parent };
  if (id.value === 35) return { organizedBy: parent };
  if (id.value === 46) return { propertyOf: parent };
  return undefined;
}

/** A NodeId of namespace 0 is used as it is; others are not known downstream (yet). */
function standardOr(nodeId: string | undefined, fallback: string): string {
  if (nodeId === undefined) return fallback;
  return resolveNodeId(nodeId).namespace === 0 ? nodeId : fallback;
}

function buildNode(
  addressSpace: AddressSpace,
  node: SnapshotNode,
  map: NamespaceMap,
  index: MirrorIndex,
): void {
  const nodeId = map.toDownstream(node.nodeId);
  if (addressSpace.findNode(nodeId)) return; // reached twice (several parents)
  const parentId = map.toDownstream(node.parent);
  const parent = addressSpace.findNode(parentId);
  if (!parent) throw new RangeError(`parent ${parentId.toString()} is not mirrored`);
  const namespace = addressSpace.getNamespace(nodeId.namespace);
  const common = {
    nodeId,
    browseName: new QualifiedName({
      name: node.browseName.name,
      namespaceIndex: map.downstreamIndex(node.browseName.namespaceIndex),
    }),
    displayName: node.displayName,
    description: node.description,
  };
  const option = parentOption(node.referenceType, parent);
  // Other reference types are declared from the parent's side, so that browsing the parent finds the node.
  const link = (child: { nodeId: NodeId }) => {
    if (option) return;
    parent.addReference({
      referenceType: resolveNodeId(standardOr(node.referenceType, HierarchicalReferences)),
      isForward: true,
      nodeId: child.nodeId,
    });
  };
  if (node.nodeClass === "Object") {
    const object = namespace.addObject({
      ...common,
      ...option,
      typeDefinition: standardOr(node.typeDefinition, "BaseObjectType"),
      eventNotifier: node.eventNotifier ?? 0,
    });
    link(object);
  } else if (node.nodeClass === "Variable") {
    const variable = namespace.addVariable({
      ...common,
      ...option,
      typeDefinition: standardOr(node.typeDefinition, "BaseDataVariableType"),
      dataType: standardOr(node.dataType, "BaseDataType"),
      valueRank: node.valueRank ?? -1,
      arrayDimensions: node.arrayDimensions ?? null,
      accessLevel: node.accessLevel ?? 1,
      userAccessLevel: node.userAccessLevel ?? node.accessLevel ?? 1,
      // 0 lets downstream items be exception-based: every value pushed from upstream is seen.
      minimumSamplingInterval: 0,
      historizing: node.historizing ?? false,
    });
    link(variable);
    index.variables.set(nodeId.toString(), { variable, upstreamNodeId: resolveNodeId(node.nodeId) });
  } else {
    const method = namespace.addMethod(parent as UAObject, {
      ...common,
      executable: node.executable ?? true,
      userExecutable: node.executable ?? true,
      inputArguments: node.inputArguments?.map(toArgument),
      outputArguments: node.outputArguments?.map(toArgument),
    });
    // addMethod makes the HasComponent reference itself.
    if (!option?.componentOf) link(method);
    index.methods.set(nodeId.toString(), {
      method,
      upstreamObjectId: resolveNodeId(node.parent),
      upstreamMethodId: resolveNodeId(node.nodeId),
    });
  }
}

function toArgument(spec: ArgumentSpec) {
  return {
    name: spec.name,
    dataType: standardOr(spec.dataType, "i=24"),
    valueRank: spec.valueRank,
    arrayDimensions: spec.arrayDimensions,
    description: spec.description ? { text: spec.description } : undefined,
  };
}
