/**
 * What the gateway needs from the redundancy engine: the active upstream server's services and
 * shared upstream monitored items. `RedundantClient` satisfies it structurally; tests may wrap it.
 */
import {
  type CallMethodRequestLike,
  type CallMethodResult,
  type DataValue,
  type HistoryReadRequestOptions,
  type HistoryReadResult,
  type NodeIdLike,
  type ReadValueIdOptions,
  StatusCode,
  StatusCodes,
  type WriteValueOptions,
} from "node-opcua";
import type { MonitorHandle, MonitorOptions } from "../client/types.ts";
import { RedundancyError } from "../errors.ts";
import { statusCodeByName } from "../upstream/upstream-error.ts";

export interface UpstreamPort {
  /** Reads from the active server; rejects with a RedundancyError when none is active or it fails. */
  read(nodes: readonly (ReadValueIdOptions | NodeIdLike)[], maxAge?: number): Promise<DataValue[]>;
  /** Writes to the active server only (never queued); resolves with its StatusCode per node. */
  write(nodes: readonly WriteValueOptions[]): Promise<StatusCode[]>;
  call(methods: readonly CallMethodRequestLike[]): Promise<CallMethodResult[]>;
  /** HistoryRead on the active server, its results (and continuation points) as it answered them. */
  historyRead(request: HistoryReadRequestOptions): Promise<HistoryReadResult[]>;
  /** A ref-counted upstream monitored item; `onValue` gets every value the pair delivers. */
  monitor(nodeId: NodeIdLike, options: MonitorOptions, onValue: (value: DataValue) => void): MonitorHandle;
}

/** The serviceResult of a node-opcua ServiceFault carried by an error (node-opcua annotates it). */
function serviceFaultOf(error: unknown): StatusCode | undefined {
  if (typeof error !== "object" || error === null || !("response" in error)) return undefined;
  const response = (error as { response?: { responseHeader?: { serviceResult?: unknown } } }).response;
  const result = response?.responseHeader?.serviceResult;
  if (!(result instanceof StatusCode) || !result.isNotGood()) return undefined;
  // the gateway's link to the upstream broke, not the downstream client's session or channel
  return /^Bad(Session|SecureChannel)/.test(result.name) ? StatusCodes.BadServerNotConnected : result;
}

/**
 * The StatusCode a downstream client sees for a failed upstream request: the RedundancyError's
 * `statusCode` name (BadServerNotConnected, BadTimeout, ...), else the upstream server's own
 * ServiceFault result (session and channel faults become BadServerNotConnected), else
 * BadInternalError.
 */
export function statusCodeOf(error: unknown): StatusCode {
  if (error instanceof RedundancyError) {
    const named = error.statusCode === undefined ? undefined : statusCodeByName(error.statusCode);
    if (named?.isNotGood()) return named;
    const fault = serviceFaultOf(error.cause);
    if (fault) return fault;
    return StatusCodes.BadInternalError;
  }
  return serviceFaultOf(error) ?? StatusCodes.BadInternalError;
}
