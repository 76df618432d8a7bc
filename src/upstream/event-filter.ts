/**
 * EventFilters between namespace tables (downstream ↔ canonical ↔ one server), a stable key for
 * sharing one upstream event item between equal filters, and the hidden select clauses the
 * engine appends to every upstream event item (fields it needs for itself: hot-mode matching and
 * refresh framing), stripped again before the fields are delivered.
 *
 * Every NodeId and QualifiedName a filter carries is re-indexed: select clauses (TypeDefinitionId,
 * BrowsePath), where-clause operands (SimpleAttributeOperand, AttributeOperand with its
 * RelativePath, LiteralOperand values of type NodeId, ExpandedNodeId or QualifiedName).
 */
import {
  AttributeIds,
  AttributeOperand,
  ContentFilter,
  ContentFilterElement,
  DataType,
  ElementOperand,
  EventFilter,
  ExpandedNodeId,
  type ExtensionObject,
  LiteralOperand,
  NodeId,
  QualifiedName,
  RelativePath,
  RelativePathElement,
  resolveNodeId,
  SimpleAttributeOperand,
  Variant,
  VariantArrayType,
} from "node-opcua";

/** Namespace index on one side → the other side's; undefined: kept as it is. */
export type NamespaceIndexMap = (namespaceIndex: number) => number | undefined;

function ns(index: number, map: NamespaceIndexMap): number {
  return index === 0 ? 0 : (map(index) ?? index);
}

function nodeId(id: NodeId, map: NamespaceIndexMap): NodeId {
  const to = ns(id.namespace, map);
  return to === id.namespace ? id : new NodeId(id.identifierType, id.value, to);
}

function qualifiedName(name: QualifiedName, map: NamespaceIndexMap): QualifiedName {
  return new QualifiedName({ name: name.name, namespaceIndex: ns(name.namespaceIndex, map) });
}

function literalValue(value: unknown, map: NamespaceIndexMap): unknown {
  if (value instanceof ExpandedNodeId) {
    if (value.namespaceUri) return value;
    return new ExpandedNodeId(
      value.identifierType,
      value.value,
      ns(value.namespace, map),
      null,
      value.serverIndex,
    );
  }
  if (value instanceof NodeId) return nodeId(value, map);
  if (value instanceof QualifiedName) return qualifiedName(value, map);
  return value;
}

/** A Variant with its NodeIds, ExpandedNodeIds and QualifiedNames re-indexed. */
export function remapFieldVariant(variant: Variant, map: NamespaceIndexMap): Variant {
  const t = variant.dataType;
  if (t !== DataType.NodeId && t !== DataType.ExpandedNodeId && t !== DataType.QualifiedName) return variant;
  const value =
    variant.arrayType === VariantArrayType.Scalar
      ? literalValue(variant.value, map)
      : ((variant.value as unknown[] | null) ?? []).map((v) => literalValue(v, map));
  return new Variant({ dataType: t, arrayType: variant.arrayType, dimensions: variant.dimensions, value });
}

function simpleOperand(op: SimpleAttributeOperand, map: NamespaceIndexMap): SimpleAttributeOperand {
  return new SimpleAttributeOperand({
    typeDefinitionId: nodeId(op.typeDefinitionId, map),
    browsePath: (op.browsePath ?? []).map((q) => qualifiedName(q, map)),
    attributeId: op.attributeId,
    indexRange: op.indexRange,
  });
}

function operand(op: ExtensionObject | null, map: NamespaceIndexMap): ExtensionObject | null {
  if (op instanceof SimpleAttributeOperand) return simpleOperand(op, map);
  if (op instanceof LiteralOperand) return new LiteralOperand({ value: remapFieldVariant(op.value, map) });
  if (op instanceof ElementOperand) return new ElementOperand({ index: op.index });
  if (op instanceof AttributeOperand) {
    return new AttributeOperand({
      nodeId: nodeId(op.nodeId, map),
      alias: op.alias,
      browsePath: new RelativePath({
        elements: (op.browsePath?.elements ?? []).map(
          (e) =>
            new RelativePathElement({
              referenceTypeId: nodeId(e.referenceTypeId, map),
              isInverse: e.isInverse,
              includeSubtypes: e.includeSubtypes,
              targetName: qualifiedName(e.targetName, map),
            }),
        ),
      }),
      attributeId: op.attributeId,
      indexRange: op.indexRange,
    });
  }
  return op;
}

/** `filter` with every namespace index it carries re-indexed by `map` (a new object). */
export function remapEventFilter(filter: EventFilter, map: NamespaceIndexMap): EventFilter {
  return new EventFilter({
    selectClauses: (filter.selectClauses ?? []).map((s) => simpleOperand(s, map)),
    whereClause: new ContentFilter({
      elements: (filter.whereClause?.elements ?? []).map(
        (e) =>
          new ContentFilterElement({
            filterOperator: e.filterOperator,
            filterOperands: (e.filterOperands ?? []).map((o) => operand(o, map)),
          }),
      ),
    }),
  });
}

/** Equal filters (after re-mapping to canonical indices) give equal keys. */
export function eventFilterKey(notifier: NodeId, filter: EventFilter): string {
  return `${notifier.toString()}|${JSON.stringify(filter.toJSON())}`;
}

const BASE_EVENT_TYPE = resolveNodeId("i=2041");
const CONDITION_TYPE = resolveNodeId("i=2782");

function field(name: string): SimpleAttributeOperand {
  return new SimpleAttributeOperand({
    typeDefinitionId: BASE_EVENT_TYPE,
    browsePath: [new QualifiedName({ name })],
    attributeId: AttributeIds.Value,
  });
}

/**
 * The fields the engine itself reads from every event, appended after the client's own select
 * clauses: EventType (refresh brackets), and the fields hot-mode matching compares (README
 * "Events and alarms"): SourceNode, Time, Message, ConditionId (the NodeId of a ConditionType
 * event, null for others) and Retain.
 */
export const HIDDEN_FIELDS = ["eventType", "sourceNode", "time", "message", "conditionId", "retain"] as const;
export type HiddenFields = Record<(typeof HIDDEN_FIELDS)[number], Variant>;

export function withHiddenFields(filter: EventFilter): EventFilter {
  const conditionId = new SimpleAttributeOperand({
    typeDefinitionId: CONDITION_TYPE,
    browsePath: [],
    attributeId: AttributeIds.NodeId,
  });
  const retain = new SimpleAttributeOperand({
    typeDefinitionId: CONDITION_TYPE,
    browsePath: [new QualifiedName({ name: "Retain" })],
    attributeId: AttributeIds.Value,
  });
  return new EventFilter({
    selectClauses: [
      ...(filter.selectClauses ?? []),
      field("EventType"),
      field("SourceNode"),
      field("Time"),
      field("Message"),
      conditionId,
      retain,
    ],
    whereClause: filter.whereClause,
  });
}

/** Splits an upstream event's fields into the client's own and the hidden ones. */
export function splitHiddenFields(fields: readonly Variant[]): { own: Variant[]; hidden: HiddenFields } {
  const cut = fields.length - HIDDEN_FIELDS.length;
  const hidden = {} as HiddenFields;
  HIDDEN_FIELDS.forEach((name, i) => {
    hidden[name] = fields[cut + i] ?? new Variant();
  });
  return { own: fields.slice(0, Math.max(0, cut)), hidden };
}
