import { DataValue, StatusCodes } from "node-opcua";
import { sameVariant } from "node-opcua-variant";

/** Source time in ms with the picoseconds as a fraction, or undefined when the value has none. */
export function sourceTimeOf(value: DataValue): number | undefined {
  const time = value.sourceTimestamp?.getTime();
  if (time === undefined || Number.isNaN(time)) return undefined;
  return time + (value.sourcePicoseconds ?? 0) / 1e9;
}

/** Same status and value (timestamps are compared by the caller). */
export function sameSample(a: DataValue, b: DataValue): boolean {
  return a.statusCode.value === b.statusCode.value && sameVariant(a.value, b.value);
}

/** What a monitored item delivers once when every server of its pair is lost. */
export function noCommunication(now: number): DataValue {
  const at = new Date(now);
  return new DataValue({
    statusCode: StatusCodes.BadNoCommunication,
    sourceTimestamp: at,
    serverTimestamp: at,
  });
}

/** Offsets smaller than this are not corrected: below it, the estimate's own noise dominates. */
const MIN_CORRECTION_MS = 20;

/**
 * What to subtract from a value's source time to compare it with another server's: the server's
 * clock offset when the server stamped the value with its own clock, 0 when the source timestamp
 * came from the device (both servers then carry the same one). Which clock stamped it: the one
 * the source timestamp is closer to, the server's (its ServerTimestamp) or the gateway's (the
 * ServerTimestamp less the offset).
 */
export function clockCorrection(value: DataValue, offsetMs: number): number {
  if (!(Math.abs(offsetMs) >= MIN_CORRECTION_MS)) return 0;
  const source = value.sourceTimestamp?.getTime();
  const server = value.serverTimestamp?.getTime();
  if (source === undefined || server === undefined || Number.isNaN(source) || Number.isNaN(server)) return 0;
  return Math.abs(source - server) < Math.abs(source - (server - offsetMs)) ? offsetMs : 0;
}

export function isGoodValue(value: DataValue): boolean {
  return value.statusCode.isGood();
}
