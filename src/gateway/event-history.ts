/**
 * HistoryRead of events (ReadEventDetails) on mirrored event notifiers, forwarded like HistoryRead
 * of values (history-forwarding.ts): the EventFilter goes to the upstream's namespace indices and
 * the event fields come back in the downstream's; the upstream's StatusCodes and continuation
 * points are answered as they are.
 */
import {
  EventNotifierFlags,
  type HistoryReadRequest,
  type HistoryReadResult,
  NodeClass,
  type NodeId,
  NodeIdType,
  ReadEventDetails,
  type UAObject,
  type UAVariable,
  type Variant,
} from "node-opcua";
import { type NamespaceIndexMap, remapEventFilter, remapFieldVariant } from "../upstream/event-filter.ts";
import type { HistoryTarget } from "./history-forwarding.ts";
import type { NamespaceMap } from "./namespace-map.ts";

type Details = HistoryReadRequest["historyReadDetails"];

function maps(map: NamespaceMap | null): { up: NamespaceIndexMap; down: NamespaceIndexMap } {
  const probe = (i: number) =>
    ({ identifierType: NodeIdType.NUMERIC, value: 1, namespace: i }) as unknown as NodeId;
  const attempt = (f: () => number) => {
    try {
      return f();
    } catch {
      return undefined;
    }
  };
  if (!map) return { up: (i) => i, down: (i) => i };
  return {
    up: (i) => attempt(() => map.toUpstream(probe(i)).namespace),
    down: (i) => attempt(() => map.downstreamIndex(i)),
  };
}

/** The history target of a mirrored Object whose EventNotifier allows HistoryRead. */
export function eventHistoryTarget(
  node: { nodeClass: NodeClass } | null,
  nodeId: NodeId,
  map: NamespaceMap | null,
): HistoryTarget | undefined {
  if (!node || node.nodeClass !== NodeClass.Object || !map) return undefined;
  if (((node as UAObject).eventNotifier & EventNotifierFlags.HistoryRead) === 0) return undefined;
  try {
    return { variable: node as unknown as UAVariable, upstreamNodeId: map.toUpstream(nodeId) };
  } catch {
    return undefined; // the gateway's own namespace
  }
}

export function eventHistoryRemap(namespaces: () => NamespaceMap | null): {
  details(details: Details): Details;
  result(result: HistoryReadResult): HistoryReadResult;
} {
  return {
    details(details) {
      if (!(details instanceof ReadEventDetails) || !details.filter) return details;
      const { up } = maps(namespaces());
      return new ReadEventDetails({
        numValuesPerNode: details.numValuesPerNode,
        startTime: details.startTime,
        endTime: details.endTime,
        filter: remapEventFilter(details.filter, up),
      }) as unknown as Details;
    },
    result(result) {
      const data = result.historyData as unknown as { events?: { eventFields?: Variant[] | null }[] } | null;
      if (!data?.events) return result;
      const { down } = maps(namespaces());
      for (const event of data.events)
        event.eventFields = (event.eventFields ?? []).map((v) => remapFieldVariant(v, down));
      return result;
    },
  };
}
