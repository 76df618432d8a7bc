/** Turns a RedundantClient's events into diagnostics events of its pair. */
import type { EventEmitter } from "node:events";
import type { RedundantClientEvents } from "../client/types.ts";
import type { PairConfig } from "../config/schema.ts";
import type { EventLog } from "./event-log.ts";

type Arg<K extends keyof RedundantClientEvents> = RedundantClientEvents[K][0];

/** A RedundantClient, or the gateway's PairEngine in front of one (it survives a reload). */
export type FollowedClient = EventEmitter<RedundantClientEvents> & { readonly config: PairConfig };

/** Records every event of `client` in `log`; returns a function that stops following. */
export function followClient(log: EventLog, client: FollowedClient): () => void {
  const pair = client.config.name;
  const nameOf = (url: string) => client.config.servers.find((s) => s.url === url)?.name ?? url;
  const listeners = {
    stateChanged: (e: Arg<"stateChanged">) =>
      log.record({
        kind: "state",
        pair,
        message: `pair ${e.from} → ${e.to}: ${e.reason}`,
        details: { ...e },
      }),
    failover: (e: Arg<"failover">) =>
      log.record({
        kind: "failover",
        pair,
        server: e.toName,
        at: e.at,
        message: `failover ${e.fromName ?? "none"} → ${e.toName} (${e.reason}, ${e.durationMs} ms without an active server): ${e.detail}`,
        details: {
          from: e.from,
          to: e.to,
          fromIndex: e.fromIndex,
          toIndex: e.toIndex,
          reason: e.reason,
          detail: e.detail,
          durationMs: e.durationMs,
        },
      }),
    linkStateChanged: (e: Arg<"linkStateChanged">) =>
      log.record({
        kind: "link",
        pair,
        server: nameOf(e.url),
        message: `link ${e.from} → ${e.to}: ${e.reason}`,
        details: { url: e.url, from: e.from, to: e.to, reason: e.reason },
      }),
    allServersLost: (e: Arg<"allServersLost">) =>
      log.record({
        kind: "allLost",
        pair,
        at: e.at,
        message: `every server lost (${e.reason}): ${e.detail}`,
        details: { reason: e.reason, detail: e.detail },
      }),
    recovered: (e: Arg<"recovered">) =>
      log.record({
        kind: "recovered",
        pair,
        server: nameOf(e.server),
        at: e.at,
        message: `recovered on ${nameOf(e.server)} after ${e.downMs} ms without any server`,
        details: { url: e.server, index: e.index, downMs: e.downMs },
      }),
    gap: (e: Arg<"gap">) =>
      log.record({
        kind: "gap",
        pair,
        server: nameOf(e.server),
        at: e.at,
        message:
          `${e.missingMessages === null ? "an unknown number of" : e.missingMessages} notification message(s) lost ` +
          `upstream (${e.cause === "recreated" ? "subscription re-created" : "sequence gap"}); values made current ` +
          `by ${e.recovered === "resendData" ? "ResendData" : e.recovered === "read" ? "a Read of every item" : e.recovered === "initialValues" ? "the re-created items' initial values" : "nothing: recovery failed"}`,
        details: {
          url: e.server,
          subscriptionId: e.subscriptionId,
          missingMessages: e.missingMessages,
          cause: e.cause,
          recovered: e.recovered,
        },
      }),
    certificateRefused: (e: Arg<"certificateRefused">) =>
      log.record({
        kind: "certificate",
        pair,
        server: nameOf(e.server),
        at: e.at,
        message: e.message,
        details: { url: e.server, thumbprint: e.thumbprint, previous: e.previous, status: e.status },
      }),
    clockStep: (e: Arg<"clockStep">) =>
      log.record({
        kind: "clock",
        pair,
        server: e.name,
        at: e.at,
        message: `the server's clock stepped ${e.direction} by ${Math.abs(e.stepMs)} ms (offset now ${e.offsetMs} ms): ordering re-based, values keep flowing`,
        details: { url: e.server, stepMs: e.stepMs, direction: e.direction, offsetMs: e.offsetMs },
      }),
    monitorChanged: (e: Arg<"monitorChanged">) =>
      log.record({
        kind: "monitor",
        pair,
        server: nameOf(e.server),
        at: e.at,
        message: `monitor ${e.nodeId} ${e.failing ? "failing" : "passing"}: ${e.reason}`,
        details: { url: e.server, nodeId: e.nodeId, failing: e.failing, reason: e.reason },
      }),
    monitorNotice: (e: Arg<"monitorNotice">) =>
      log.record({
        kind: "monitor",
        pair,
        server: e.server === null ? null : nameOf(e.server),
        at: e.at,
        message: e.message,
        ...(e.nodeId ? { details: { nodeId: e.nodeId } } : {}),
      }),
  };
  for (const [event, listener] of Object.entries(listeners)) {
    client.on(event as keyof typeof listeners, listener as never);
  }
  return () => {
    for (const [event, listener] of Object.entries(listeners)) {
      client.off(event as keyof typeof listeners, listener as never);
    }
  };
}
