/**
 * Builds the mirrored nodes of a snapshot into the gateway's address space: same NodeIds (through
 * the namespace map), browse names, display names, data types, access levels and references; the
 * server's own types (ObjectTypes, VariableTypes, DataTypes, ReferenceTypes) with their instance
 * declarations and modelling rules, and its Views. A type, data type or reference type the snapshot
 * does not have falls back to its standard base.
 */
import {
  type AddressSpace,
  type BaseNode,
  type ModellingRuleType,
  type NodeId,
  QualifiedName,
  resolveNodeId,
  type UAMethod,
  type UAObject,
  type UAObjectType,
  type UAVariable,
  type UAVariableType,
} from "node-opcua";
import { addEncodings, setDefinition } from "./datatype-mirror.ts";
import type { NamespaceMap } from "./namespace-map.ts";
import type { AddressSnapshot, ArgumentSpec, SnapshotNode, SnapshotReference } from "./snapshot.ts";

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
  /** Every mirrored node: downstream NodeId string → upstream NodeId. */
  nodes: Map<string, NodeId>;
  /** Snapshot nodes that could not be built, with why. */
  skipped: { nodeId: string; reason: string }[];
}

const HierarchicalReferences = "i=33";

/** Nodes built between two turns of the event loop: a large mirror must not stall health checks. */
const CHUNK = 500;

/** Binds each new variable and method as soon as it is built: a node is never served unbound. */
export interface MirrorBinder {
  variable(entry: MirroredVariable): void;
  method(entry: MirroredMethod): void;
}

export async function buildMirror(
  addressSpace: AddressSpace,
  snapshot: AddressSnapshot,
  map: NamespaceMap,
  binder?: MirrorBinder,
): Promise<MirrorIndex> {
  const index: MirrorIndex = { variables: new Map(), methods: new Map(), nodes: new Map(), skipped: [] };
  const skip = (nodeId: string, error: unknown) => index.skipped.push({ nodeId, reason: reasonOf(error) });
  for (const [i, node] of snapshot.nodes.entries()) {
    if (i > 0 && i % CHUNK === 0) await new Promise((resolve) => setImmediate(resolve));
    try {
      buildNode(addressSpace, node, map, index, binder);
      index.nodes.set(map.toDownstream(node.nodeId).toString(), resolveNodeId(node.nodeId));
    } catch (error) {
      skip(node.nodeId, error);
    }
  }
  for (const reference of snapshot.references ?? []) {
    try {
      addReference(addressSpace, reference, map);
    } catch (error) {
      skip(reference.target, error);
    }
  }
  return index;
}

