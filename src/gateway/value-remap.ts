/**
 * NodeId-valued data between an upstream server and the gateway (DESIGN §5): a value of type
 * NodeId, ExpandedNodeId or QualifiedName carries a namespace index, which means something else on
 * the other side when the two NamespaceArrays differ. Values of every other type pass untouched (and
 * without a copy: this runs for every value pushed from upstream).
 */
import { DataType, ExpandedNodeId, NodeId, QualifiedName, Variant, VariantArrayType } from "node-opcua";

/** Namespace index on one side → index on the other; an index it does not know is kept as it is. */
export type IndexMap = (namespaceIndex: number) => number | undefined;

const MAPPED_TYPES = new Set([DataType.NodeId, DataType.ExpandedNodeId, DataType.QualifiedName]);

function remapOne(value: unknown, map: IndexMap): unknown {
  if (value instanceof ExpandedNodeId) {
    // an ExpandedNodeId with a namespace URI names its namespace itself
    if (value.namespaceUri) return value;
    const ns = map(value.namespace) ?? value.namespace;
    return new ExpandedNodeId(value.identifierType, value.value, ns, null, value.serverIndex);
  }
  if (value instanceof NodeId) {
    const ns = map(value.namespace) ?? value.namespace;
    return ns === value.namespace ? value : new NodeId(value.identifierType, value.value, ns);
  }
  if (value instanceof QualifiedName) {
    const ns = map(value.namespaceIndex) ?? value.namespaceIndex;
    return ns === value.namespaceIndex ? value : new QualifiedName({ name: value.name, namespaceIndex: ns });
  }
  return value;
}

/** `variant` with its NodeIds, ExpandedNodeIds and QualifiedNames re-indexed by `map`. */
export function remapVariant(variant: Variant, map: IndexMap): Variant {
  if (!MAPPED_TYPES.has(variant.dataType)) return variant;
  let value: unknown;
  let changed = false;
  if (variant.arrayType === VariantArrayType.Scalar) {
    value = remapOne(variant.value, map);
    changed = value !== variant.value;
  } else {
    const items = (variant.value as unknown[] | null) ?? [];
    value = items.map((v) => remapOne(v, map));
    changed = (value as unknown[]).some((v, i) => v !== items[i]);
  }
  if (!changed) return variant;
  return new Variant({
    dataType: variant.dataType,
    arrayType: variant.arrayType,
    dimensions: variant.dimensions,
    value,
  });
}

/** Both directions for one upstream server. */
export interface ValueRemap {
  toDownstream(variant: Variant): Variant;
  toUpstream(variant: Variant): Variant;
}

export const IDENTITY_REMAP: ValueRemap = { toDownstream: (v) => v, toUpstream: (v) => v };

export function valueRemap(toDownstream: IndexMap, toUpstream: IndexMap): ValueRemap {
  return {
    toDownstream: (v) => remapVariant(v, toDownstream),
    toUpstream: (v) => remapVariant(v, toUpstream),
  };
}
