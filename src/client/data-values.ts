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
