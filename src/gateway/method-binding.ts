/**
 * A mirrored method: a downstream Call is forwarded to the active upstream server and its result
 * (statusCode, inputArgumentResults, outputArguments) is answered as it is.
 *
 * node-opcua checks the input arguments against the method's InputArguments property before the
 * bound function runs (BadArgumentsMissing, BadTooManyArguments, BadInvalidArgument with
 * BadTypeMismatch per argument), so a mirror with faithful InputArguments answers those itself.
 * It also replaces an inputArgumentResults whose length differs from the input arguments (an
 * upstream that answers [] with a Bad statusCode) with one Good per argument.
 */
import { type MethodResult, type NodeId, StatusCodes, type UAMethod, type Variant } from "node-opcua";
import { statusCodeOf, type UpstreamPort } from "./upstream-port.ts";
import { IDENTITY_REMAP, type ValueRemap } from "./value-remap.ts";

/** Binds `method` so that calling it calls `methodId` on `objectId` on the active upstream server. */
export function bindMirroredMethod(
  method: UAMethod,
  objectId: NodeId,
  methodId: NodeId,
  port: UpstreamPort,
  remap: ValueRemap = IDENTITY_REMAP,
): void {
  // Two parameters: node-opcua tells a promise-returning implementation from a callback one by arity.
  const forward = async (inputArguments: Variant[], _context: unknown): Promise<MethodResult> => {
    try {
      const [result] = await port.call([
        { objectId, methodId, inputArguments: inputArguments.map(remap.toUpstream) },
      ]);
      if (!result) return { statusCode: StatusCodes.BadInternalError };
      return {
        statusCode: result.statusCode,
        inputArgumentResults: result.inputArgumentResults ?? [],
        outputArguments: (result.outputArguments ?? []).map(remap.toDownstream),
      };
    } catch (error) {
      return { statusCode: statusCodeOf(error) };
    }
  };
  method.bindMethod(forward);
}
