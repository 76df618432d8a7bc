/**
 * A small information model in the simulator's own namespace, so that the gateway's mirror of
 * Types and Views is tested against what real servers have: an ObjectType with an instance
 * declaration, a VariableType, an enumeration DataType, an instance of them below Simulation, a
 * NodeId-valued variable, and a View.
 */
import { type AddressSpace, DataType, type NodeId, StatusCodes, type UAObject } from "node-opcua";

export function buildDeviceModel(addressSpace: AddressSpace, simulation: UAObject): void {
  const namespace = addressSpace.getOwnNamespace();
  const pumpType = namespace.addObjectType({ nodeId: "s=PumpType", browseName: "PumpType" });
  namespace.addVariable({
    componentOf: pumpType,
    nodeId: "s=PumpType.Speed",
    browseName: "Speed",
    dataType: "Double",
    modellingRule: "Mandatory",
  });
  const speedType = namespace.addVariableType({
    nodeId: "s=SpeedType",
    browseName: "SpeedType",
    subtypeOf: "BaseDataVariableType",
    dataType: "Double",
    valueRank: -1,
  });
  const pumpMode = namespace.addEnumerationType({
    nodeId: "s=PumpMode",
    browseName: "PumpMode",
    enumeration: ["Off", "Manual", "Auto"],
  });

  const pump = namespace.addObject({
    componentOf: simulation,
    nodeId: "s=Pump1",
    browseName: "Pump1",
    typeDefinition: pumpType,
  });
  const speed = namespace.addVariable({
    componentOf: pump,
    nodeId: "s=Pump1.Speed",
    browseName: "Speed",
    typeDefinition: speedType,
    dataType: "Double",
  });
  speed.setValueFromSource({ dataType: DataType.Double, value: 1450.5 }, StatusCodes.Good);
  const mode = namespace.addVariable({
    componentOf: pump,
    nodeId: "s=Pump1.Mode",
    browseName: "Mode",
    dataType: pumpMode,
  });
  mode.setValueFromSource({ dataType: DataType.Int32, value: 2 }, StatusCodes.Good);
  // NodeId-valued data: the gateway re-maps its namespace index like the NodeIds of its nodes
  const typeId = namespace.addVariable({
    componentOf: pump,
    nodeId: "s=Pump1.TypeId",
    browseName: "TypeId",
    dataType: "NodeId",
  });
  typeId.setValueFromSource(
    { dataType: DataType.NodeId, value: pumpType.nodeId as NodeId },
    StatusCodes.Good,
  );

  const view = namespace.addView({
    organizedBy: addressSpace.rootFolder.views,
    nodeId: "s=OperatorView",
    browseName: "OperatorView",
  });
  view.addReference({ referenceType: "Organizes", nodeId: pump.nodeId });
}
