import { CallRequest, type ClientSession, HistoryUpdateRequest, StatusCodes, WriteRequest } from "node-opcua";
import { wrapSessionTransactions } from "../node-opcua-private.ts";
import { UpstreamError } from "./upstream-error.ts";

/** Requests that change something on the server: they must never run later than asked. */
function changesServer(request: unknown): boolean {
  return (
    request instanceof WriteRequest ||
    request instanceof CallRequest ||
    request instanceof HistoryUpdateRequest
  );
}

/**
 * node-opcua holds requests made while the channel is down and sends them once the session is
 * repaired — possibly long after the caller gave up on them (DESIGN §3: a write is never replayed
 * later). The fence gives every Write, Call and HistoryUpdate a deadline when it is made, and drops
 * it with BadTimeout instead of sending it when that deadline has passed.
 */
export function fenceLateRequests(session: ClientSession, timeoutMs: number): void {
  const deadlines = new WeakMap<object, number>();
  wrapSessionTransactions(session, ({ perform, send }) => ({
    perform: (request, callback) => {
      if (changesServer(request) && !deadlines.has(request as object)) {
        deadlines.set(request as object, Date.now() + timeoutMs);
      }
      perform(request, callback);
    },
    send: (request, callback) => {
      const deadline = deadlines.get(request as object);
      if (deadline !== undefined && Date.now() >= deadline) {
        const name = (request as object).constructor.name;
        callback(
          new UpstreamError(
            StatusCodes.BadTimeout,
            `${name} not sent, its ${timeoutMs} ms passed while the server was unreachable`,
          ),
        );
        return;
      }
      send(request, callback);
    },
  }));
}
