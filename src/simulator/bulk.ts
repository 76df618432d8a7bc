/**
 * Bulk variables for scale tests and benchmarks: `ns=1;s=Bulk.<i>` (Int32, i = 0..count-1) in a
 * folder `Bulk`, each set to the current Counter value at every tick with the tick's timestamp, so
 * that a client can measure throughput and latency over many items.
 */
import { type AddressSpace, DataType, StatusCodes, type UAVariable } from "node-opcua";

export interface BulkNodes {
  /** Sets every bulk variable; `every` > 1 updates only one variable in `every` per tick, round-robin. */
  publish(value: number, timestamp: Date): void;
}

export function buildBulkNodes(addressSpace: AddressSpace, count: number): BulkNodes {
  const namespace = addressSpace.getOwnNamespace();
  const folder = namespace.addFolder(addressSpace.rootFolder.objects, {
    nodeId: "s=Bulk",
    browseName: "Bulk",
  });
  const variables: UAVariable[] = [];
  for (let i = 0; i < count; i++) {
    variables.push(
      namespace.addVariable({
        componentOf: folder,
        nodeId: `s=Bulk.${i}`,
        browseName: `Bulk.${i}`,
        dataType: "Int32",
        accessLevel: "CurrentRead",
        userAccessLevel: "CurrentRead",
        minimumSamplingInterval: 0,
      }),
    );
  }
  return {
    publish(value, timestamp) {
      const variant = { dataType: DataType.Int32, value };
      for (const variable of variables) variable.setValueFromSource(variant, StatusCodes.Good, timestamp);
    },
  };
}
