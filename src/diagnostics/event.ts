/**
 * The diagnostics event: one line of the event log, the shape the status page and the API show
 * (shared with the HTTP side; keep it stable).
 */

export const EVENT_KINDS = [
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
export type EventKind = (typeof EVENT_KINDS)[number];

export interface DiagnosticEvent {
  /** Increasing, never reused (also across restarts of the log file). */
  seq: number;
  /** ISO 8601 time. */
  at: string;
  kind: EventKind;
  pair: string | null;
  /** Server name or URL. */
  server: string | null;
  /** One readable line. */
  message: string;
  details?: Record<string, unknown>;
}

/** What a producer hands to the log: the log numbers and dates it. */
export interface EventInput {
  kind: EventKind;
  pair?: string | null;
  server?: string | null;
  message: string;
  details?: Record<string, unknown>;
  /** When it happened (default: now). */
  at?: Date;
}

export interface EventFilter {
  pair?: string;
  /** Matches the server's name or URL. */
  server?: string;
  kind?: EventKind | readonly EventKind[];
  /** Only events at or after this time (ISO string, Date or ms) or, as a number < 1e12, after this seq. */
  since?: string | Date | number;
  /** Only events with a larger seq (the HTTP side's way of asking for what it has not seen). */
  afterSeq?: number;
  /** At most this many, the newest ones (default: all). */
  limit?: number;
}

export function isEventKind(value: unknown): value is EventKind {
  return typeof value === "string" && (EVENT_KINDS as readonly string[]).includes(value);
}

/** Whether an event passes a filter (limit aside). */
export function matches(event: DiagnosticEvent, filter: EventFilter): boolean {
  if (filter.pair !== undefined && event.pair !== filter.pair) return false;
  if (filter.server !== undefined && event.server !== filter.server) return false;
  if (filter.kind !== undefined) {
    const kinds: readonly EventKind[] = typeof filter.kind === "string" ? [filter.kind] : filter.kind;
    if (!kinds.includes(event.kind)) return false;
  }
  if (filter.afterSeq !== undefined && event.seq <= filter.afterSeq) return false;
  const since = filter.since;
  if (since !== undefined) {
    if (typeof since === "number" && since < 1e12) return event.seq > since;
    const sinceMs =
      since instanceof Date ? since.getTime() : typeof since === "number" ? since : Date.parse(since);
    if (Date.parse(event.at) < sinceMs) return false;
  }
  return true;
}

/** One line of text: date and time, kind, pair, server, message. */
export function formatEvent(event: DiagnosticEvent): string {
  const where = [event.pair, event.server].filter((x) => x !== null).join(" ");
  return `${event.at}  #${event.seq}  ${event.kind.padEnd(9)} ${where ? `${where}: ` : ""}${event.message}`;
}

/** A parsed JSONL line, or null when the line is not a diagnostics event (a torn last line). */
export function parseEventLine(line: string): DiagnosticEvent | null {
  if (!line.trim()) return null;
  try {
    const value = JSON.parse(line) as Partial<DiagnosticEvent>;
    if (typeof value.seq !== "number" || typeof value.at !== "string" || !isEventKind(value.kind))
      return null;
    if (typeof value.message !== "string") return null;
    return {
      seq: value.seq,
      at: value.at,
      kind: value.kind,
      pair: value.pair ?? null,
      server: value.server ?? null,
      message: value.message,
      ...(value.details ? { details: value.details } : {}),
    };
  } catch {
    return null;
  }
}
