/**
 * Errors with a stable `code` (undici style): callers switch on the code, never on the message.
 * Where a downstream OPC UA client will see the failure, `statusCode` names the OPC UA StatusCode.
 */
export type ErrorCode =
  | "ERR_CONFIG_INVALID"
  | "ERR_CONFIG_UNREADABLE"
  | "ERR_NO_ACTIVE_SERVER"
  | "ERR_REQUEST_TIMEOUT"
  | "ERR_UPSTREAM_REQUEST"
  | "ERR_CLIENT_STOPPED"
  | "ERR_INVALID_ARGUMENT"
  | "ERR_FAILOVER_REFUSED"
  | "ERR_LISTEN"
  | "ERR_MAIL"
  | "ERR_UNKNOWN_PAIR"
  | "ERR_RELOAD"
  | "ERR_SIMULATOR"
  /** The demo's server is still carrying out the previous command. */
  | "ERR_BUSY"
  // HTTP API answers (besides the codes above that map to 4xx): 401, 403, 404, 405, 500
  | "ERR_UNAUTHORIZED"
  | "ERR_FORBIDDEN"
  | "ERR_NOT_FOUND"
  | "ERR_METHOD"
  | "ERR_INTERNAL"
  /** node-opcua lacks a private member this version relies on (see src/node-opcua-private.ts). */
  | "ERR_NODE_OPCUA_INTERNALS"
  /** A state change its component's transition table does not allow (src/transitions.ts; tests only). */
  | "ERR_ILLEGAL_TRANSITION"
  /** A value the gateway cannot represent downstream (e.g. a structure without a definition). */
  | "ERR_UNSUPPORTED_VALUE";

export class RedundancyError extends Error {
  readonly code: ErrorCode;
  /** OPC UA StatusCode name a downstream client should see, e.g. "BadServerNotConnected". */
  readonly statusCode: string | undefined;

  constructor(code: ErrorCode, message: string, options: { statusCode?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RedundancyError";
    this.code = code;
    this.statusCode = options.statusCode;
  }
}
