/**
 * The diagnostics event shape shared by the event log (src/diagnostics, which produces it) and
 * the HTTP side (which shows it), and the interface the HTTP server takes an event source by.
 */
import type { DiagnosticEvent, EventKind } from "../diagnostics/event.ts";

// One list of kinds, in diagnostics/event.ts (adding a kind is one line there); the page gets it
// from GET /api/events (`kinds`).
export { type DiagnosticEvent, EVENT_KINDS as DIAGNOSTIC_EVENT_KINDS } from "../diagnostics/event.ts";
export type DiagnosticEventKind = EventKind;

export interface DiagnosticEventFilter {
  pair?: string;
  server?: string;
  kind?: DiagnosticEventKind;
  /** Only events with a larger seq. */
  afterSeq?: number;
  /** At most this many, the newest. */
  limit?: number;
}

/** Where the HTTP side gets diagnostics events from (the event log, or the engine adapter). */
export interface DiagnosticEventSource {
  /** Oldest first. */
  list(filter: DiagnosticEventFilter): DiagnosticEvent[];
  on(event: "event", listener: (event: DiagnosticEvent) => void): unknown;
  off(event: "event", listener: (event: DiagnosticEvent) => void): unknown;
}

export function matchesFilter(event: DiagnosticEvent, filter: DiagnosticEventFilter): boolean {
  if (filter.pair !== undefined && event.pair !== filter.pair) return false;
  if (filter.server !== undefined && event.server !== filter.server) return false;
  if (filter.kind !== undefined && event.kind !== filter.kind) return false;
  if (filter.afterSeq !== undefined && event.seq <= filter.afterSeq) return false;
  return true;
}

/** Applies a filter to events held oldest first. */
export function filterEvents(
  events: readonly DiagnosticEvent[],
  filter: DiagnosticEventFilter,
): DiagnosticEvent[] {
  const matching = events.filter((event) => matchesFilter(event, filter));
  return filter.limit === undefined ? matching : matching.slice(-filter.limit);
}
