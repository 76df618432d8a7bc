/**
 * Bulk variables for scale tests and benchmarks: `ns=1;s=Bulk.<i>` (Int32, i = 0..count-1) in a
 * folder `Bulk`, by GROUP in sub-folders `Bulk.G<k>` as a server groups its tags by device (a
 * node-opcua server builds every reference of a node it is asked to browse: one folder of 300,000
 * took it seconds, during which it answered nothing), each set to the current Counter value at every tick with the tick's timestamp, so
 * that a client can measure throughput and latency over many items. With `structureEvery` n > 0,
 * every n-th one (i % n === 0) holds a Custom Point structure (custom-types.ts) with X = Counter.
 *
 * Like a server polling many tags, the simulator updates them in slices of CHUNK per turn of the
 * event loop: setting 300,000 values in one turn kept it from answering anything (status queries
 * included) for over a second at every tick. Every value keeps its tick's timestamp, and a tick's
 * pass is finished before the next one starts: each variable sees every tick, in order.
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
  let group = folder;
  for (let i = 0; i < count; i++) {
    if (i % GROUP === 0 && count > GROUP)
      group = namespace.addFolder(folder, {
        nodeId: `s=Bulk.G${i / GROUP}`,
        browseName: `Bulk.G${i / GROUP}`,
      });
    const isStructure = point !== null && i % structureEvery === 0;
    const variable = namespace.addVariable({
      componentOf: group,
      nodeId: `s=Bulk.${i}`,
      browseName: `Bulk.${i}`,
      dataType: isStructure && point ? point : "Int32",
      accessLevel: "CurrentRead",
      userAccessLevel: "CurrentRead",
      minimumSamplingInterval: 0,
    });
    (isStructure ? structured : plain).push(variable);
  }
  const setAll = (value: number, timestamp: Date, from: number, to: number): void => {
    const variant = { dataType: DataType.Int32, value };
    for (let i = from; i < Math.min(to, plain.length); i++)
      plain[i]!.setValueFromSource(variant, StatusCodes.Good, timestamp);
    if (!point || structured.length === 0 || to <= plain.length) return;
    const structure: ExtensionObject = addressSpace.constructExtensionObject(point, { x: value, y: 0 });
    const boxed = new Variant({ dataType: DataType.ExtensionObject, value: structure });
    for (let i = Math.max(0, from - plain.length); i < to - plain.length && i < structured.length; i++)
      structured[i]!.setValueFromSource(boxed, StatusCodes.Good, timestamp);
  };
  const total = plain.length + structured.length;
  /** Ticks waiting for their pass (the first one is being set). */
  const passes: { value: number; timestamp: Date }[] = [];
  let next = 0;
  const step = (): void => {
    const pass = passes[0];
    if (!pass) return;
    setAll(pass.value, pass.timestamp, next, next + CHUNK);
    next += CHUNK;
    if (next >= total) {
      passes.shift();
      next = 0;
    }
    if (passes.length > 0) setImmediate(step);
  };
  return {
    publish(value, timestamp) {
      if (total <= CHUNK && passes.length === 0) return setAll(value, timestamp, 0, total);
      passes.push({ value, timestamp });
      if (passes.length === 1) step();
    },
  };
}

/** Variables per sub-folder (up to this many, they are in `Bulk` itself). */
const GROUP = 1000;

/** Variables set per turn of the event loop (about 30 ms of work). */
const CHUNK = 10_000;
