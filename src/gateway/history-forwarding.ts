/**
 * HistoryRead on mirrored variables, forwarded to the active upstream server (DESIGN §5): the
 * gateway keeps no history of its own; the upstream's results, StatusCodes and continuation points
 * are answered as they are. Nodes that are not mirrored (the gateway's own) are answered by
 * node-opcua as before. A continuation point belongs to the upstream session that made it: after a
 * failover the new active server answers BadContinuationPointInvalid, as the standard says a
 * server that lost it must.
 */
import {
  type DataValue,
  HistoryReadRequest,
  HistoryReadResult,
  type HistoryReadValueId,
  type ISessionContext,
  type NodeId,
  PermissionType,
  StatusCodes,
  type UAVariable,
} from "node-opcua";
import { statusCodeOf, type UpstreamPort } from "./upstream-port.ts";

export interface HistoryTarget {
  variable: UAVariable;
  upstreamNodeId: NodeId;
}

/** The engine method node-opcua's HistoryRead service calls (OPCUAServer.engine). */
export interface HistoryEngine {
  historyRead(context: ISessionContext, request: HistoryReadRequest): Promise<HistoryReadResult[]>;
}

/** Routes HistoryRead of mirrored variables to the upstream; returns a function that undoes it. */
export function forwardHistoryRead(
  engine: HistoryEngine,
  resolve: (downstreamNodeId: NodeId) => HistoryTarget | undefined,
  port: UpstreamPort,
  /** Event history (ReadEventDetails): the filter to upstream indices, the answers back (event-history.ts). */
  remap: {
    details(details: HistoryReadRequest["historyReadDetails"]): HistoryReadRequest["historyReadDetails"];
    result(result: HistoryReadResult): HistoryReadResult;
  } = { details: (d) => d, result: (r) => r },
  /** Each value of a result in the gateway's terms (NodeIds, structures), in place. */
  toDownstream: (variable: UAVariable, dataValue: DataValue) => void = () => undefined,
): () => void {
  const own = engine.historyRead;
  engine.historyRead = async (context, request) => {
    const nodes = request.nodesToRead ?? [];
    const targets = nodes.map((n) => resolve(n.nodeId));
    if (targets.every((t) => t === undefined)) return own.call(engine, context, request);

    const results: HistoryReadResult[] = new Array(nodes.length);
    const forwarded: { index: number; node: HistoryReadValueId; target: HistoryTarget }[] = [];
    const local: number[] = [];
    targets.forEach((target, index) => {
      if (!target) local.push(index);
      else if (!context.checkPermission(target.variable, PermissionType.ReadHistory))
        results[index] = new HistoryReadResult({ statusCode: StatusCodes.BadUserAccessDenied });
      else forwarded.push({ index, node: nodes[index]!, target });
    });

    const upstream = forwarded.length
      ? port
          .historyRead({
            historyReadDetails: remap.details(request.historyReadDetails),
            timestampsToReturn: request.timestampsToReturn,
            releaseContinuationPoints: request.releaseContinuationPoints,
            nodesToRead: forwarded.map(({ node, target }) => ({
              nodeId: target.upstreamNodeId,
              indexRange: node.indexRange,
              dataEncoding: node.dataEncoding,
              continuationPoint: node.continuationPoint,
            })),
          })
          .then(
            (answers) =>
              forwarded.forEach(({ index, target }, k) => {
                const answer = answers[k];
                const values = (answer?.historyData as { dataValues?: DataValue[] | null } | null)
                  ?.dataValues;
                for (const dataValue of values ?? []) toDownstream(target.variable, dataValue);
                results[index] = answer
                  ? remap.result(answer)
                  : new HistoryReadResult({ statusCode: StatusCodes.BadInternalError });
              }),
            (error: unknown) => {
              const statusCode = statusCodeOf(error);
              for (const { index } of forwarded) results[index] = new HistoryReadResult({ statusCode });
            },
          )
      : Promise.resolve();

    const mine = local.length
      ? own
          .call(
            engine,
            context,
            new HistoryReadRequest({
              requestHeader: request.requestHeader,
              historyReadDetails: request.historyReadDetails,
              timestampsToReturn: request.timestampsToReturn,
              releaseContinuationPoints: request.releaseContinuationPoints,
              nodesToRead: local.map((i) => nodes[i]!),
            }),
          )
          .then((answers) => {
            for (const [k, index] of local.entries()) results[index] = answers[k]!;
          })
      : Promise.resolve();

    await Promise.all([upstream, mine]);
    return results;
  };
  return () => {
    engine.historyRead = own;
  };
}
