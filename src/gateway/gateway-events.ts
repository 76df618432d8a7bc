/**
 * The gateway's own diagnostics as OPC UA events (README "Events and alarms"): failover, every
 * server lost, recovery, upstream link state, notifications lost upstream (gap) and refused server
 * certificates are raised on the pair's object (`ns=<gateway>;s=<pair>`, made an event notifier
 * of the Server object, so they bubble to Server) with event types of the gateway's namespace,
 * subtypes of SystemEventType, each with the properties Pair, Server and Reason.
 *
 * Severity (documented rule, 1–1000 as in Part 5): every server lost 900; a certificate refused 700;
 * an unplanned failover (communication lost, ServerState, ServiceLevel, monitors) 600, a planned one
 * (operator, failback) 300; an upstream link lost 500, connected again 200; recovered after every
 * server was lost 300; notifications lost upstream 400; an upstream server's clock stepped 500 (its
 * values keep flowing, but a historian downstream should know its timestamps jumped).
 */
import {
  DataType,
  EventNotifierFlags,
  LocalizedText,
  type Namespace,
  type UAEventType,
  type UAObject,
  type UAObjectType,
} from "node-opcua";
import type { RedundantClientEvents } from "../client/types.ts";

export const GATEWAY_EVENT_TYPES = {
  failover: "PairFailoverEventType",
  allLost: "PairAllServersLostEventType",
  recovered: "PairRecoveredEventType",
  link: "UpstreamLinkEventType",
  gap: "UpstreamGapEventType",
  certificate: "UpstreamCertificateEventType",
  clock: "UpstreamClockStepEventType",
} as const;

type Kind = keyof typeof GATEWAY_EVENT_TYPES;

interface EventSource {
  on<E extends keyof RedundantClientEvents>(
    event: E,
    listener: (...args: RedundantClientEvents[E]) => void,
  ): unknown;
  off<E extends keyof RedundantClientEvents>(
    event: E,
    listener: (...args: RedundantClientEvents[E]) => void,
  ): unknown;
}

const PLANNED = new Set(["operator", "failback", "manual"]);

function addTypes(namespace: Namespace): Record<Kind, UAEventType> {
  const addressSpace = namespace.addressSpace;
  const system = addressSpace.findEventType("SystemEventType") as UAObjectType;
  const types = {} as Record<Kind, UAEventType>;
  for (const [kind, browseName] of Object.entries(GATEWAY_EVENT_TYPES) as [Kind, string][]) {
    const type = namespace.addEventType({ browseName, subtypeOf: system, isAbstract: false });
    for (const property of ["Pair", "Server", "Reason"]) {
      namespace.addVariable({
        propertyOf: type,
        browseName: property,
        dataType: "String",
        modellingRule: "Mandatory",
      });
    }
    types[kind] = type;
  }
  return types;
}

/** Raises the pair's diagnostics as events on `pairObject`; returns a function that stops it. */
export function raiseGatewayEvents(
  namespace: Namespace,
  pairObject: UAObject,
  engine: EventSource,
  pairName: string,
): () => void {
  const types = addTypes(namespace);
  const server = namespace.addressSpace.rootFolder.objects.server;
  pairObject.setEventNotifier(EventNotifierFlags.SubscribeToEvents);
  server.addReference({ referenceType: "HasNotifier", nodeId: pairObject.nodeId });
  const raise = (kind: Kind, severity: number, message: string, serverName: string, reason: string) => {
    pairObject.raiseEvent(types[kind], {
      sourceName: { dataType: DataType.String, value: pairName },
      message: { dataType: DataType.LocalizedText, value: new LocalizedText({ text: message }) },
      severity: { dataType: DataType.UInt16, value: severity },
      pair: { dataType: DataType.String, value: pairName },
      server: { dataType: DataType.String, value: serverName },
      reason: { dataType: DataType.String, value: reason },
    });
  };
  const listeners: { [E in keyof RedundantClientEvents]?: (...args: RedundantClientEvents[E]) => void } = {
    failover: (e) =>
      raise(
        "failover",
        PLANNED.has(e.reason) ? 300 : 600,
        `pair ${pairName} failed over from ${e.fromName ?? "none"} to ${e.toName}: ${e.reason} (${e.detail})`,
        e.to,
        e.reason,
      ),
    allServersLost: (e) =>
      raise("allLost", 900, `pair ${pairName}: every server lost: ${e.reason} (${e.detail})`, "", e.reason),
    recovered: (e) =>
      raise(
        "recovered",
        300,
        `pair ${pairName}: ${e.server} serves again after ${e.downMs} ms`,
        e.server,
        "recovered",
      ),
    linkStateChanged: (e) => {
      if (e.to !== "lost" && !(e.to === "connected" && e.from === "lost")) return;
      const lost = e.to === "lost";
      raise(
        "link",
        lost ? 500 : 200,
        `pair ${pairName}: link to ${e.url} ${lost ? "lost" : "connected again"}: ${e.reason}`,
        e.url,
        e.reason,
      );
    },
    gap: (e) =>
      raise(
        "gap",
        400,
        `pair ${pairName}: notifications lost upstream on ${e.server} (${e.cause}), recovered by ${e.recovered}`,
        e.server,
        e.cause,
      ),
    certificateRefused: (e) => raise("certificate", 700, e.message, e.server, e.status),
    clockStep: (e) =>
      raise(
        "clock",
        500,
        `pair ${pairName}: the clock of ${e.name} stepped ${e.direction} by ${Math.abs(e.stepMs)} ms: ordering re-based`,
        e.server,
        e.direction,
      ),
  };
  for (const [event, listener] of Object.entries(listeners)) {
    engine.on(event as keyof RedundantClientEvents, listener as never);
  }
  return () => {
    for (const [event, listener] of Object.entries(listeners)) {
      engine.off(event as keyof RedundantClientEvents, listener as never);
    }
  };
}
