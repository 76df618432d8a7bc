/**
 * Deliberate differences for a simulator that plays a not-quite-matching partner (pair-check
 * tests): variables left out, or given another DataType (Double, or Int32 for a Double). The
 * nodes are changed after the address space is built, so the rest of it stays identical.
 */
import { type AddressSpace, type BaseNode, DataType, NodeClass, type UAVariable } from "node-opcua";
import { RedundancyError } from "../errors.ts";

export interface NodeChanges {
  /** NodeIds of variables to leave out, e.g. "ns=1;s=Bulk.7". */
  omit?: readonly string[];
  /** NodeIds of variables whose DataType changes (Double; a Double becomes Int32). */
  retype?: readonly string[];
}

function variable(addressSpace: AddressSpace, nodeId: string): UAVariable {
  const node = addressSpace.findNode(nodeId);
  if (node?.nodeClass !== NodeClass.Variable)
    throw new RedundancyError("ERR_INVALID_ARGUMENT", `simulator: no variable ${nodeId} to change`);
  return node as UAVariable;
}

/** The simulator's tickers keep references to their variables: a deleted one ignores their values. */
function remove(addressSpace: AddressSpace, node: UAVariable): void {
  addressSpace.deleteNode(node);
  node.setValueFromSource = () => undefined;
}

export function applyNodeChanges(addressSpace: AddressSpace, changes: NodeChanges): void {
  for (const nodeId of changes.omit ?? []) remove(addressSpace, variable(addressSpace, nodeId));
  for (const nodeId of changes.retype ?? []) {
    const old = variable(addressSpace, nodeId);
    const parent = old.parent as BaseNode | null;
    const browseName = old.browseName;
    const wasDouble = old.dataType.value === DataType.Double && old.dataType.namespace === 0;
    remove(addressSpace, old);
    addressSpace.getNamespace(browseName.namespaceIndex).addVariable({
      ...(parent ? { componentOf: parent } : {}),
      nodeId: old.nodeId,
      browseName,
      dataType: wasDouble ? "Int32" : "Double",
      accessLevel: "CurrentRead",
      userAccessLevel: "CurrentRead",
      value: { dataType: wasDouble ? DataType.Int32 : DataType.Double, value: 0 },
    });
  }
}
