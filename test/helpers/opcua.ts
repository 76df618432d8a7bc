/** Direct OPC UA access to a simulator, bypassing the product (to cause faults and to check). */
import { DataType, OPCUAClient } from "node-opcua";

export async function writeDirect(
  endpointUrl: string,
  nodeId: string,
  dataType: DataType,
  value: unknown,
): Promise<string> {
  const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
  await client.connect(endpointUrl);
  try {
    const session = await client.createSession();
    const status = await session.write({ nodeId, attributeId: 13, value: { value: { dataType, value } } });
    await session.close();
    return status.name;
  } finally {
    await client.disconnect();
  }
}

export { DataType };
