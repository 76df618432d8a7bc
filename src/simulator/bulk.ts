/**
 * Bulk variables for scale tests and benchmarks: `ns=1;s=Bulk.<i>` (Int32, i = 0..count-1) in a
 * folder `Bulk`, each set to the current Counter value at every tick with the tick's timestamp, so
 * that a client can measure throughput and latency over many items. With `structureEvery` n > 0,
 * every n-th one (i % n === 0) holds a Custom Point structure (custom-types.ts) with X = Counter.
 */
import {
  type AddressSpace,
  DataType,
  type ExtensionObject,
  resolveNodeId,
  StatusCodes,
  type UAVariable,
  Variant,
} from "node-opcua";

export interface BulkNodes {
  /** Sets every bulk variable to `value` (a Point with X = value for the structure-typed ones). */
  publish(value: number, timestamp: Date): void;
}

const POINT = "ns=1;i=3001";

export function buildBulkNodes(addressSpace: AddressSpace, count: number, structureEvery = 0): BulkNodes {
  const namespace = addressSpace.getOwnNamespace();
  const folder = namespace.addFolder(addressSpace.rootFolder.objects, {
    nodeId: "s=Bulk",
    browseName: "Bulk",
  });
  const plain: UAVariable[] = [];
  const structured: UAVariable[] = [];
  const point = structureEvery > 0 ? addressSpace.findDataType(resolveNodeId(POINT)) : null;
  for (let i = 0; i < count; i++) {
    const isStructure = point !== null && i % structureEvery === 0;
    const variable = namespace.addVariable({
      componentOf: folder,
      nodeId: `s=Bulk.${i}`,
      browseName: `Bulk.${i}`,
      dataType: isStructure && point ? point : "Int32",
      accessLevel: "CurrentRead",
      userAccessLevel: "CurrentRead",
      minimumSamplingInterval: 0,
    });
    (isStructure ? structured : plain).push(variable);
  }
  return {
    publish(value, timestamp) {
      const variant = { dataType: DataType.Int32, value };
      for (const variable of plain) variable.setValueFromSource(variant, StatusCodes.Good, timestamp);
      if (!point || structured.length === 0) return;
      const structure: ExtensionObject = addressSpace.constructExtensionObject(point, { x: value, y: 0 });
      const boxed = new Variant({ dataType: DataType.ExtensionObject, value: structure });
      for (const variable of structured) variable.setValueFromSource(boxed, StatusCodes.Good, timestamp);
    },
  };
}