/** node-opcua's own assertions throw without a message: the first frame of the stack says where. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  const frame = error.stack
    ?.split("\n")
    .find((line) => line.includes("node-opcua") && !line.includes("node-opcua-assert"));
  return `assertion failed${frame ? ` ${frame.trim()}` : ""}`;
}

/** A second hierarchical reference to a node built elsewhere (a View's Organizes, a second parent). */
function addReference(addressSpace: AddressSpace, reference: SnapshotReference, map: NamespaceMap): void {
  const source = addressSpace.findNode(map.toDownstream(reference.source));
  const target = map.toDownstream(reference.target);
  if (!source || !addressSpace.findNode(target)) throw new RangeError("source or target is not mirrored");
  source.addReference({
    referenceType: knownOr(addressSpace, map, reference.referenceType, HierarchicalReferences),
    isForward: true,
    nodeId: target,
  });
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

/** A type's NodeId downstream: a standard one as it is, a mirrored one mapped, anything else `fallback`. */
function knownOr(
  addressSpace: AddressSpace,
  map: NamespaceMap,
  nodeId: string | undefined,
  fallback: string,
): NodeId {
  if (nodeId === undefined) return resolveNodeId(fallback);
  const id = resolveNodeId(nodeId);
  if (id.namespace === 0) return id;
  try {
    const mapped = map.toDownstream(id);
    return addressSpace.findNode(mapped) ? mapped : resolveNodeId(fallback);
  } catch {
    return resolveNodeId(fallback); // a namespace that is not mirrored
  }
}

/** The standard modelling rules by their numeric NodeId in namespace 0: node-opcua takes their names. */
const MODELLING_RULES = new Map<number, ModellingRuleType>([
  [78, "Mandatory"],
  [80, "Optional"],
  [83, "ExposesItsArray"],
  [11508, "OptionalPlaceholder"],
  [11510, "MandatoryPlaceholder"],
]);

function modellingRuleName(rule: string | undefined): ModellingRuleType | undefined {
  if (!rule) return undefined;
  const id = resolveNodeId(rule);
  return id.namespace === 0 && typeof id.value === "number" ? MODELLING_RULES.get(id.value) : undefined;
}

/** node-opcua's addVariable and addObject do not always record the modelling rule: make sure. */
function ensureModellingRule(built: BaseNode, rule: string | undefined): void {
  if (!rule || built.modellingRule) return;
  built.addReference({ referenceType: "HasModellingRule", isForward: true, nodeId: resolveNodeId(rule) });
}

function buildNode(
  addressSpace: AddressSpace,
  node: SnapshotNode,
  map: NamespaceMap,
  index: MirrorIndex,
  binder: MirrorBinder | undefined,
): void {
  const nodeId = map.toDownstream(node.nodeId);
  if (addressSpace.findNode(nodeId)) return; // reached twice (several parents)
  const parentId = map.toDownstream(node.parent);
  const parent = addressSpace.findNode(parentId);
  if (!parent) throw new RangeError(`parent ${parentId.toString()} is not mirrored`);
  const namespace = addressSpace.getNamespace(nodeId.namespace);
  const known = (id: string | undefined, fallback: string) => knownOr(addressSpace, map, id, fallback);
  const common = {
    nodeId,
    browseName: new QualifiedName({
      name: node.browseName.name,
      namespaceIndex: map.downstreamIndex(node.browseName.namespaceIndex),
    }),
    displayName: node.displayName,
    description: node.description,
  };
  const modellingRule = modellingRuleName(node.modellingRule);
  // node-opcua takes the browse names of types and views as text, in the namespace of the node
  const named = { ...common, browseName: node.browseName.name };
  const option = parentOption(node.referenceType, parent);
  // Other reference types are declared from the parent's side, so that browsing the parent finds the node.
  const link = (child: { nodeId: NodeId }) => {
    if (option) return;
    parent.addReference({
      referenceType: known(node.referenceType, HierarchicalReferences),
      isForward: true,
      nodeId: child.nodeId,
    });
  };
  switch (node.nodeClass) {
    case "ObjectType":
      namespace.addObjectType({ ...named, isAbstract: node.isAbstract, subtypeOf: parent as UAObjectType });
      return;
    case "VariableType":
      namespace.addVariableType({
        ...named,
        isAbstract: node.isAbstract,
        subtypeOf: parent as UAVariableType,
        dataType: known(node.dataType, "BaseDataType"),
        valueRank: node.valueRank ?? -1,
        arrayDimensions: node.arrayDimensions ?? null,
      });
      return;
    case "DataType": {
      const dataType = namespace.createDataType({
        ...common,
        isAbstract: node.isAbstract ?? false,
        subtypeOf: parent.nodeId,
      });
      addEncodings(addressSpace, dataType, node.encodings ?? [], map);
      if (node.dataTypeDefinition) setDefinition(addressSpace, dataType, node.dataTypeDefinition, map);
      return;
    }
    case "ReferenceType":
      namespace.addReferenceType({
        ...common,
        isAbstract: node.isAbstract,
        inverseName: node.inverseName ?? node.browseName.name,
        subtypeOf: parent.nodeId,
      });
      return;
    case "View":
      link(namespace.addView({ ...named, organizedBy: parent }));
      return;
    case "Object": {
      const object = namespace.addObject({
        ...common,
        ...option,
        modellingRule,
        typeDefinition: known(node.typeDefinition, "BaseObjectType"),
        eventNotifier: node.eventNotifier ?? 0,
      });
      ensureModellingRule(object, node.modellingRule);
      link(object);
      return;
    }
    case "Variable": {
      const variable = namespace.addVariable({
        ...common,
        ...option,
        modellingRule,
        // a property's type is PropertyType, which node-opcua wants to set itself
        typeDefinition: option?.propertyOf ? undefined : known(node.typeDefinition, "BaseDataVariableType"),
        dataType: known(node.dataType, "BaseDataType"),
        valueRank: node.valueRank ?? -1,
        arrayDimensions: node.arrayDimensions ?? null,
        accessLevel: node.accessLevel ?? 1,
        userAccessLevel: node.userAccessLevel ?? node.accessLevel ?? 1,
        // as the upstream has it: a downstream item is revised as it would be directly (0, the
        // simulator's Counter, keeps items exception-based: every value pushed from upstream is seen)
        minimumSamplingInterval: node.minimumSamplingInterval ?? 0,
        historizing: node.historizing ?? false,
      });
      ensureModellingRule(variable, node.modellingRule);
      link(variable);
      const entry = { variable, upstreamNodeId: resolveNodeId(node.nodeId) };
      index.variables.set(nodeId.toString(), entry);
      binder?.variable(entry);
      return;
    }
    case "Method": {
      const method = namespace.addMethod(parent as UAObject, {
        ...common,
        modellingRule,
        executable: node.executable ?? true,
        userExecutable: node.executable ?? true,
        inputArguments: node.inputArguments?.map((spec) => toArgument(spec, known)),
        outputArguments: node.outputArguments?.map((spec) => toArgument(spec, known)),
      });
      ensureModellingRule(method, node.modellingRule);
      // addMethod makes the HasComponent reference itself.
      if (!option?.componentOf) link(method);
      const entry = {
        method,
        upstreamObjectId: resolveNodeId(node.parent),
        upstreamMethodId: resolveNodeId(node.nodeId),
      };
      index.methods.set(nodeId.toString(), entry);
      binder?.method(entry);
    }
  }
}

function toArgument(spec: ArgumentSpec, known: (id: string | undefined, fallback: string) => NodeId) {
  return {
    name: spec.name,
    dataType: known(spec.dataType, "i=24"),
    valueRank: spec.valueRank,
    arrayDimensions: spec.arrayDimensions,
    description: spec.description ? { text: spec.description } : undefined,
  };
}
