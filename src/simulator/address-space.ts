/**
 * The simulator's address space: folder `Simulation` under Objects, in the server's own namespace
 * (index 1), with string NodeIds `ns=1;s=<Name>`. Writable variables are bound to a setter that
 * reports every client write before node-opcua stores the value (and notifies subscribers).
 */
import {
  AccessLevelFlag,
  type AddressSpace,
  DataType,
  type Namespace,
  type StatusCode,
  StatusCodes,
  type UAObject,
  type UAVariable,
  Variant,
} from "node-opcua";
import { buildDeviceModel } from "./device-model.ts";

/** A client write accepted by a writable simulator variable. */
export interface AcceptedWrite {
  nodeId: string;
  value: unknown;
}

/** A writable variable: its current value lives here; node-opcua stores the DataValue. */
export interface WritableVariable<T> {
  readonly node: UAVariable;
  readonly nodeId: string;
  get(): T;
  /** Sets the value from the server side (not logged as a write); subscribers are notified. */
  set(value: T, timestamp?: Date): void;
}

export interface SimulationNodes {
  counter: UAVariable;
  sine: UAVariable;
  status: WritableVariable<number>;
  quality: WritableVariable<boolean>;
  serviceLevel: WritableVariable<number>;
  simulatedServerState: WritableVariable<number>;
  /** true: Counter and Sine stop changing (a device that stopped updating, for noChangeMs monitors). */
  freeze: WritableVariable<boolean>;
}

export interface BuildOptions {
  /** Called for every accepted client write, before the value is stored. */
  onWrite(write: AcceptedWrite): void;
  /** Validates a client write; a non-Good StatusCode rejects it (the value is not stored). */
  validate?(name: string, value: unknown): StatusCode;
}

function addReadOnly(
  namespace: Namespace,
  folder: UAObject,
  name: string,
  dataType: DataType,
  value: unknown,
) {
  const node = namespace.addVariable({
    componentOf: folder,
    browseName: name,
    nodeId: `s=${name}`,
    dataType: DataType[dataType],
    accessLevel: "CurrentRead",
    userAccessLevel: "CurrentRead",
    minimumSamplingInterval: 0, // exception-based: a subscriber with samplingInterval 0 sees every value
  });
  node.setValueFromSource({ dataType, value }, StatusCodes.Good, new Date());
  return node;
}

function addWritable<T>(
  namespace: Namespace,
  folder: UAObject,
  name: string,
  dataType: DataType,
  initial: T,
  options: BuildOptions,
): WritableVariable<T> {
  let current = initial;
  const nodeId = `ns=${namespace.index};s=${name}`;
  const node = namespace.addVariable({
    componentOf: folder,
    browseName: name,
    nodeId: `s=${name}`,
    dataType: DataType[dataType],
    accessLevel: "CurrentRead | CurrentWrite",
    userAccessLevel: "CurrentRead | CurrentWrite",
    // bound to a getter, so sampled (node-opcua warns about a getter with interval 0); changes are rare
    minimumSamplingInterval: 50,
    value: {
      get: () => new Variant({ dataType, value: current }),
      set: (variant: Variant) => {
        const value = variant.value as T;
        const verdict = options.validate?.(name, value) ?? StatusCodes.Good;
        if (verdict.isNotGood()) {
          return verdict;
        }
        current = value;
        options.onWrite({ nodeId, value });
        return StatusCodes.Good;
      },
    },
  });
  const set = (value: T, timestamp: Date = new Date()) => {
    current = value;
    node.setValueFromSource({ dataType, value }, StatusCodes.Good, timestamp);
  };
  set(initial);
  return { node, nodeId, get: () => current, set };
}

/**
 * `ns=1;s=Echo(Text) → Text`: a method whose calls are logged like writes, so that tests can prove
 * which server a call reached.
 */
function addEcho(namespace: Namespace, folder: UAObject, options: BuildOptions): void {
  const method = namespace.addMethod(folder, {
    nodeId: "s=Echo",
    browseName: "Echo",
    inputArguments: [{ name: "Text", dataType: DataType.String, valueRank: -1 }],
    outputArguments: [{ name: "Text", dataType: DataType.String, valueRank: -1 }],
  });
  method.bindMethod(async (inputArguments: Variant[], _context: unknown) => {
    const text = String(inputArguments[0]?.value ?? "");
    options.onWrite({ nodeId: "ns=1;s=Echo", value: text });
    return { statusCode: StatusCodes.Good, outputArguments: [{ dataType: DataType.String, value: text }] };
  });
}

/** Adds the Simulation folder and its variables to the server's own namespace. */
export function buildSimulationNodes(addressSpace: AddressSpace, options: BuildOptions): SimulationNodes {
  const namespace = addressSpace.getOwnNamespace();
  const folder = namespace.addFolder(addressSpace.rootFolder.objects, {
    nodeId: "s=Simulation",
    browseName: "Simulation",
  });
  addEcho(namespace, folder, options);
  buildDeviceModel(addressSpace, folder);
  const counter = addReadOnly(namespace, folder, "Counter", DataType.Int32, 0);
  // Counter keeps its recent values (about 3 minutes at a 20 ms tick) for HistoryRead.
  counter.accessLevel |= AccessLevelFlag.HistoryRead;
  counter.userAccessLevel = (counter.userAccessLevel ?? 0) | AccessLevelFlag.HistoryRead;
  addressSpace.installHistoricalDataNode(counter, { maxOnlineValues: 10_000 });
  return {
    counter,
    sine: addReadOnly(namespace, folder, "Sine", DataType.Double, 0),
    status: addWritable(namespace, folder, "Status", DataType.Int32, 0, options),
    quality: addWritable(namespace, folder, "Quality", DataType.Boolean, true, options),
    serviceLevel: addWritable(namespace, folder, "ServiceLevel", DataType.Byte, 255, options),
    simulatedServerState: addWritable(namespace, folder, "SimulatedServerState", DataType.Int32, 0, options),
    freeze: addWritable(namespace, folder, "Freeze", DataType.Boolean, false, options),
  };
}
