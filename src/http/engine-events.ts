/**
 * Diagnostics events made from the pairs' engine events, kept in memory (a bounded ring): the
 * status page's event source until (or unless) the persisted event log of src/diagnostics is
 * given to the HTTP server instead. Server names are the configured names (default host:port).
 */
import { EventEmitter } from "node:events";
import type { RedundantClientEvents } from "../client/types.ts";
import {
  type DiagnosticEvent,
  type DiagnosticEventFilter,
  type DiagnosticEventKind,
  type DiagnosticEventSource,
  filterEvents,
} from "./diagnostic-event.ts";

/** The engine events the adapter listens to (RedundantClient and the gateway's PairEngine). */
export interface EngineEventEmitter {
  on<K extends keyof RedundantClientEvents>(
    event: K,
    listener: (...args: RedundantClientEvents[K]) => void,
  ): unknown;
  off<K extends keyof RedundantClientEvents>(
    event: K,
    listener: (...args: RedundantClientEvents[K]) => void,
  ): unknown;
  status(): { servers: { url: string; name: string }[] };
}

type Input = Omit<DiagnosticEvent, "seq" | "at"> & { at?: Date };

export class EngineEventLog
  extends EventEmitter<{ event: [DiagnosticEvent] }>
  implements DiagnosticEventSource
{
  readonly #events: DiagnosticEvent[] = [];
  readonly #capacity: number;
  #seq = 0;

  constructor(options: { capacity?: number } = {}) {
    super();
    this.#capacity = options.capacity ?? 10_000;
  }

  list(filter: DiagnosticEventFilter): DiagnosticEvent[] {
    return filterEvents(this.#events, filter);
  }

  /** Records one event (also for things the gateway itself does, such as a reload). */
  record(input: Input): DiagnosticEvent {
    const { at, ...rest } = input;
    const event: DiagnosticEvent = { seq: ++this.#seq, at: (at ?? new Date()).toISOString(), ...rest };
    this.#events.push(event);
    if (this.#events.length > this.#capacity) this.#events.splice(0, this.#events.length - this.#capacity);
    this.emit("event", event);
    return event;
  }

  /** Follows one pair's engine; returns the function that stops following it. */
  attach(pair: string, engine: EngineEventEmitter): () => void {
    const nameOf = (url: string | null) =>
      url === null ? null : (engine.status().servers.find((s) => s.url === url)?.name ?? url);
    const add = (
      kind: DiagnosticEventKind,
      server: string | null,
      message: string,
      details: object,
      at?: Date,
    ) => this.record({ kind, pair, server, message, details: { ...details }, at });
    const handlers: { [K in keyof RedundantClientEvents]: (...args: RedundantClientEvents[K]) => void } = {
      stateChanged: (e) => add("state", null, `pair ${e.from} → ${e.to}: ${e.reason}`, e),
      failover: (e) =>
        add(
          "failover",
          e.toName,
          `failover ${e.fromName ?? "none"} → ${e.toName} (${e.reason}: ${e.detail})`,
          { ...e, at: e.at.toISOString() },
          e.at,
        ),
      linkStateChanged: (e) => add("link", nameOf(e.url), `link ${e.from} → ${e.to}: ${e.reason}`, e),
      allServersLost: (e) =>
        add(
          "allLost",
          null,
          `every server lost (${e.reason}: ${e.detail})`,
          { ...e, at: e.at.toISOString() },
          e.at,
        ),
      recovered: (e) =>
        add(
          "recovered",
          nameOf(e.server),
          `recovered after ${e.downMs} ms`,
          { ...e, at: e.at.toISOString() },
          e.at,
        ),
    };
    const entries = Object.entries(handlers) as [keyof RedundantClientEvents, (...args: never[]) => void][];
    for (const [event, handler] of entries) engine.on(event, handler as never);
    return () => {
      for (const [event, handler] of entries) engine.off(event, handler as never);
    };
  }
}
