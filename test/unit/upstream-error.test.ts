/** Upstream failures carry their StatusCode; `upstreamStatusOf` reads it from what node-opcua hands over. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { StatusCodes } from "node-opcua";
import { RedundancyError } from "../../src/errors.ts";
import { toUpstreamError, UpstreamError, upstreamStatusOf } from "../../src/upstream/upstream-error.ts";

test("an UpstreamError is a coded RedundancyError with its StatusCode", () => {
  const error = new UpstreamError(StatusCodes.BadTimeout, "no answer to CreateMonitoredItems");
  assert.ok(error instanceof RedundancyError);
  assert.equal(error.code, "ERR_UPSTREAM_REQUEST");
  assert.equal(error.statusCode, "BadTimeout");
  assert.equal(error.message, "BadTimeout: no answer to CreateMonitoredItems");
  assert.equal(upstreamStatusOf(error), StatusCodes.BadTimeout);
});

test("a ServiceFault's serviceResult (node-opcua annotates its error with the response)", () => {
  const fault = Object.assign(new Error(" serviceResult = BadTooManyOperations (0x80100000)"), {
    response: { responseHeader: { serviceResult: StatusCodes.BadTooManyOperations } },
  });
  assert.equal(upstreamStatusOf(fault), StatusCodes.BadTooManyOperations);
});

test("node-opcua's item and group `err` events: the StatusCode it names", () => {
  assert.equal(upstreamStatusOf(StatusCodes.BadNodeIdUnknown.toString()), StatusCodes.BadNodeIdUnknown);
  assert.equal(
    upstreamStatusOf(new Error(StatusCodes.BadTooManyOperations.toString())),
    StatusCodes.BadTooManyOperations,
  );
  // a ServiceFault that reached a group's `err` event: only its message is left
  assert.equal(
    upstreamStatusOf(" serviceResult = BadTooManyOperations (0x80100000)"),
    StatusCodes.BadTooManyOperations,
  );
  const wrapped = toUpstreamError(StatusCodes.BadNodeIdUnknown.toString());
  assert.equal(wrapped.status, StatusCodes.BadNodeIdUnknown);
  assert.equal(wrapped.message, StatusCodes.BadNodeIdUnknown.toString(), "no second prefix");
});

test("a failure without a StatusCode has none (a transport failure is the link's business)", () => {
  assert.equal(upstreamStatusOf(new Error("socket hang up")), undefined);
  assert.equal(upstreamStatusOf(new Error("BadNoSuchStatusName happened")), undefined);
  assert.equal(upstreamStatusOf(undefined), undefined);
  assert.equal(toUpstreamError(new Error("socket hang up")).status, StatusCodes.BadUnexpectedError);
});
