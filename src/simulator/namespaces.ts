/**
 * Two extra namespaces, registered in a chosen order, so that tests can run a pair whose servers
 * (or one server before and after a restart) give the same namespace URI different indices. Each
 * has a String variable `s=Tag` whose value names its namespace: reading the wrong index shows.
 */
import { type AddressSpace, DataType, type UAObject } from "node-opcua";

export const EXTRA_NAMESPACES = [
  "urn:opcua-redundancy:simulator:alpha",
  "urn:opcua-redundancy:simulator:beta",
];
export type NamespaceOrder = "normal" | "reversed";

export function buildExtraNamespaces(
  addressSpace: AddressSpace,
  folder: UAObject,
  order: NamespaceOrder,
): void {
  const uris = order === "reversed" ? [...EXTRA_NAMESPACES].reverse() : EXTRA_NAMESPACES;
  for (const uri of uris) {
    const namespace = addressSpace.registerNamespace(uri);
    namespace.addVariable({
      componentOf: folder,
      browseName: "Tag",
      nodeId: "s=Tag",
      dataType: "String",
      accessLevel: "CurrentRead",
      userAccessLevel: "CurrentRead",
      value: { dataType: DataType.String, value: uri.split(":").at(-1)! },
    });
  }
}
