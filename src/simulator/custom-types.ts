/**
 * Custom DataTypes in the simulator's own namespace, as real plant servers have them (PLC UDTs,
 * companion specifications): a Structure, a structure with optional fields, a nested structure, an
 * array of structures, a Union, an Enumeration (EnumValues), an OptionSet, a NodeId inside a
 * structure and a subtype of a built-in type. Each DataType has its DataTypeDefinition and a
 * "Default Binary" encoding node, so that any client decodes the values from what it reads here;
 * the structures are also in a 1.03 type dictionary (type-dictionary.ts) for clients of that age.
 *
 * Variables (folder `Simulation/Custom`, `ns=1;s=Custom.<Name>`): values of these types, the
 * measurement ones changing at every tick; `Custom.Setpoint` is writable; method
 * `Custom.Scale(Point, Double) → Point` takes and returns a structure.
 */
import {
  AccessLevelFlag,
  type AddressSpace,
  coerceInt64,
  DataType,
  type ExtensionObject,
  ensureDatatypeExtracted,
  type Namespace,
  NodeId,
  StatusCodes,
  type UADataType,
  type UAObject,
  type UAVariable,
  Variant,
  VariantArrayType,
} from "node-opcua";
import { setDataTypeDefinition } from "../node-opcua-private.ts";
import { addTypeDictionary } from "./type-dictionary.ts";

/** The encoding NodeIds: numeric, in the server's own namespace, like nodesets generated from UDTs. */
const TYPES = {
  Point: { dataType: 3001, encoding: 3101 },
  Reading: { dataType: 3002, encoding: 3102 },
  Station: { dataType: 3003, encoding: 3103 },
  Value: { dataType: 3004, encoding: 3104 },
  Tagged: { dataType: 3005, encoding: 3105 },
} as const;

export interface CustomTypeNodes {
  /** Sets the changing variables from the tick counter. */
  publish(counter: number, timestamp: Date): void;
}

function addEncoding(namespace: Namespace, dataType: UADataType, id: number): void {
  const encoding = namespace.addObject({
    nodeId: `i=${id}`,
    browseName: { name: "Default Binary", namespaceIndex: 0 },
    typeDefinition: "DataTypeEncodingType",
  });
  dataType.addReference({ referenceType: "HasEncoding", isForward: true, nodeId: encoding.nodeId });
}

function structure(
  namespace: Namespace,
  name: keyof typeof TYPES,
  subtypeOf: string,
  fields: { name: string; dataType: NodeId | string; valueRank?: number; isOptional?: boolean }[],
): UADataType {
  const ids = TYPES[name];
  const dataType = namespace.createDataType({
    nodeId: `i=${ids.dataType}`,
    browseName: name,
    isAbstract: false,
    subtypeOf,
    partialDefinition: fields.map((f) => ({
      name: f.name,
      dataType: typeof f.dataType === "string" ? resolveStandard(f.dataType) : f.dataType,
      valueRank: f.valueRank ?? -1,
      isOptional: f.isOptional ?? false,
    })),
  } as Parameters<Namespace["createDataType"]>[0]);
  addEncoding(namespace, dataType, ids.encoding);
  return dataType;
}

const STANDARD: Record<string, number> = {
  Boolean: 1,
  Int32: 6,
  UInt32: 7,
  Double: 11,
  String: 12,
  DateTime: 13,
  NodeId: 17,
};
function resolveStandard(name: string): NodeId {
  const id = STANDARD[name];
  if (id === undefined) throw new RangeError(`no standard DataType ${name}`);
  return new NodeId(NodeId.NodeIdType.NUMERIC, id, 0);
}

