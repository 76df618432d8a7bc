/**
 * Address-space changes at run time, for the gateway's model-change tests and the demo: folder
 * `ns=1;s=Dynamic` (with a NodeVersion property, so node-opcua bumps it and raises a
 * GeneralModelChangeEvent on every node added or removed below it) and its methods
 * `AddNodes(Count)` (Int32 variables `ns=1;s=Dynamic.Var<n>`, value n), `RemoveNodes(Count)` (the
 * newest first) and `SetDescription(Text)` (an attribute change without a reference change);
 * `AddUnversioned(Count)` adds variables below `ns=1;s=Dynamic.Unversioned` (no NodeVersion) and
 * raises the GeneralModelChangeEvent itself.
 */
import {
  type AddressSpace,
  DataType,
  type Namespace,
  resolveNodeId,
  StatusCodes,
  type UAObject,
  type Variant,
  VariantArrayType,
} from "node-opcua";

/** At most this many nodes per AddNodes call (a test server, not a load generator). */
const MAX_PER_CALL = 10_000;

export function buildDynamicNodes(addressSpace: AddressSpace, simulation: UAObject): void {
  const namespace = addressSpace.getOwnNamespace();
  const folder = namespace.addObject({
    componentOf: simulation,
    nodeId: "s=Dynamic",
    browseName: "Dynamic",
    typeDefinition: "FolderType",
    nodeVersion: "0",
  } as Parameters<Namespace["addObject"]>[0]);
  let next = 0;
  const live: string[] = [];
  const count = (args: Variant[]) => Number(args[0]?.value ?? 0);
  const method = (
    name: string,
    input: { name: string; dataType: DataType },
    run: (args: Variant[]) => boolean,
  ) => {
    namespace
      .addMethod(folder, {
        nodeId: `s=Dynamic.${name}`,
        browseName: name,
        inputArguments: [{ ...input, valueRank: -1 }],
        outputArguments: [],
      })
      .bindMethod(async (args: Variant[], _context: unknown) => ({
        statusCode: run(args) ? StatusCodes.Good : StatusCodes.BadInvalidArgument,
      }));
  };
  method("AddNodes", { name: "Count", dataType: DataType.UInt32 }, (args) => {
    const n = count(args);
    if (!Number.isInteger(n) || n < 1 || n > MAX_PER_CALL) return false;
    for (let i = 0; i < n; i++, next++) {
      const variable = namespace.addVariable({
        componentOf: folder,
        nodeId: `s=Dynamic.Var${next}`,
        browseName: `Var${next}`,
        dataType: "Int32",
        accessLevel: "CurrentRead",
        userAccessLevel: "CurrentRead",
        minimumSamplingInterval: 0,
      });
      variable.setValueFromSource({ dataType: DataType.Int32, value: next }, StatusCodes.Good);
      live.push(variable.nodeId.toString());
    }
    return true;
  });
  method("RemoveNodes", { name: "Count", dataType: DataType.UInt32 }, (args) => {
    const n = count(args);
    if (!Number.isInteger(n) || n < 1 || n > live.length) return false;
    for (const nodeId of live.splice(live.length - n, n).reverse())
      addressSpace.deleteNode(resolveNodeId(nodeId));
    return true;
  });
  // a folder without NodeVersion whose changes the server announces itself (as servers may)
  const unversioned = namespace.addObject({
    componentOf: folder,
    nodeId: "s=Dynamic.Unversioned",
    browseName: "Unversioned",
    typeDefinition: "FolderType",
  });
  let hidden = 0;
  method("AddUnversioned", { name: "Count", dataType: DataType.UInt32 }, (args) => {
    const n = count(args);
    if (!Number.isInteger(n) || n < 1 || n > MAX_PER_CALL) return false;
    const changes = [];
    for (let i = 0; i < n; i++, hidden++) {
      const variable = namespace.addVariable({
        componentOf: unversioned,
        nodeId: `s=Dynamic.Unversioned.Var${hidden}`,
        browseName: `Var${hidden}`,
        dataType: "Int32",
        accessLevel: "CurrentRead",
        userAccessLevel: "CurrentRead",
        minimumSamplingInterval: 0,
      });
      variable.setValueFromSource({ dataType: DataType.Int32, value: hidden }, StatusCodes.Good);
      changes.push(
        addressSpace.constructExtensionObject(resolveNodeId("i=877"), {
          affected: variable.nodeId,
          affectedType: resolveNodeId("i=63"),
          verb: 1, // NodeAdded
        }),
      );
    }
    addressSpace.rootFolder.objects.server.raiseEvent("GeneralModelChangeEventType", {
      changes: { dataType: DataType.ExtensionObject, arrayType: VariantArrayType.Array, value: changes },
    });
    return true;
  });
  method("SetDescription", { name: "Text", dataType: DataType.String }, (args) => {
    folder.setDescription(String(args[0]?.value ?? ""));
    return true;
  });
}
