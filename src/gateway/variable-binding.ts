/**
 * A mirrored variable's Value attribute, served from the active upstream server.
 *
 * Reads: node-opcua's Read service (and every monitored-item sample) goes through the variable's
 * `refreshFunc` (bindVariable variation 3) via `asyncRefresh`, which first answers from the cache
 * when its ServerTimestamp is within maxAge, else calls refreshFunc and stores the DataValue it
 * returns as the variable's value; the Read then answers that stored value. So: monitored
 * upstream -> the cache is current (values are pushed) and refreshFunc answers it as it is;
 * otherwise refreshFunc reads the active upstream server, Bad statuses included.
 *
 * Writes: node-opcua's own setter path (timestamped_set) stores the written value locally whatever
 * the setter answers and cannot see an IndexRange, so the instance's `writeValue` is replaced: it
 * forwards the WriteValue (IndexRange included) and answers the upstream's StatusCode; nothing is
 * stored locally (a monitored variable gets the new value from its upstream subscription).
 */
import {
  AttributeIds,
  DataType,
  DataValue,
  type ISessionContext,
  type NodeId,
  NumericRange,
  PermissionType,
  type PreciseClock,
  SessionContext,
  type StatusCode,
  StatusCodes,
  type UAVariable,
  type Variant,
  Variant as VariantClass,
} from "node-opcua";
import { cachedDataValue, checkVariable, replaceVariableMethod } from "../node-opcua-private.ts";
import { statusCodeOf, type UpstreamPort } from "./upstream-port.ts";
import { IDENTITY_REMAP, type ValueRemap } from "./value-remap.ts";

/** Whether the variable's value is kept current by an upstream subscription (see monitored-items.ts). */
export interface BindingState {
  isMonitored(): boolean;
}

type Callback<T> = (err: Error | null, result?: T) => void;

/** What the per-value path needs of a bound variable, in one lookup. */
interface BoundState {
  /** How many values were pushed: a read that overlapped a push must not undo it. */
  pushes: number;
  /** How the variable's NodeId-valued data is re-indexed between its upstream and the gateway. */
  remap: ValueRemap;
  /**
   * The DataType and array type of the last value found compatible: the same again needs no
   * DataType check (a subtype walk in the address space, the costliest part of a push).
   */
  accepted: { dataType: DataType; arrayType: number } | undefined;
}
const bound = new WeakMap<UAVariable, BoundState>();
function stateOf(variable: UAVariable): BoundState {
  let state = bound.get(variable);
  if (!state) {
    state = { pushes: 0, remap: IDENTITY_REMAP, accepted: undefined };
    bound.set(variable, state);
  }
  return state;
}
const remapOf = (variable: UAVariable): ValueRemap => bound.get(variable)?.remap ?? IDENTITY_REMAP;
const pushesOf = (variable: UAVariable): number => bound.get(variable)?.pushes ?? 0;

const cachedOf = cachedDataValue;

function failed(statusCode: StatusCode): DataValue {
  const now = new Date();
  return new DataValue({ statusCode, sourceTimestamp: now, serverTimestamp: now });
}

/** A value the variable can hold: a value of another DataType is reported, not stored. */
function acceptable(variable: UAVariable, value: Variant): boolean {
  return value.dataType === DataType.Null || variable.checkVariantCompatibility(value).isGood();
}

/** `acceptable`, remembering the last compatible DataType and array type of `state`'s variable. */
function acceptableAgain(variable: UAVariable, value: Variant, state: BoundState): boolean {
  const accepted = state.accepted;
  if (accepted && accepted.dataType === value.dataType && accepted.arrayType === value.arrayType) return true;
  if (!acceptable(variable, value)) return false;
  if (value.dataType !== DataType.Null)
    state.accepted = { dataType: value.dataType, arrayType: value.arrayType };
  return true;
}

/**
 * An upstream value pushed by a subscription: stored with its own source timestamp, so that
 * downstream monitored items (exception-based and sampled) deliver it with that timestamp.
 */
