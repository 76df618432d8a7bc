import { type ClientSession, DataType, StatusCodes } from "node-opcua";
import { withTimeout } from "./channel.ts";
import type { UpstreamItemSet } from "./item-set.ts";

/** How the values a gap lost were made current again. */
export type GapRecovery = "resendData" | "read" | "initialValues" | "failed";

const ServerObjectId = "i=2253";
/** Server.ResendData(subscriptionId) (OPC UA Part 5 §9.4.7). */
const ResendDataMethodId = "i=12873";

/**
 * After a gap Republish could not fill: ask the server to send every item's current value again
 * (ResendData, where the server has it), otherwise Read every monitored item, so that the client
 * ends with current values. Values older than those already delivered are dropped downstream.
 */
export async function recoverGap(
  session: ClientSession,
  subscriptionId: number,
  items: UpstreamItemSet,
  timeoutMs: number,
): Promise<GapRecovery> {
  try {
    const result = await withTimeout(
      session.call({
        objectId: ServerObjectId,
        methodId: ResendDataMethodId,
        inputArguments: [{ dataType: DataType.UInt32, value: subscriptionId }],
      }),
      timeoutMs,
    );
    if (result?.statusCode.equals(StatusCodes.Good)) return "resendData";
  } catch {
    // no ResendData on this server: read instead
  }
  try {
    const read = await withTimeout(items.readAll(session), timeoutMs);
    return read === undefined ? "failed" : "read";
  } catch {
    return "failed";
  }
}
