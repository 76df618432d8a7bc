/**
 * The simulator's OPC UA 1.03 type dictionary (Part 5 §D, Part 3 §5.8.2): an Opc.Binary
 * DataTypeDictionary variable below "OPC Binary" (i=93) whose value is the schema of the custom
 * structures and the enumeration, one DataTypeDescription per structure, and a HasDescription
 * reference from each "Default Binary" encoding to its description. Clients written for 1.03
 * servers decode structures from these nodes only (they do not read DataTypeDefinition).
 *
 * The schema is written out (as a real server's is) rather than generated: node-opcua's dumpToBSD
 * writes a Union's fields as plain fields, which a 1.03 client would decode wrongly.
 * `Deprecated` is true, as Part 5 asks of a server that also has DataTypeDefinition.
 */
import { DataType, type Namespace, NodeId, StatusCodes } from "node-opcua";

const OPCBinarySchema_TypeSystem = new NodeId(NodeId.NodeIdType.NUMERIC, 93, 0);

function schema(namespaceUri: string): string {
  return `<opc:TypeDictionary xmlns:opc="http://opcfoundation.org/BinarySchema/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:ua="http://opcfoundation.org/UA/" xmlns:tns="${namespaceUri}" DefaultByteOrder="LittleEndian" TargetNamespace="${namespaceUri}">
  <opc:Import Namespace="http://opcfoundation.org/UA/"/>
  <opc:StructuredType Name="Point" BaseType="ua:ExtensionObject">
    <opc:Field Name="X" TypeName="opc:Double"/>
    <opc:Field Name="Y" TypeName="opc:Double"/>
  </opc:StructuredType>
  <opc:StructuredType Name="Reading" BaseType="ua:ExtensionObject">
    <opc:Field Name="UnitSpecified" TypeName="opc:Bit"/>
    <opc:Field Name="LimitSpecified" TypeName="opc:Bit"/>
    <opc:Field Name="Reserved1" TypeName="opc:Bit" Length="30"/>
    <opc:Field Name="Value" TypeName="opc:Double"/>
    <opc:Field Name="Unit" TypeName="opc:String" SwitchField="UnitSpecified"/>
    <opc:Field Name="Limit" TypeName="opc:Double" SwitchField="LimitSpecified"/>
  </opc:StructuredType>
  <opc:EnumeratedType Name="MachineState" LengthInBits="32">
    <opc:EnumeratedValue Name="Stopped" Value="0"/>
    <opc:EnumeratedValue Name="Running" Value="1"/>
    <opc:EnumeratedValue Name="Fault" Value="5"/>
  </opc:EnumeratedType>
  <opc:StructuredType Name="Station" BaseType="ua:ExtensionObject">
    <opc:Field Name="Name" TypeName="opc:String"/>
    <opc:Field Name="Position" TypeName="tns:Point"/>
    <opc:Field Name="NoOfPath" TypeName="opc:Int32"/>
    <opc:Field Name="Path" TypeName="tns:Point" LengthField="NoOfPath"/>
    <opc:Field Name="State" TypeName="tns:MachineState"/>
  </opc:StructuredType>
  <opc:StructuredType Name="Value" BaseType="ua:Union">
    <opc:Field Name="SwitchField" TypeName="opc:UInt32"/>
    <opc:Field Name="Number" TypeName="opc:Double" SwitchField="SwitchField" SwitchValue="1"/>
    <opc:Field Name="Text" TypeName="opc:String" SwitchField="SwitchField" SwitchValue="2"/>
  </opc:StructuredType>
  <opc:StructuredType Name="Tagged" BaseType="ua:ExtensionObject">
    <opc:Field Name="Source" TypeName="ua:NodeId"/>
    <opc:Field Name="Count" TypeName="opc:Int32"/>
  </opc:StructuredType>
</opc:TypeDictionary>
`;
}

/** The structures the schema describes, by name, with their "Default Binary" encoding NodeIds. */
export type DescribedEncodings = Record<"Point" | "Reading" | "Station" | "Value" | "Tagged", NodeId>;

export function addTypeDictionary(namespace: Namespace, encodings: DescribedEncodings): void {
  const addressSpace = namespace.addressSpace;
  const dictionary = namespace.addVariable({
    componentOf: addressSpace.findNode(OPCBinarySchema_TypeSystem)!,
    nodeId: "s=TypeDictionary",
    browseName: "SimulatorTypes",
    typeDefinition: "DataTypeDictionaryType",
    dataType: "ByteString",
    accessLevel: "CurrentRead",
    userAccessLevel: "CurrentRead",
  });
  dictionary.setValueFromSource(
    { dataType: DataType.ByteString, value: Buffer.from(schema(namespace.namespaceUri), "utf8") },
    StatusCodes.Good,
  );
  const property = (name: string, dataType: DataType, value: unknown) =>
    namespace
      .addVariable({
        propertyOf: dictionary,
        nodeId: `s=TypeDictionary.${name}`,
        browseName: { name, namespaceIndex: 0 },
        dataType: DataType[dataType],
        accessLevel: "CurrentRead",
        userAccessLevel: "CurrentRead",
      })
      .setValueFromSource({ dataType, value }, StatusCodes.Good);
  property("NamespaceUri", DataType.String, namespace.namespaceUri);
  property("Deprecated", DataType.Boolean, true);
  for (const [name, encoding] of Object.entries(encodings)) {
    const description = namespace.addVariable({
      componentOf: dictionary,
      nodeId: `s=TypeDictionary.${name}`,
      browseName: name,
      typeDefinition: "DataTypeDescriptionType",
      dataType: "String",
      accessLevel: "CurrentRead",
      userAccessLevel: "CurrentRead",
    });
    description.setValueFromSource({ dataType: DataType.String, value: name }, StatusCodes.Good);
    addressSpace
      .findNode(encoding)!
      .addReference({ referenceType: "HasDescription", isForward: true, nodeId: description.nodeId });
  }
}