export function pushValue(variable: UAVariable, dataValue: DataValue): void {
  const state = stateOf(variable);
  state.pushes++;
  const sourceTimestamp = dataValue.sourceTimestamp ?? undefined;
  let value: Variant;
  try {
    value = state.remap.toDownstream(dataValue.value);
  } catch (error) {
    variable.setValueFromSource(
      { dataType: DataType.Null },
      unrepresentable(variable, error),
      sourceTimestamp,
    );
    return;
  }
  // (node-opcua still checks the value's rank and dimensions itself, and throws: caught below)
  if (acceptableAgain(variable, value, state)) {
    try {
      variable.setValueFromSource(value, dataValue.statusCode, sourceTimestamp);
      return;
    } catch {
      // an ExtensionObject that does not fit the variable: reported below
      state.accepted = undefined;
    }
  }
  variable.setValueFromSource({ dataType: DataType.Null }, StatusCodes.BadTypeMismatch, sourceTimestamp);
}

/**
 * An upstream value of `variable` in the gateway's terms (NodeIds, structures), for results the
 * gateway passes on without storing (HistoryRead); a value it cannot represent becomes Bad.
 */
export function valueToDownstream(variable: UAVariable, dataValue: DataValue): void {
  try {
    dataValue.value = remapOf(variable).toDownstream(dataValue.value);
  } catch (error) {
    dataValue.statusCode = unrepresentable(variable, error);
    dataValue.value = new VariantClass({ dataType: DataType.Null });
  }
}

/** The cache entry for an upstream read result: ServerTimestamp = when the gateway got it. */
function fromUpstream(variable: UAVariable, dataValue: DataValue | undefined): DataValue {
  if (!dataValue) return failed(StatusCodes.BadInternalError);
  let value: Variant;
  try {
    value = remapOf(variable).toDownstream(dataValue.value);
  } catch (error) {
    return failed(unrepresentable(variable, error));
  }
  if (!acceptable(variable, value)) return failed(StatusCodes.BadTypeMismatch);
  // the gateway's clock, not the upstream's: asyncRefresh compares it with (now - maxAge), and an
  // upstream clock running ahead would otherwise make a stale cache look fresh
  return new DataValue({
    value,
    statusCode: dataValue.statusCode,
    sourceTimestamp: dataValue.sourceTimestamp,
    sourcePicoseconds: dataValue.sourcePicoseconds,
    serverTimestamp: new Date(),
    serverPicoseconds: 0,
  });
}

/** Who hears of a value the gateway cannot represent (the pair's log), once per variable and reason. */
const reporters = new WeakMap<UAVariable, (reason: string) => void>();
const reported = new WeakMap<UAVariable, string>();

/** The Bad status for a value the remap refused (BadDataTypeIdUnknown), reported once per reason. */
function unrepresentable(variable: UAVariable, error: unknown): StatusCode {
  const reason = error instanceof Error ? error.message : String(error);
  if (reported.get(variable) !== reason) {
    reported.set(variable, reason);
    reporters.get(variable)?.(reason);
  }
  const status = statusCodeOf(error);
  return status === StatusCodes.BadInternalError ? StatusCodes.BadDataTypeIdUnknown : status;
}

/** A written DataValue with its NodeId-valued data in the upstream's namespace indices. */
function toUpstreamValue(dataValue: DataValue, remap: ValueRemap): DataValue {
  const value = remap.toUpstream(dataValue.value);
  if (value === dataValue.value) return dataValue;
  return new DataValue({
    value,
    statusCode: dataValue.statusCode,
    sourceTimestamp: dataValue.sourceTimestamp,
    sourcePicoseconds: dataValue.sourcePicoseconds,
    serverTimestamp: dataValue.serverTimestamp,
    serverPicoseconds: dataValue.serverPicoseconds,
  });
}