export async function buildCustomTypes(
  addressSpace: AddressSpace,
  simulation: UAObject,
): Promise<CustomTypeNodes> {
  const namespace = addressSpace.getOwnNamespace();
  const point = structure(namespace, "Point", "Structure", [
    { name: "X", dataType: "Double" },
    { name: "Y", dataType: "Double" },
  ]);
  const reading = structure(namespace, "Reading", "Structure", [
    { name: "Value", dataType: "Double" },
    { name: "Unit", dataType: "String", isOptional: true },
    { name: "Limit", dataType: "Double", isOptional: true },
  ]);
  // node-opcua numbers enumerations itself (addEnumerationType takes no NodeId)
  const state = namespace.addEnumerationType({
    browseName: "MachineState",
    enumeration: [
      { displayName: "Stopped", value: 0 },
      { displayName: "Running", value: 1 },
      { displayName: "Fault", value: 5 },
    ],
  });
  const station = structure(namespace, "Station", "Structure", [
    { name: "Name", dataType: "String" },
    { name: "Position", dataType: point.nodeId },
    { name: "Path", dataType: point.nodeId, valueRank: 1 },
    { name: "State", dataType: state.nodeId },
  ]);
  const value = structure(namespace, "Value", "Union", [
    { name: "Number", dataType: "Double" },
    { name: "Text", dataType: "String" },
  ]);
  const tagged = structure(namespace, "Tagged", "Structure", [
    { name: "Source", dataType: "NodeId" },
    { name: "Count", dataType: "Int32" },
  ]);
  // an OptionSet: a UInt32 subtype whose bits are named by OptionSetValues
  const alarms = namespace.createDataType({
    nodeId: "i=3007",
    browseName: "AlarmFlags",
    isAbstract: false,
    subtypeOf: "UInt32",
  });
  namespace.addVariable({
    propertyOf: alarms,
    browseName: { name: "OptionSetValues", namespaceIndex: 0 },
    dataType: "LocalizedText",
    valueRank: 1,
    value: {
      dataType: DataType.LocalizedText,
      arrayType: VariantArrayType.Array,
      value: [{ text: "High" }, { text: "Low" }, { text: "Sensor" }],
    },
  });
  setOptionSetDefinition(alarms, ["High", "Low", "Sensor"]);
  // a subtype of a built-in type
  const percent = namespace.createDataType({
    nodeId: "i=3008",
    browseName: "Percent",
    isAbstract: false,
    subtypeOf: "Double",
  });

  const encodingOf = (name: keyof typeof TYPES) =>
    new NodeId(NodeId.NodeIdType.NUMERIC, TYPES[name].encoding, namespace.index);
  addTypeDictionary(namespace, {
    Point: encodingOf("Point"),
    Reading: encodingOf("Reading"),
    Station: encodingOf("Station"),
    Value: encodingOf("Value"),
    Tagged: encodingOf("Tagged"),
  });

  await ensureDatatypeExtracted(addressSpace);
  const make = (dataType: UADataType, fields: Record<string, unknown>) =>
    addressSpace.constructExtensionObject(dataType, fields);

  const folder = namespace.addObject({
    componentOf: simulation,
    nodeId: "s=Custom",
    browseName: "Custom",
    typeDefinition: "FolderType",
  });
  const variable = (name: string, dataType: UADataType, valueRank = -1) =>
    namespace.addVariable({
      componentOf: folder,
      nodeId: `s=Custom.${name}`,
      browseName: name,
      dataType,
      valueRank,
      accessLevel: "CurrentRead",
      userAccessLevel: "CurrentRead",
      minimumSamplingInterval: 0,
    });
  const vars = {
    position: variable("Position", point),
    reading: variable("Reading", reading),
    station: variable("Station", station),
    path: variable("Path", point, 1),
    value: variable("Value", value),
    tagged: variable("Tagged", tagged),
    state: variable("State", state),
    alarms: variable("Alarms", alarms),
    percent: variable("Percent", percent),
  };
  // Position keeps its recent values for HistoryRead of structures
  vars.position.accessLevel |= AccessLevelFlag.HistoryRead;
  vars.position.userAccessLevel = (vars.position.userAccessLevel ?? 0) | AccessLevelFlag.HistoryRead;
  addressSpace.installHistoricalDataNode(vars.position, { maxOnlineValues: 10_000 });
  const setpointNode = namespace.addVariable({
    componentOf: folder,
    nodeId: "s=Custom.Setpoint",
    browseName: "Setpoint",
    dataType: point,
    accessLevel: "CurrentRead | CurrentWrite",
    userAccessLevel: "CurrentRead | CurrentWrite",
    minimumSamplingInterval: 0,
  });
  setpointNode.setValueFromSource(
    { dataType: DataType.ExtensionObject, value: make(point, { x: 1, y: 2 }) },
    StatusCodes.Good,
  );
  addScale(namespace, folder, point, make);

  const set = (node: UAVariable, v: Variant, timestamp: Date) =>
    node.setValueFromSource(v, StatusCodes.Good, timestamp);
  const ext = (value: ExtensionObject | ExtensionObject[]) =>
    new Variant({
      dataType: DataType.ExtensionObject,
      arrayType: Array.isArray(value) ? VariantArrayType.Array : VariantArrayType.Scalar,
      value,
    });
  const publish = (counter: number, timestamp: Date) => {
    const at = (k: number) => make(point, { x: counter + k, y: -counter - k });
    set(vars.position, ext(at(0)), timestamp);
    // optional fields present on even ticks only
    set(
      vars.reading,
      ext(
        make(
          reading,
          counter % 2 === 0 ? { value: counter / 10, unit: "bar", limit: 9.5 } : { value: counter / 10 },
        ),
      ),
      timestamp,
    );
    set(
      vars.station,
      ext(
        make(station, { name: `S${counter % 3}`, position: at(1), path: [at(2), at(3)], state: counter % 2 }),
      ),
      timestamp,
    );
    set(vars.path, ext([at(0), at(1), at(2)]), timestamp);
    set(
      vars.value,
      ext(
        make(
          value,
          counter % 2 === 0 ? { switchField: 1, number: counter } : { switchField: 2, text: `t${counter}` },
        ),
      ),
      timestamp,
    );
    set(vars.tagged, ext(make(tagged, { source: setpointNode.nodeId, count: counter })), timestamp);
    set(vars.state, new Variant({ dataType: DataType.Int32, value: [0, 1, 5][counter % 3] }), timestamp);
    set(vars.alarms, new Variant({ dataType: DataType.UInt32, value: counter % 8 }), timestamp);
    set(vars.percent, new Variant({ dataType: DataType.Double, value: counter % 100 }), timestamp);
  };
  publish(0, new Date());
  return { publish };
}

