/**
 * The simulated server's own clock: `clockOffsetMs` ahead of (or, negative, behind) the host's,
 * changeable at run time through the writable `ns=1;s=ClockOffsetMs` (a step of the server's
 * clock, like an NTP correction). It drives what a real server's clock drives: CurrentTime
 * (i=2258, which the gateway's status query reads), the ServerTimestamp of every value, and the
 * SourceTimestamp of values the server stamps itself (`ownClock`, or no shared clock). With a
 * shared clock and no own clock, source timestamps stay the device's (the tick boundaries, the
 * same on every simulator): the case "device timestamps, server clocks apart".
 */
import {
  type AddressSpace,
  DataType,
  DataValue,
  type StatusCode,
  StatusCodes,
  type UAVariable,
  Variant,
  type VariantLike,
} from "node-opcua";
import { replaceBoundExtensionObject, setDataValueAsIs } from "../node-opcua-private.ts";

export class SimClock {
  offsetMs: number;
  constructor(offsetMs = 0) {
    this.offsetMs = offsetMs;
  }
  /** The server's time (ms). */
  now(): number {
    return Date.now() + this.offsetMs;
  }
}

/** CurrentTime follows the simulator's clock; `ns=1;s=ClockOffsetMs` (Int32, writable) sets its offset. */
export function bindSimClock(
  addressSpace: AddressSpace,
  clock: SimClock,
  onWrite: (write: { nodeId: string; value: unknown }) => void,
): void {
  // node-opcua serves CurrentTime from ServerStatus's bound extension object (a Proxy answering
  // `new Date()`): answer the simulator's clock there instead.
  const status = addressSpace.findNode("i=2256") as UAVariable | null;
  if (status) {
    replaceBoundExtensionObject(
      status,
      (bound) =>
        new Proxy(bound, {
          get: (target, prop) => (prop === "currentTime" ? new Date(clock.now()) : Reflect.get(target, prop)),
        }),
    );
  }
  const namespace = addressSpace.getOwnNamespace();
  const folder = addressSpace.findNode(`ns=${namespace.index};s=Simulation`);
  const nodeId = `ns=${namespace.index};s=ClockOffsetMs`;
  namespace.addVariable({
    ...(folder ? { componentOf: folder } : { organizedBy: addressSpace.rootFolder.objects }),
    browseName: "ClockOffsetMs",
    nodeId: "s=ClockOffsetMs",
    dataType: "Int32",
    accessLevel: "CurrentRead | CurrentWrite",
    userAccessLevel: "CurrentRead | CurrentWrite",
    minimumSamplingInterval: 50,
    value: {
      get: () => new Variant({ dataType: DataType.Int32, value: clock.offsetMs }),
      set: (variant: Variant) => {
        const value = variant.value;
        if (typeof value !== "number" || !Number.isInteger(value)) return StatusCodes.BadTypeMismatch;
        clock.offsetMs = value;
        onWrite({ nodeId, value });
        return StatusCodes.Good;
      },
    },
  });
}

/** setValueFromSource with a ServerTimestamp of its own (node-opcua's copies the source timestamp). */
export function setValueWithServerTime(
  variable: UAVariable,
  value: VariantLike,
  statusCode: StatusCode,
  sourceTimestamp: Date,
  serverTimestamp: Date,
): void {
  const dataValue = new DataValue({
    value: Variant.coerce(value),
    statusCode,
    sourceTimestamp,
    serverTimestamp,
  });
  setDataValueAsIs(variable, dataValue);
}
