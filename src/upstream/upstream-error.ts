/**
 * Upstream failures as values: an `UpstreamError` carries the OPC UA StatusCode the server (or
 * node-opcua on its behalf) answered, so that callers switch on the StatusCode, never on a message.
 * `upstreamStatusOf` is the one place that turns what node-opcua hands over into a StatusCode.
 */
import { StatusCode, StatusCodes } from "node-opcua";
import { RedundancyError } from "../errors.ts";

export class UpstreamError extends RedundancyError {
  readonly status: StatusCode;

  constructor(status: StatusCode, message: string, options: { cause?: unknown } = {}) {
    const text = message.startsWith(status.name) ? message : `${status.name}: ${message}`;
    super("ERR_UPSTREAM_REQUEST", text, { statusCode: status.name, cause: options.cause });
    this.name = "UpstreamError";
    this.status = status;
  }
}

const byName = StatusCodes as unknown as Record<string, StatusCode | undefined>;

/** A StatusCode by its name ("BadTimeout"), or undefined for an unknown name. */
export function statusCodeByName(name: string): StatusCode | undefined {
  const code = Object.hasOwn(byName, name) ? byName[name] : undefined;
  return code instanceof StatusCode ? code : undefined;
}

/**
 * The StatusCode of an upstream failure: an UpstreamError's own; the serviceResult of a ServiceFault
 * (node-opcua annotates its error with the `response`); or the StatusCode node-opcua names at the
 * start of its message — the only form its monitored-item and group `err` events give (they pass
 * `statusCode.toString()`, "BadNodeIdUnknown (0x80340000)", or a ServiceFault's message,
 * " serviceResult = BadTooManyOperations (0x80100000)"). Undefined for anything else (a
 * transport failure, a bug).
 */
export function upstreamStatusOf(error: unknown): StatusCode | undefined {
  if (error instanceof UpstreamError) return error.status;
  if (typeof error === "object" && error !== null && "response" in error) {
    const response = (error as { response?: { responseHeader?: { serviceResult?: unknown } } }).response;
    const result = response?.responseHeader?.serviceResult;
    if (result instanceof StatusCode && result.isNotGood()) return result;
  }
  const message = typeof error === "string" ? error : error instanceof Error ? error.message : "";
  const named = /^(?:serviceResult = )?(Bad\w+)/.exec(message.trimStart())?.[1];
  const status = named === undefined ? undefined : statusCodeByName(named);
  return status?.isNotGood() ? status : undefined;
}

/** An UpstreamError from whatever node-opcua handed over; a failure without a StatusCode keeps `fallback`. */
export function toUpstreamError(
  error: unknown,
  fallback: StatusCode = StatusCodes.BadUnexpectedError,
): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const message = typeof error === "string" ? error : error instanceof Error ? error.message : String(error);
  return new UpstreamError(upstreamStatusOf(error) ?? fallback, message, { cause: error });
}