/**
 * An OptionSet's DataTypeDefinition is an EnumDefinition whose values are bit numbers (Part 3
 * §8.49); node-opcua computes definitions for structures and enumerations only, so it is set here.
 */
function setOptionSetDefinition(dataType: UADataType, bits: string[]): void {
  // EnumDefinition (i=100) from the standard factory: node-opcua-types is not a dependency of ours
  const definition = dataType.addressSpace.constructExtensionObject(
    new NodeId(NodeId.NodeIdType.NUMERIC, 100, 0),
    {
      fields: bits.map((name, bit) => ({ name, value: coerceInt64(bit), displayName: { text: name } })),
    },
  );
  setDataTypeDefinition(dataType, definition);
}

/** `Custom.Scale(Point, Factor) → Point`: a method with structure arguments. */
function addScale(
  namespace: Namespace,
  folder: UAObject,
  point: UADataType,
  make: (dataType: UADataType, fields: Record<string, unknown>) => ExtensionObject,
): void {
  const method = namespace.addMethod(folder, {
    nodeId: "s=Custom.Scale",
    browseName: "Scale",
    inputArguments: [
      { name: "Point", dataType: point.nodeId, valueRank: -1 },
      { name: "Factor", dataType: DataType.Double, valueRank: -1 },
    ],
    outputArguments: [{ name: "Point", dataType: point.nodeId, valueRank: -1 }],
  });
  method.bindMethod(async (inputArguments: Variant[], _context: unknown) => {
    const p = inputArguments[0]?.value as { x?: number; y?: number } | null;
    const factor = Number(inputArguments[1]?.value ?? 1);
    if (!p || typeof p.x !== "number") return { statusCode: StatusCodes.BadInvalidArgument };
    return {
      statusCode: StatusCodes.Good,
      outputArguments: [
        {
          dataType: DataType.ExtensionObject,
          value: make(point, { x: p.x * factor, y: (p.y ?? 0) * factor }),
        },
      ],
    };
  });
}
