/**
 * The diagnostics event shape shared by the event log (src/diagnostics, which produces it) and
 * the HTTP side (which shows it), and the interface the HTTP server takes an event source by.
 */
export const DIAGNOSTIC_EVENT_KINDS = [
  "state",
  "failover",
  "link",
  "allLost",
  "recovered",
  "monitor",
  "gap",
  "certificate",
  "clock",
  "config",
  "mail",
  "error",
] as const;

export type DiagnosticEventKind = (typeof DIAGNOSTIC_EVENT_KINDS)[number];

export interface DiagnosticEvent {
  /** Increasing, never reused (also across restarts of the log file). */
  seq: number;
  /** ISO 8601 time. */
  at: string;
  kind: DiagnosticEventKind;
  pair: string | null;
  /** Server name or URL. */
  server: string | null;
  /** One readable line. */
  message: string;
  details?: Record<string, unknown>;
}

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