/** Serves `variable`'s Value from `upstreamNodeId` on the active upstream server through `port`. */
export function bindMirroredVariable(
  variable: UAVariable,
  upstreamNodeId: NodeId,
  port: UpstreamPort,
  state: BindingState,
  remap: ValueRemap = IDENTITY_REMAP,
  onUnrepresentable?: (reason: string) => void,
): void {
  checkVariable(variable);
  stateOf(variable).remap = remap;
  if (onUnrepresentable) reporters.set(variable, onUnrepresentable);
  /** The maxAge of the Read being served, seen by asyncRefresh (refreshFunc is not told). */
  let maxAge = 0;
  /** Set by a forwarded write: the next read must ask the upstream whatever maxAge says. */
  let invalidated = false;

  // One parameter: node-opcua tells refreshFunc (callback) from other getters by arity.
  const refreshFunc = (callback: Callback<DataValue>): void => {
    if (state.isMonitored()) {
      callback(null, cachedOf(variable)); // the same object: asyncRefresh stores nothing
      return;
    }
    const requestedMaxAge = maxAge;
    const pushesBefore = pushesOf(variable);
    const settle = (dataValue: DataValue): void => {
      // a value pushed while the read was under way is at least as new as the read's
      const answer = pushesOf(variable) === pushesBefore ? dataValue : cachedOf(variable);
      try {
        callback(null, answer);
      } catch {
        callback(null, failed(StatusCodes.BadInternalError)); // storing failed: answer, never hang
      }
    };
    port.read([{ nodeId: upstreamNodeId, attributeId: AttributeIds.Value }], requestedMaxAge).then(
      (results) => settle(fromUpstream(variable, results[0])),
      (error: unknown) => settle(failed(statusCodeOf(error))),
    );
  };
  variable.bindVariable({ refreshFunc }, true);

  // Wrapped to learn each Read's maxAge (asyncRefresh gets now - maxAge) and to force a fresh
  // upstream read after a write; the freshness check itself stays node-opcua's.
  type Refresh = (this: UAVariable, oldestDate: PreciseClock, ...rest: unknown[]) => unknown;
  replaceVariableMethod<Refresh>(
    variable,
    "asyncRefresh",
    (baseRefresh) =>
      function (this: UAVariable, oldestDate: PreciseClock, ...rest: unknown[]) {
        let oldest = oldestDate;
        if (invalidated) {
          invalidated = false;
          oldest = { timestamp: new Date(Date.now() + 1), picoseconds: 0 };
        }
        maxAge = Math.max(0, Date.now() - oldest.timestamp.getTime());
        return baseRefresh.call(this, oldest, ...rest);
      },
  );

  const forward = async (dataValue: DataValue, indexRange: NumericRange | null): Promise<StatusCode> => {
    invalidated = true; // and again when done: a read may have run while the write was under way
    let upstreamValue: DataValue;
    try {
      upstreamValue = toUpstreamValue(dataValue, remap);
    } catch (error) {
      return unrepresentable(variable, error);
    }
    try {
      const [status] = await port.write([
        {
          nodeId: upstreamNodeId,
          attributeId: AttributeIds.Value,
          ...(indexRange && !indexRange.isEmpty() ? { indexRange } : {}),
          value: upstreamValue,
        },
      ]);
      return status ?? StatusCodes.BadInternalError;
    } catch (error) {
      return statusCodeOf(error);
    } finally {
      invalidated = true;
    }
  };

  // Replaces UAVariable.writeValue(context, dataValue, [indexRange], [callback]) for this variable.
  type Write = (context: ISessionContext | null, dataValue: DataValue, ...args: unknown[]) => unknown;
  replaceVariableMethod<Write>(variable, "writeValue", () => (context, dataValue, ...args) => {
    const callback = typeof args.at(-1) === "function" ? (args.pop() as Callback<StatusCode>) : undefined;
    const range = args[0] === undefined || args[0] === null ? null : NumericRange.coerce(args[0] as string);
    const session = context ?? SessionContext.defaultContext;
    // the gateway's own node policy (AccessRestrictions, RolePermissions) still applies; AccessLevel
    // and the value's type are the upstream server's to judge
    let result: Promise<StatusCode>;
    if (session.isAccessRestricted(variable))
      result = Promise.resolve(StatusCodes.BadSecurityModeInsufficient);
    else if (!session.checkPermission(variable, PermissionType.Write))
      result = Promise.resolve(StatusCodes.BadUserAccessDenied);
    else result = forward(dataValue, range);
    if (!callback) return result;
    result.then((status) => callback(null, status));
    return undefined;
  });
}
